"""The documentation, executed: every ```python block in README.md and docs/**/*.md runs.

The convention (docs/writing-docs.md explains it with examples):

- A ```python block is executed. The blocks of one file run in order in one
  shared namespace, like the cells of a notebook, in a fresh empty working
  directory (so a block may write files).
- An ```output block right after a ```python block (only blank lines between)
  holds what that block prints. The printed text must match it exactly, line
  for line (trailing spaces and trailing blank lines aside), so a number in a
  document cannot drift from what the code computes.
- A block that prints must be followed by an ```output block; a block that
  prints nothing needs none, but it still runs and must not raise.
- ```python skip: <reason> marks a block that is shown but not run; the reason
  is required. Keep such blocks rare.
- A ```console block is a shell session, run in the same scratch directory, in
  order with the python blocks: each line starting with ``$ `` is a command
  (``micrograd`` runs ``sys.executable -m micrograd`` with the repository on
  PYTHONPATH), and the lines up to the next ``$ `` are what it prints on stdout.
  A line that is just ``...`` matches any run of lines (none included); ``...``
  inside a line matches any text within that line (for timings). stderr (the
  progress bars) is not compared unless the command redirects it (``2>&1``),
  and every command must exit with status 0.
- Any other fence (```bash, ```text, ...) is shown only. Python fences spelled
  another way (```py, ```pycon, ```python3) are refused, so that no example
  silently escapes the tests.

Failures name the file and the line of the block; a traceback points at the
line of the Markdown file itself.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import html
import io
import os
import random
import re
import shlex
import subprocess
import sys
import tempfile
import traceback
import types
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import moons_demo_trace, reference_figures

REPO = Path(__file__).resolve().parents[1]
# docs/pypi.md is README.md without relative links (docs/make_pypi.py), checked against it below
DOCS = [REPO / "README.md", *sorted(p for p in (REPO / "docs").rglob("*.md") if p.name != "pypi.md")]

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*(.*?)\s*$")
_PYTHONISH = re.compile(r"^(py|pycon|python\d*|ipython\d*|python\s.*)$", re.IGNORECASE)


class DocError(AssertionError):
    """A document's code block failed, or the document breaks the convention."""


@dataclass
class Block:
    """One fenced block: its info string, its text, and where it starts in the file."""

    info: str
    text: str
    line: int  # 1-based line of the opening fence

    @property
    def first_code_line(self) -> int:
        return self.line + 1


@dataclass
class Cell:
    """A ```python block to run and the ```output block that shows what it prints (if any).

    A ```console block is a Cell too (``console`` true): its commands and their
    expected output are inside the block itself.
    """

    code: Block
    output: Block | None
    skip_reason: str | None
    console: bool = False


def parse_blocks(text: str, where: str) -> list[tuple[Block, int]]:
    """The fenced blocks of a Markdown text, each with the line where it closes."""
    blocks = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m or (m.group(1)[0] == "`" and "`" in m.group(2)):  # a backtick fence's info has no backticks
            i += 1
            continue
        fence, info, start = m.group(1), m.group(2), i
        body = []
        i += 1
        while i < len(lines):
            close = _FENCE.match(lines[i])
            if (
                close
                and close.group(1)[0] == fence[0]
                and len(close.group(1)) >= len(fence)
                and not close.group(2)
            ):
                break
            body.append(lines[i])
            i += 1
        else:
            raise DocError(f"{where}:{start + 1}: this code block is never closed (missing {fence})")
        blocks.append((Block(info, "\n".join(body) + "\n" if body else "", start + 1), i + 1))
        i += 1
    return blocks


def parse_cells(path: Path) -> list[Cell]:
    """The python cells of a Markdown file, each paired with its output block."""
    where = _rel(path)
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    cells: list[Cell] = []
    previous_end = None  # closing line (1-based) of the last python block
    for block, end in parse_blocks(text, where):
        info = block.info
        if info == "output":
            between = lines[previous_end : block.line - 1] if previous_end is not None else ["?"]
            if not cells or cells[-1].output is not None or any(s.strip() for s in between):
                raise DocError(
                    f"{where}:{block.line}: an ```output block must come right after the ```python block "
                    "whose output it shows (only blank lines between)"
                )
            cells[-1].output = block
            previous_end = None
            continue
        previous_end = None
        if info == "python":
            cells.append(Cell(block, None, None))
            previous_end = end
        elif info == "console":
            cells.append(Cell(block, None, None, console=True))
            if not parse_console(block, where):
                raise DocError(f"{where}:{block.line}: a ```console block needs at least one '$ ' command")
        elif info.startswith("python skip"):
            reason = info[len("python skip") :].lstrip()
            if not reason.startswith(":") or not reason[1:].strip():
                raise DocError(
                    f"{where}:{block.line}: a block that is not run needs a reason: ```python skip: <why>"
                )
            cells.append(Cell(block, None, reason[1:].strip()))
            previous_end = end
        elif _PYTHONISH.match(info):
            raise DocError(
                f"{where}:{block.line}: unknown fence ```{info}; write ```python (run and checked) "
                "or ```python skip: <why> (shown only)"
            )
    return cells


@dataclass
class Command:
    """One ``$ `` line of a ```console block and the stdout lines shown after it."""

    line: int  # 1-based line in the Markdown file
    command: str
    expected: list[str]


def parse_console(block: Block, where: str) -> list[Command]:
    """The commands of a ```console block, each with the output lines that follow it."""
    commands: list[Command] = []
    for offset, text in enumerate(block.text.splitlines()):
        if text.startswith("$ "):
            commands.append(Command(block.first_code_line + offset, text[2:].strip(), []))
        elif commands:
            commands[-1].expected.append(text)
        elif text.strip():
            raise DocError(f"{where}:{block.first_code_line + offset}: a ```console block starts with '$ '")
    return commands


def lines_match(expected: list[str], actual: list[str]) -> bool:
    """Whether ``actual`` matches ``expected``, where a line ``...`` stands for any run of lines
    (none included) and ``...`` inside a line for any text within that line."""
    patterns = []
    for line in expected:
        if line.strip() == "...":
            patterns.append(None)
        else:
            patterns.append(re.compile(".*?".join(map(re.escape, line.split("..."))) + r"\Z"))

    # dynamic programming over (pattern index, line index): small inputs, no exponential backtracking
    @functools.cache
    def match(i: int, j: int) -> bool:
        if i == len(patterns):
            return j == len(actual)
        if patterns[i] is None:
            return match(i + 1, j) or (j < len(actual) and match(i, j + 1))
        return j < len(actual) and bool(patterns[i].match(actual[j])) and match(i + 1, j + 1)

    return match(0, 0)


def _micrograd_on_path(bin_dir: Path) -> None:
    """A ``micrograd`` script in ``bin_dir`` that runs this interpreter's ``-m micrograd``."""
    script = bin_dir / "micrograd"
    script.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m micrograd "$@"\n', encoding="utf-8")
    script.chmod(0o755)


def run_command(command: Command, workdir: Path, bin_dir: Path, where: str) -> str | None:
    """Run one console command in ``workdir``; return a message if it fails or prints something else."""
    env = dict(os.environ)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env["COLUMNS"] = "80"  # argparse wraps --help to the terminal's width
    env["MPLBACKEND"] = "Agg"
    done = subprocess.run(
        ["/bin/sh", "-c", command.command],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    actual = normalise(done.stdout)
    expected = normalise("\n".join(command.expected))
    if done.returncode != 0:
        return (
            f"{where}:{command.line}: `{command.command}` exited with status {done.returncode}\n"
            f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
        )
    if not lines_match(expected, actual):
        diff = "\n".join(
            difflib.unified_diff(expected, actual, f"{where} (document)", "printed", lineterm="")
        )
        return f"{where}:{command.line}: the output of `{command.command}` differs from the document:\n{diff}"
    return None


def normalise(text: str) -> list[str]:
    return [line.rstrip() for line in text.rstrip("\n").splitlines()] if text.strip() else []


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return str(path)


@contextlib.contextmanager
def _sandbox(directory: Path, module_name: str):
    """Run in ``directory`` with a fresh module namespace; restore cwd, sys.modules and the RNGs after."""
    saved_cwd = os.getcwd()
    saved_random = random.getstate()
    numpy = sys.modules.get("numpy")
    saved_numpy = numpy.random.get_state() if numpy is not None else None
    module = types.ModuleType(module_name)
    sys.modules[module_name] = module  # so classes defined in a doc have a home (dataclasses, pickle)
    os.chdir(directory)
    try:
        yield module.__dict__
    finally:
        os.chdir(saved_cwd)
        sys.modules.pop(module_name, None)
        random.setstate(saved_random)
        numpy = sys.modules.get("numpy")
        if saved_numpy is not None and numpy is not None:
            numpy.random.set_state(saved_numpy)
        elif numpy is not None:  # numpy was first imported by the doc: leave it as a fresh import would
            numpy.random.seed()


def run_markdown(path: Path, workdir: Path) -> int:
    """Run every python cell of ``path`` in order; raise DocError on the first failure.

    Returns the number of cells run. Output mismatches are collected so that
    one run reports all of them; an exception stops the file (later cells
    depend on earlier ones).
    """
    where = _rel(path)
    cells = parse_cells(path)
    mismatches = []
    ran = 0
    module_name = "doc_" + re.sub(r"\W", "_", where)
    with _sandbox(workdir, module_name) as namespace, tempfile.TemporaryDirectory() as bin_dir:
        _micrograd_on_path(Path(bin_dir))
        for cell in cells:
            if cell.skip_reason is not None:
                continue
            if cell.console:
                for command in parse_console(cell.code, where):
                    failure = run_command(command, workdir, Path(bin_dir), where)
                    if failure:  # stop: later commands usually depend on this one
                        raise DocError("\n\n".join([*mismatches, failure]))
                ran += 1
                continue
            # pad with blank lines so that tracebacks give the line numbers of the Markdown file
            source = "\n" * (cell.code.first_code_line - 1) + cell.code.text
            stdout = io.StringIO()
            try:
                code = compile(source, str(path), "exec")
                with contextlib.redirect_stdout(stdout):
                    exec(code, namespace)
            except Exception as exc:
                tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__.tb_next))
                raise DocError(
                    f"{where}:{cell.code.line}: the python block raised {type(exc).__name__}: {exc}\n"
                    + (f"(printed before that:\n{stdout.getvalue()})\n" if stdout.getvalue() else "")
                    + tb
                ) from exc
            ran += 1
            actual = normalise(stdout.getvalue())
            if cell.output is None:
                if actual:
                    mismatches.append(
                        f"{where}:{cell.code.line}: the python block prints, but no ```output block "
                        "follows it to show what; it printed:\n" + "\n".join(actual)
                    )
                continue
            expected = normalise(cell.output.text)
            if actual != expected:
                diff = "\n".join(
                    difflib.unified_diff(
                        expected, actual, f"{where}:{cell.output.line} (document)", "printed", lineterm=""
                    )
                )
                mismatches.append(
                    f"{where}:{cell.code.line}: the output of the python block differs from the "
                    f"```output block at line {cell.output.line}:\n{diff}"
                )
    if mismatches:
        raise DocError("\n\n".join(mismatches))
    return ran


# --- the documents --------------------------------------------------------------------------


def svg_texts(svg: str) -> list[str]:
    """The sorted texts of an SVG picture: for a draw_dot graph, every label, data and grad shown."""
    return sorted(html.unescape(t).strip() for t in re.findall(r"<text\b[^>]*>([^<]*)</text>", svg))


def stale_pictures(workdir: Path) -> list[str]:
    """SVG files a document's code wrote under the name of a committed picture in docs/images/,
    but showing other labels or numbers (the picture was drawn from code that has since changed;
    rerun docs/make_images.py). The layout may differ between Graphviz versions; the texts may not."""
    stale = []
    for drawn in sorted(workdir.glob("*.svg")):
        committed = REPO / "docs" / "images" / drawn.name
        if committed.exists():
            new, old = (
                svg_texts(drawn.read_text(encoding="utf-8")),
                svg_texts(committed.read_text(encoding="utf-8")),
            )
            if new != old:
                stale.append(f"docs/images/{drawn.name}: {sorted(set(old) ^ set(new))[:6]}")
    return stale


@pytest.mark.parametrize("path", DOCS, ids=[_rel(p) for p in DOCS])
def test_document_runs_and_prints_what_it_shows(path: Path, tmp_path: Path) -> None:
    if re.search(r"^\s*(import|from) torch\b", executed_code(path), re.M):
        pytest.importorskip("torch", reason=f"{_rel(path)} compares with PyTorch, not installed here")
    failure = None
    try:
        run_markdown(path, tmp_path)
    except DocError as err:
        failure = str(err)
    if failure:
        pytest.fail(failure, pytrace=False)
    stale = stale_pictures(tmp_path)
    assert not stale, f"{_rel(path)} draws pictures that differ from the committed ones: {stale}"


def test_the_documents_exist() -> None:
    assert (REPO / "docs" / "tutorial.md") in DOCS
    assert sum(len(parse_cells(p)) for p in DOCS) > 50


@pytest.mark.parametrize("path", DOCS, ids=[_rel(p) for p in DOCS])
def test_relative_links_and_images_resolve(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    # drop code blocks: their brackets are code, not links
    prose = re.sub(r"^ {0,3}(`{3,}|~{3,}).*?^ {0,3}\1\s*$", "", text, flags=re.S | re.M)
    missing = []
    targets = re.findall(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)", prose) + re.findall(
        r"<img [^>]*src=\"([^\"]+)\"", prose
    )
    for target in targets:
        if re.match(r"^[a-z]+:|^#", target):
            continue  # a web address or an anchor in the same page
        if not (path.parent / target.split("#")[0]).exists():
            missing.append(target)
    assert not missing, f"{_rel(path)} links to files that do not exist: {missing}"


def _relative_targets(text: str) -> list[str]:
    """The targets of the links and images of a Markdown text that are not web addresses or anchors."""
    prose = re.sub(r"^ {0,3}(`{3,}|~{3,}).*?^ {0,3}\1\s*$", "", text, flags=re.S | re.M)
    targets = re.findall(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)", prose)
    targets += re.findall(r"<img [^>]*src=\"([^\"]+)\"", prose)
    targets += re.findall(r"^\s*\[[^\]]+\]:\s*(\S+)", prose, re.M)  # reference-style links
    return [t for t in targets if not re.match(r"^[a-z][a-z0-9+.-]*:|^#", t, re.I)]


@pytest.fixture(scope="module")
def make_pypi():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_pypi", REPO / "docs" / "make_pypi.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pypi_description_is_the_readme_without_relative_links(make_pypi) -> None:
    """PyPI shows docs/pypi.md (pyproject's readme): the README, but no link or picture that only
    works inside the repository."""
    current = (REPO / "docs" / "pypi.md").read_text(encoding="utf-8")
    assert current == make_pypi.generate(), "docs/pypi.md is out of date: run python docs/make_pypi.py"
    assert _relative_targets((REPO / "README.md").read_text(encoding="utf-8")), "the README has none to drop"
    assert _relative_targets(current) == []
    assert 'readme = { file = "docs/pypi.md"' in (REPO / "pyproject.toml").read_text(encoding="utf-8")
    # the code is the README's, block for block
    assert [c.code.text for c in parse_cells(REPO / "docs" / "pypi.md")] == [
        c.code.text for c in parse_cells(REPO / "README.md")
    ]


def test_pypi_generator_drops_each_kind_of_relative_link(make_pypi) -> None:
    readme = (
        "# t\n\nSee [the guide](docs/cli.md) and [micrograd](https://github.com/karpathy/micrograd).\n\n"
        '![a picture](docs/images/x.png)\n\n<img src="docs/images/y.png" alt="y">\n\n'
        "```python\nprint('[not a link](a.md)')\n```\n"
    )
    assert len(_relative_targets(readme)) == 3
    text = make_pypi.generate(readme)
    assert _relative_targets(text) == []
    assert "the guide (`docs/cli.md`)" in text
    assert "[micrograd](https://github.com/karpathy/micrograd)" in text
    assert "print('[not a link](a.md)')" in text


def _readme_cells() -> list[Cell]:
    return [c for c in parse_cells(REPO / "README.md") if not c.console and c.skip_reason is None]


@pytest.mark.parametrize("index", range(len(_readme_cells())), ids=lambda i: f"block{i + 1}")
def test_each_readme_block_runs_on_its_own(index: int, tmp_path: Path) -> None:
    """A reader copies one block, not the page: each python block of the README, alone in a fresh
    namespace and folder, runs (its imports included) and prints what the page shows."""
    cell = _readme_cells()[index]
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    end = (cell.output or cell.code).line + len((cell.output or cell.code).text.splitlines()) + 1
    # the block (and its output block) at their own lines, so failures name the README's lines
    doc = tmp_path / "README.md"
    doc.write_text("\n" * (cell.code.line - 1) + "\n".join(lines[cell.code.line - 1 : end]) + "\n")
    work = tmp_path / "work"
    work.mkdir()
    try:
        assert run_markdown(doc, work) == 1
    except DocError as err:
        pytest.fail(f"README.md:{cell.code.line}: this block does not run on its own:\n{err}", pytrace=False)


# --- the harness itself: it must catch a changed number -------------------------------------


def _write(tmp_path: Path, text: str) -> Path:
    doc = tmp_path / "doc.md"
    doc.write_text(text, encoding="utf-8")
    return doc


GOOD = """# A doc

Floats are printed exactly:

```python
x = 0.1 + 0.2
print(x)
```

```output
0.30000000000000004
```

A later block sees the names of earlier ones:

```python
y = x * 2
```

```python
print(y)
```

```output
0.6000000000000001
```
"""


def test_harness_passes_a_correct_document(tmp_path: Path) -> None:
    assert run_markdown(_write(tmp_path, GOOD), tmp_path) == 3


def test_harness_fails_when_a_printed_number_changes(tmp_path: Path) -> None:
    doc = _write(tmp_path, GOOD.replace("0.30000000000000004", "0.30000000000000005"))
    with pytest.raises(DocError, match=r"doc\.md:5: the output of the python block differs") as err:
        run_markdown(doc, tmp_path)
    assert "-0.30000000000000005" in str(err.value) and "+0.30000000000000004" in str(err.value)


def test_harness_fails_when_a_number_in_the_readme_changes(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "\n24.7041\n" in readme
    doc = _write(tmp_path, readme.replace("\n24.7041\n", "\n24.7042\n"))
    with pytest.raises(DocError, match=r"the output of the python block differs"):
        run_markdown(doc, tmp_path)


def test_harness_reports_an_exception_at_its_markdown_line(tmp_path: Path) -> None:
    doc = _write(tmp_path, "# t\n\n```python\na = 1\nb = a / 0\n```\n")
    with pytest.raises(DocError, match=r"doc\.md:3: the python block raised ZeroDivisionError") as err:
        run_markdown(doc, tmp_path)
    assert 'doc.md", line 5' in str(err.value)


def test_harness_runs_blocks_without_output(tmp_path: Path) -> None:
    doc = _write(tmp_path, "```python\nraise RuntimeError('runs')\n```\n")
    with pytest.raises(DocError, match="RuntimeError: runs"):
        run_markdown(doc, tmp_path)


def test_harness_requires_output_for_a_block_that_prints(tmp_path: Path) -> None:
    doc = _write(tmp_path, "```python\nprint(42)\n```\n")
    with pytest.raises(DocError, match=r"doc\.md:1: the python block prints, but no ```output block"):
        run_markdown(doc, tmp_path)


def test_harness_requires_a_reason_to_skip(tmp_path: Path) -> None:
    skipped = "```python skip: needs graphviz's dot program\nimport nothing_here\n```\n"
    assert run_markdown(_write(tmp_path, skipped), tmp_path) == 0
    for info in ("python skip", "python skip:", "python skip:   "):
        with pytest.raises(DocError, match="needs a reason"):
            run_markdown(_write(tmp_path, f"```{info}\nx = 1\n```\n"), tmp_path)


@pytest.mark.parametrize("info", ["py", "pycon", "python3", "Python", "python title=x"])
def test_harness_refuses_other_spellings_of_python(tmp_path: Path, info: str) -> None:
    with pytest.raises(DocError, match="unknown fence"):
        run_markdown(_write(tmp_path, f"```{info}\nx = 1\n```\n"), tmp_path)


def test_harness_refuses_an_output_block_out_of_place(tmp_path: Path) -> None:
    for text in (
        "```output\n1\n```\n",  # nothing before it
        "```python\nprint(1)\n```\nprose in between\n```output\n1\n```\n",
        "```python\nprint(1)\n```\n```output\n1\n```\n```output\n1\n```\n",  # two outputs
        "```bash\necho 1\n```\n```output\n1\n```\n",  # not after python
    ):
        with pytest.raises(DocError, match="must come right after"):
            run_markdown(_write(tmp_path, text), tmp_path)


def test_harness_refuses_an_unclosed_block(tmp_path: Path) -> None:
    with pytest.raises(DocError, match=r"doc\.md:2: this code block is never closed"):
        run_markdown(_write(tmp_path, "x\n```python\nprint(1)\n"), tmp_path)


def test_harness_runs_in_a_scratch_directory_and_restores_state(tmp_path: Path) -> None:
    state = random.getstate()
    cwd = os.getcwd()
    doc = _write(tmp_path, "```python\nimport random\nrandom.seed(1)\nopen('f.txt', 'w').write('x')\n```\n")
    work = tmp_path / "work"
    work.mkdir()
    run_markdown(doc, work)
    assert (work / "f.txt").exists()
    assert random.getstate() == state and os.getcwd() == cwd


def test_other_fences_are_shown_only(tmp_path: Path) -> None:
    doc = _write(tmp_path, "```bash\nexit 1\n```\n\n```text\nnot python\n```\n")
    assert run_markdown(doc, tmp_path) == 0


# --- the harness: ```console blocks --------------------------------------------------------


CONSOLE = """```python
open("data.txt", "w").write("a,b\\n1,2\\n")
```

```console
$ cat data.txt
a,b
1,2
$ echo "took 0.31 s"; echo done
took ... s
done
$ printf 'x\\nprogress 1\\nprogress 2\\ny\\n'
x
...
y
$ micrograd evaluate --model missing.json --csv data.txt 2>&1; echo "exit status $?"
micrograd evaluate: error: ...
exit status 2
```
"""


def test_console_blocks_run_commands_and_compare_their_stdout(tmp_path: Path) -> None:
    assert run_markdown(_write(tmp_path, CONSOLE), tmp_path) == 2


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("1,2\n$", "1,3\n$"),
        ("took ... s", "took ... min"),
        ("x\n...\ny", "x\n...\nz"),
        ("status 2", "status 0"),
    ],
)
def test_console_blocks_fail_when_the_output_changes(tmp_path: Path, old: str, new: str) -> None:
    assert old in CONSOLE
    with pytest.raises(DocError, match=r"doc\.md:\d+: the output of `.*` differs from the document"):
        run_markdown(_write(tmp_path, CONSOLE.replace(old, new, 1)), tmp_path)


def test_console_commands_must_succeed(tmp_path: Path) -> None:
    doc = _write(tmp_path, "# t\n\n```console\n$ echo hi\nhi\n$ exit 3\n```\n")
    with pytest.raises(DocError, match=r"doc\.md:6: `exit 3` exited with status 3"):
        run_markdown(doc, tmp_path)


def test_console_blocks_compare_stdout_only(tmp_path: Path) -> None:
    doc = _write(tmp_path, "```console\n$ echo out; echo progress >&2\nout\n```\n")
    assert run_markdown(doc, tmp_path) == 1


def test_console_block_must_start_with_a_command(tmp_path: Path) -> None:
    for text in ("```console\nhello\n$ echo\n```\n", "```console\n```\n"):
        with pytest.raises(DocError, match="console"):
            run_markdown(_write(tmp_path, text), tmp_path)


@pytest.mark.parametrize(
    ("expected", "actual", "matches"),
    [
        (["a", "...", "b"], ["a", "b"], True),
        (["a", "...", "b"], ["a", "x", "y", "b"], True),
        (["a", "...", "b"], ["a", "x", "y"], False),
        (["a", "..."], ["a"], True),
        (["t ... s"], ["t 1.0 s"], True),
        (["t ... s"], ["t 1.0 s!"], False),
        (["a.b"], ["axb"], False),  # only ... is special; other characters are literal
        (["a"], ["a", "b"], False),
    ],
)
def test_lines_match(expected: list[str], actual: list[str], matches: bool) -> None:
    assert lines_match(expected, actual) is matches


def test_a_picture_drawn_with_other_numbers_is_stale(tmp_path: Path) -> None:
    committed = (REPO / "docs" / "images" / "neuron.svg").read_text(encoding="utf-8")
    assert "grad 0.5000" in committed and len(svg_texts(committed)) > 20
    (tmp_path / "neuron.svg").write_text(committed, encoding="utf-8")
    assert stale_pictures(tmp_path) == []
    (tmp_path / "neuron.svg").write_text(committed.replace("grad 0.5000", "grad 0.4000", 1), encoding="utf-8")
    assert stale_pictures(tmp_path) and "neuron.svg" in stale_pictures(tmp_path)[0]


# --- the guides cover what they promise ----------------------------------------------------


def _prose(path: Path) -> str:
    """The text of a Markdown file outside its fenced blocks."""
    return re.sub(
        r"^ {0,3}(`{3,}|~{3,}).*?^ {0,3}\1\s*$", "", path.read_text(encoding="utf-8"), flags=re.S | re.M
    )


def test_the_command_line_guide_explains_every_command_and_option() -> None:
    """Each subcommand of `micrograd` and each of its options is explained in docs/cli.md's prose
    (not only in a pasted --help), and each subcommand is run by one of its console blocks."""
    import argparse

    from micrograd.cli import build_parser

    guide = REPO / "docs" / "cli.md"
    prose = _prose(guide)
    commands = [c for cell in parse_cells(guide) if cell.console for c in parse_console(cell.code, "cli.md")]
    subparsers = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    missing = []
    for name, parser in subparsers.choices.items():
        if f"`micrograd {name}" not in prose:
            missing.append(f"micrograd {name}")
        if not any(c.command.startswith(f"micrograd {name} ") for c in commands):
            missing.append(f"an example of micrograd {name}")
        for action in parser._actions:
            for option in action.option_strings:
                if option not in ("-h", "--help") and not re.search(rf"`{re.escape(option)}\b", prose):
                    missing.append(f"micrograd {name} {option}")
            if not action.option_strings and f"`{action.dest}`" not in prose:
                missing.append(f"micrograd {name} <{action.dest}>")
    assert len(subparsers.choices) == 6
    assert not missing, f"docs/cli.md does not explain: {missing}"


# --- acceptance: a newcomer can train, save, reload, predict and draw from the README and the tutorial

NEWCOMER_STEPS = {
    "train": r"\bfit\(|^micrograd train\b",
    "save": r"\bsave_model\(",
    "reload": r"\bload_model\(",
    "predict": r"\.predict\(|^micrograd predict\b",
    "draw a graph": r"\bdraw_dot\(.*\)\.render\(",
}


def executed_code(path: Path) -> str:
    """The code a document runs: its python blocks (not the skipped ones) and its console commands."""
    parts = []
    for cell in parse_cells(path):
        if cell.console:
            parts += [c.command for c in parse_console(cell.code, _rel(path))]
        elif cell.skip_reason is None:
            parts.append(cell.code.text)
    return "\n".join(parts)


@pytest.mark.parametrize("name", ["README.md", "docs/tutorial.md"])
def test_readme_and_tutorial_each_train_save_reload_predict_and_draw(name: str) -> None:
    """Each of the two pages shows the whole path in blocks the tests run (and so check)."""
    code = executed_code(REPO / name)
    missing = [step for step, pattern in NEWCOMER_STEPS.items() if not re.search(pattern, code, re.M)]
    assert not missing, f"{name} never runs code to: {missing}"


def test_newcomer_check_fails_when_a_step_is_only_shown(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    shown_only = readme.replace(
        "```python\nimport random\n", "```python skip: shown only\nimport random\n", 1
    )
    assert shown_only != readme
    doc = _write(tmp_path, shown_only)
    code = executed_code(doc)
    assert not re.search(NEWCOMER_STEPS["save"], code, re.M)


# --- acceptance: every reference document's examples appear in the tutorial, with its numbers ----

# tests/data/reference_figures.json holds, for each reference document (write-ups of Karpathy's
# micrograd lecture), what its examples print; tests/test_seeds.py checks them against the documents.
# Each must appear in an ```output block of docs/tutorial.md, which the test above checks against
# what the tutorial's code really prints.


def _tutorial_outputs() -> str:
    cells = parse_cells(REPO / "docs" / "tutorial.md")
    return "\n".join(cell.output.text for cell in cells if cell.output is not None)


@pytest.mark.parametrize("document", sorted(reference_figures()["printed"]))
def test_tutorial_prints_each_reference_documents_numbers(document: str) -> None:
    outputs = _tutorial_outputs()
    # an entry is a string printed alike by both, or [as the document shows it, as the tutorial prints it]
    printed = [
        entry[-1] if isinstance(entry, list) else entry for entry in reference_figures()["printed"][document]
    ]
    missing = [t for t in printed if t not in outputs]
    assert not missing, f"docs/tutorial.md prints none of these numbers of document {document}: {missing}"
    for value in map(float, reference_figures()["printed_rounded"].get(document, [])):
        assert f"{value:.12f}" in outputs, f"{value} to 12 decimals is not in the tutorial"


def test_tutorial_prints_the_notebooks_training_trace() -> None:
    """Every moons-demo line the tutorial prints is the notebook's line for that step, to 12 decimals."""
    trace = {k: (loss, acc) for k, loss, acc in moons_demo_trace()}
    lines = re.findall(r"^step (\d+) loss ([0-9.]+), accuracy ([0-9.]+)%$", _tutorial_outputs(), re.M)
    assert len(lines) >= 10
    for k, loss, acc in lines:
        assert loss == f"{trace[int(k)][0]:.12f}" and float(acc) == trace[int(k)][1], f"step {k}"


# --- the README's two commands, and the examples inside docstrings ------------------------------


def test_readme_two_commands_run() -> None:
    """The README's first block is `make demo` and `make test`. `make test` is this very
    suite; `make demo` is run here, and must train the demo to the notebook's last loss."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Two commands\s+```bash\n(.*?)```", text, re.S)
    assert block, "README.md should open with its two commands in a ```bash block"
    commands = [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]
    assert commands == ["make demo", "make test"]
    done = subprocess.run(["make", "demo"], cwd=REPO, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "loss 0.0109784, accuracy 100.0%" in done.stdout
    assert "pictures: runs/moons/loss.png and runs/moons/decision_boundary.png" in done.stdout


def _with_examples() -> list[str]:
    """The modules of micrograd whose source holds a `>>>` example."""
    sources = sorted((REPO / "micrograd").rglob("*.py"))
    modules = [".".join(p.relative_to(REPO).with_suffix("").parts) for p in sources if ">>>" in p.read_text()]
    return [m for m in modules if not m.endswith("__main__")]


@pytest.mark.parametrize("module", _with_examples())
def test_docstring_examples_run(module: str) -> None:
    """Every `>>>` example in a docstring of micrograd is executed (doctest), each one: as many
    examples run as the module has `>>>` lines, so none escapes the test by being unreachable."""
    import doctest
    import importlib

    mod = importlib.import_module(module)
    prompts = sum(line.lstrip().startswith(">>>") for line in Path(mod.__file__).read_text().splitlines())
    result = doctest.testmod(mod, verbose=False)
    assert result.failed == 0
    assert result.attempted == prompts > 0, f"{module}: {result.attempted} of {prompts} examples run"

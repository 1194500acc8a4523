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
- Any other fence (```bash, ```text, ...) is shown only. Python fences spelled
  another way (```py, ```pycon, ```python3) are refused, so that no example
  silently escapes the tests.

Failures name the file and the line of the block; a traceback points at the
line of the Markdown file itself.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import os
import random
import re
import sys
import traceback
import types
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]

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
    """A ```python block to run and the ```output block that shows what it prints (if any)."""

    code: Block
    output: Block | None
    skip_reason: str | None


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


def _normalise(text: str) -> list[str]:
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
    with _sandbox(workdir, module_name) as namespace:
        for cell in cells:
            if cell.skip_reason is not None:
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
            actual = _normalise(stdout.getvalue())
            if cell.output is None:
                if actual:
                    mismatches.append(
                        f"{where}:{cell.code.line}: the python block prints, but no ```output block "
                        "follows it to show what; it printed:\n" + "\n".join(actual)
                    )
                continue
            expected = _normalise(cell.output.text)
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


@pytest.mark.parametrize("path", DOCS, ids=[_rel(p) for p in DOCS])
def test_document_runs_and_prints_what_it_shows(path: Path, tmp_path: Path) -> None:
    failure = None
    try:
        run_markdown(path, tmp_path)
    except DocError as err:
        failure = str(err)
    if failure:
        pytest.fail(failure, pytrace=False)


def test_the_documents_exist() -> None:
    assert (REPO / "docs" / "writing-docs.md") in DOCS


@pytest.mark.parametrize("path", DOCS, ids=[_rel(p) for p in DOCS])
def test_relative_links_and_images_resolve(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    # drop code blocks: their brackets are code, not links
    prose = re.sub(r"^ {0,3}(`{3,}|~{3,}).*?^ {0,3}\1\s*$", "", text, flags=re.S | re.M)
    missing = []
    for target in re.findall(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)", prose):
        if re.match(r"^[a-z]+:|^#", target):
            continue  # a web address or an anchor in the same page
        if not (path.parent / target.split("#")[0]).exists():
            missing.append(target)
    assert not missing, f"{_rel(path)} links to files that do not exist: {missing}"


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

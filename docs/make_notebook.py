"""Make docs/tutorial.ipynb from docs/tutorial.md: ``python docs/make_notebook.py``.

The Markdown is the one source; the notebook is generated from it, and
tests/test_notebook.py fails when the committed notebook differs from what this
script makes (and runs the notebook in a kernel). The mapping:

- prose becomes markdown cells; the pictures it shows from docs/images/ are
  embedded as cell attachments, so the notebook is one self-contained file
  (upload it to Colab and they are still there);
- a ```python block becomes a code cell, with the ```output block after it
  stored as the cell's output (what running the cell prints);
- a ```console block becomes a code cell of ``!`` shell commands, its expected
  lines stored as the output (``...`` stands for what changes from run to run);
- a ```python skip: block, and every other fence, stays in the markdown: shown, not run;
- a code cell that uses PyTorch starts with ``%%skip_without torch``, so that
  "Run all" goes on past it where PyTorch is not installed.

Two cells come before the tutorial: the install cell (tagged ``install``, for
Colab or a bare Jupyter) and the setup cell (tagged ``setup``: pictures inline,
and the ``%%skip_without`` magic).
"""

from __future__ import annotations

import base64
import json
import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
SOURCE = DOCS / "tutorial.md"
NOTEBOOK = DOCS / "tutorial.ipynb"

INSTALL = """\
# Run this cell first in Colab or a fresh Jupyter. It installs micrograd with the extras the
# tutorial uses (numpy, scikit-learn and matplotlib; the graphviz package), unless micrograd
# is importable already (as in the repository's .venv). The graphs also need the Graphviz
# program: Colab has it; elsewhere install it, e.g. `apt-get install graphviz`.
import importlib.util
import shutil

if importlib.util.find_spec("micrograd") is None:
    %pip install --quiet "micrograd-plus[train,viz]"
    # if pip finds no micrograd-plus, install your copy of the repository instead (in Colab,
    # upload or `!git clone` it first): %pip install "PATH-TO-THE-REPOSITORY[train,viz]"
if shutil.which("dot") is None:
    print("The Graphviz program (dot) is missing: the graph pictures need it.")
# PyTorch is not installed from here: the default build on Linux is several GB. Colab has it.
if importlib.util.find_spec("torch") is None:
    print("PyTorch is not installed: section 10's cells will be skipped. To run them, install")
    print("PyTorch (its CPU build is enough, see pytorch.org), then restart the kernel.")
else:
    print("PyTorch is installed: section 10 will run.")
"""

SETUP = """\
# Setup: pictures inline, and %%skip_without, which runs a cell only if a package is installed.
%matplotlib inline
import importlib.util

from IPython.core.magic import register_cell_magic


@register_cell_magic
def skip_without(package, cell):
    package = package.strip()
    if importlib.util.find_spec(package) is None:
        print(f"(skipped: this cell needs {package}, which is not installed)")
    else:
        get_ipython().run_cell(cell)
"""

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*(.*?)\s*$")
_IMAGE = re.compile(r"!\[(.*?)\]\((images/[^)\s]+)\)")
_MIME = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg"}
_USES_TORCH = re.compile(r"\btorch\b")


def blocks(text: str) -> list[tuple[str, str]]:
    """The Markdown as (kind, text) pieces in order: ("prose", ...) or (the fence's info, its body)."""
    pieces: list[tuple[str, str]] = []
    prose: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m or (m.group(1)[0] == "`" and "`" in m.group(2)):
            prose.append(lines[i])
            i += 1
            continue
        fence, info, start = m.group(1), m.group(2), i
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
            i += 1
        else:
            raise SystemExit(f"{SOURCE.name}:{start + 1}: this code block is never closed")
        if info in ("python", "output", "console"):
            pieces.append(("prose", "\n".join(prose)))
            prose = []
            pieces.append((info, "\n".join(lines[start + 1 : i])))
        else:  # shown only: stays in the prose, fence and all
            prose.extend(lines[start : i + 1])
        i += 1
    pieces.append(("prose", "\n".join(prose)))
    return [(kind, body) for kind, body in pieces if kind != "prose" or body.strip()]


def _lines(text: str) -> list[str]:
    """A cell's source or output as the list of lines nbformat stores (each but the last with its newline)."""
    return text.splitlines(keepends=True)


def markdown_cell(text: str) -> dict:
    attachments = {}

    def attach(m: re.Match) -> str:
        path = DOCS / m.group(2)
        attachments[path.name] = {_MIME[path.suffix]: base64.b64encode(path.read_bytes()).decode("ascii")}
        return f"![{m.group(1)}](attachment:{path.name})"

    source = _IMAGE.sub(attach, text.strip("\n"))
    cell = {"cell_type": "markdown", "metadata": {}, "source": _lines(source)}
    if attachments:
        cell["attachments"] = attachments
    return cell


def code_cell(source: str, expected: str | None = None, tags: list[str] | None = None) -> dict:
    outputs = []
    if expected is not None and expected.strip():
        outputs.append(
            {"name": "stdout", "output_type": "stream", "text": _lines(expected.rstrip("\n") + "\n")}
        )
    return {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {"tags": tags} if tags else {},
        "outputs": outputs,
        "source": _lines(source.rstrip("\n")),
    }


def console_cell(body: str) -> dict:
    """A ```console block as ``!`` commands, the lines after each command as the expected output."""
    commands, expected = [], []
    for line in body.splitlines():
        if line.startswith("$ "):
            commands.append("!" + line[2:])
        else:
            expected.append(line)
    return code_cell("\n".join(commands), "\n".join(expected))


def notebook(markdown: str) -> dict:
    """The notebook for the tutorial's Markdown text, as nbformat 4 JSON data."""
    cells = [code_cell(INSTALL, tags=["install"]), code_cell(SETUP, tags=["setup"])]
    for kind, body in blocks(markdown):
        if kind == "prose":
            cells.append(markdown_cell(body))
        elif kind == "python":
            cells.append(code_cell("%%skip_without torch\n" + body if _USES_TORCH.search(body) else body))
        elif kind == "output":
            cells[-1]["outputs"] = code_cell("", body)["outputs"]
        else:
            cells.append(console_cell(body))
    for n, cell in enumerate(cells):
        cell["id"] = f"cell-{n:03d}"
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def render(nb: dict) -> str:
    """The notebook file's text: JSON as Jupyter writes it (indent 1, sorted keys)."""
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> int:
    text = render(notebook(SOURCE.read_text(encoding="utf-8")))
    if NOTEBOOK.exists() and NOTEBOOK.read_text(encoding="utf-8") == text:
        print(f"{NOTEBOOK.relative_to(DOCS.parent)} is up to date")
        return 0
    tmp = NOTEBOOK.with_suffix(".ipynb.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(NOTEBOOK)
    print(f"wrote {NOTEBOOK.relative_to(DOCS.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

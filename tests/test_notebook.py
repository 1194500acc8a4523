"""docs/tutorial.ipynb: made from docs/tutorial.md, and run top to bottom in a real Jupyter kernel.

The kernel is this interpreter (a kernelspec written into a temporary folder),
and every Jupyter and IPython folder it would use is a temporary one, so the
user's own Jupyter set-up is neither used nor touched. What each cell prints is
compared with the tutorial's ```output blocks as tests/test_docs.py compares
them, and the pictures must show inline.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import sys
import time
from pathlib import Path

import pytest
from test_docs import lines_match, normalise, parse_cells, parse_console

REPO = Path(__file__).resolve().parents[1]
TUTORIAL = REPO / "docs" / "tutorial.md"
NOTEBOOK = REPO / "docs" / "tutorial.ipynb"
PICTURES = ("image/png", "image/svg+xml")


def _generator():
    spec = importlib.util.spec_from_file_location("make_notebook", REPO / "docs" / "make_notebook.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_notebook_is_made_from_the_tutorial():
    """The committed notebook is what docs/make_notebook.py makes from docs/tutorial.md today."""
    nbformat = pytest.importorskip("nbformat")
    make = _generator()
    expected = make.render(make.notebook(TUTORIAL.read_text(encoding="utf-8")))
    assert NOTEBOOK.read_text(encoding="utf-8") == expected, (
        "docs/tutorial.ipynb is stale: run `python docs/make_notebook.py` and commit it"
    )
    nbformat.validate(nbformat.reads(expected, as_version=4))
    # every picture of the tutorial travels inside the notebook (no links to docs/images/)
    nb = json.loads(expected)
    attached = [name for c in nb["cells"] for name in c.get("attachments", {})]
    shown = re.findall(r"!\[.*?\]\(images/([^)\s]+)\)", TUTORIAL.read_text(encoding="utf-8"))
    assert attached == shown and len(shown) >= 9
    # the two cells of its own, which the tutorial does not run: valid IPython at least
    from IPython.core.inputtransformer2 import TransformerManager

    for source in (make.INSTALL, make.SETUP):
        compile(TransformerManager().transform_cell(source), "<notebook cell>", "exec")


def test_the_notebook_goes_stale_when_the_tutorial_changes():
    make = _generator()
    text = TUTORIAL.read_text(encoding="utf-8")
    assert "\n24.7041, the value of g\n" in text
    changed = make.render(make.notebook(text.replace("\n24.7041, the value", "\n24.7042, the value", 1)))
    assert changed != NOTEBOOK.read_text(encoding="utf-8") and "24.7042, the value" in changed


def _source(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _tutorial_cells(nb) -> list:
    """The notebook's code cells that come from the tutorial (not its install and setup cells)."""
    return [
        c
        for c in nb.cells
        if c.cell_type == "code" and not {"install", "setup"} & set(c.metadata.get("tags", []))
    ]


def _kernel_manager(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A kernel manager for a kernel running this very interpreter, every Jupyter folder temporary."""
    from jupyter_client import KernelManager
    from jupyter_client.kernelspec import KernelSpecManager

    home = tmp_path / "jupyter"
    for var in (
        "JUPYTER_RUNTIME_DIR",
        "JUPYTER_DATA_DIR",
        "JUPYTER_CONFIG_DIR",
        "IPYTHONDIR",
        "MPLCONFIGDIR",
    ):
        monkeypatch.setenv(var, str(home / var.lower()))
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    # the tutorial's console cells run `micrograd`: this interpreter's, with this repository's package
    bin_dir = home / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "micrograd").write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m micrograd "$@"\n')
    (bin_dir / "micrograd").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("COLUMNS", "80")
    spec = home / "kernels" / "micrograd-test"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "test", "language": "python"})
    )
    specs = KernelSpecManager(kernel_dirs=[str(home / "kernels")])
    return KernelManager(kernel_name="micrograd-test", kernel_spec_manager=specs)


def test_the_notebook_runs_in_a_kernel_prints_what_the_tutorial_shows_and_draws_inline(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    # The install cell is for Colab or a bare Jupyter: here it would pip-install from the network
    # into the test's environment, which already has everything (the dev extra). It is not run.
    install = [c for c in nb.cells if "install" in c.metadata.get("tags", [])]
    assert len(install) == 1 and nb.cells[0] is install[0] and "%pip install" in _source(install[0])
    nb.cells.remove(install[0])

    # each code cell is a block of the tutorial, in order: pair them with the Markdown harness's cells
    doc_cells = [c for c in parse_cells(TUTORIAL) if c.skip_reason is None]
    code_cells = _tutorial_cells(nb)
    assert len(code_cells) == len(doc_cells) > 50
    # without PyTorch (Pythons with no local wheel) its cells say they are skipped, and nothing else
    skipped = (
        set()
        if importlib.util.find_spec("torch")
        else {id(c) for c in code_cells if _source(c).startswith("%%skip_without torch\n")}
    )
    for cell, doc in zip(code_cells, doc_cells):
        source = _source(cell).removeprefix("%%skip_without torch\n")
        if doc.console:
            assert source == "\n".join("!" + c.command for c in parse_console(doc.code, "tutorial.md"))
        else:
            assert source == doc.code.text.rstrip("\n"), f"tutorial.md:{doc.code.line}"
        cell.outputs = []
    # and a cell that needs a package that is missing is skipped, not an error
    nb.cells.append(
        nbformat.v4.new_code_cell("%%skip_without no_such_package_here\nraise RuntimeError('ran')")
    )

    # and the kernel is this interpreter
    nb.cells.append(nbformat.v4.new_code_cell("import sys\nprint(sys.executable)"))

    workdir = tmp_path / "work"  # the cells write files, as the Markdown's blocks do
    workdir.mkdir()
    km = _kernel_manager(tmp_path, monkeypatch)
    client = NotebookClient(nb, km=km, timeout=600, resources={"metadata": {"path": str(workdir)}})
    start = time.perf_counter()
    try:
        client.execute()
    finally:
        if km.has_kernel:  # a kernel manager handed to nbclient is ours to shut down
            km.shutdown_kernel(now=True)
    seconds = time.perf_counter() - start

    mismatches, pictures = [], []
    for cell, doc in zip(code_cells, doc_cells):
        printed = "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stdout")
        actual = normalise(printed.replace("\r\n", "\n"))  # `!` commands print through a terminal
        if doc.console:
            expected = normalise("\n".join(line for c in parse_console(doc.code, "") for line in c.expected))
            ok = lines_match(expected, actual)
        elif id(cell) in skipped:
            expected = ["(skipped: this cell needs torch, which is not installed)"]
            ok = actual == expected
        else:
            expected = normalise(doc.output.text) if doc.output is not None else []
            ok = actual == expected
        if not ok:
            mismatches.append(
                f"tutorial.md:{doc.code.line}: the cell printed\n{printed}\nthe tutorial shows\n{expected}"
            )
        if any(k in o.get("data", {}) for o in cell.outputs for k in PICTURES):
            pictures.append(_source(cell))
    assert not mismatches, "\n\n".join(mismatches)
    assert normalise(nb.cells[-1].outputs[0].text) == [sys.executable]
    assert normalise(nb.cells[-2].outputs[0].text) == [
        "(skipped: this cell needs no_such_package_here, which is not installed)"
    ]

    # the pictures a learner wants under the cells: the graph of L, the neuron, the loss curve, the boundary
    for drawn_by in (
        'render("graph_L"',
        'render("neuron"',
        "plot_history(",
        'fig.savefig("decision_boundary.png")',
    ):
        assert any(drawn_by in source for source in pictures), (
            f"no picture inline under the cell with {drawn_by}"
        )
    print(f"\nthe notebook ran in {seconds:.1f} s in the kernel, with {len(pictures)} pictures inline")

"""docs/api.md is generated from the docstrings by docs/make_api.py; it must be up to date and complete."""

from __future__ import annotations

import importlib.util
import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

import micrograd

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def make_api():
    spec = importlib.util.spec_from_file_location("make_api", REPO / "docs" / "make_api.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GENERATE = (
    "import importlib.util, sys; spec = importlib.util.spec_from_file_location('make_api', sys.argv[1]); "
    "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m); sys.stdout.write(m.generate())"
)


def test_api_reference_is_up_to_date_with_the_docstrings() -> None:
    # in a fresh interpreter, as `python docs/make_api.py` runs: other tests register ops of their
    # own (primitives.DEFINED), and the reference shows that registry as the package starts
    made = subprocess.run(
        [sys.executable, "-c", GENERATE, str(REPO / "docs" / "make_api.py")],
        cwd=REPO,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
    ).stdout
    current = (REPO / "docs" / "api.md").read_text(encoding="utf-8")
    assert current == made, "docs/api.md is out of date: run python docs/make_api.py"


def test_every_public_name_has_a_docstring(make_api) -> None:
    assert make_api.undocumented() == []


def test_every_public_module_is_in_the_reference(make_api) -> None:
    """A new module or package under micrograd/ must be added to docs/make_api.py's MODULES (or start
    with _); a package's own modules may be listed too (as ``viz.dot``)."""
    on_disk = {p.stem for p in (REPO / "micrograd").glob("*.py") if not p.stem.startswith("_")}
    on_disk |= {p.parent.name for p in (REPO / "micrograd").glob("*/__init__.py")}
    assert on_disk == {name.partition(".")[0] for name, _ in make_api.MODULES}


def test_every_name_of_the_package_is_in_the_reference() -> None:
    text = (REPO / "docs" / "api.md").read_text(encoding="utf-8")
    for name in [*micrograd.__all__, "draw_dot", "draw_html"]:
        obj = getattr(micrograd, name)
        module = obj.__module__.removeprefix("micrograd.")
        if module != "micrograd":  # re-exported: documented in its own module's section
            assert re.search(rf"^#{{3}} (class )?{re.escape(module)}\.{name}$", text, re.M), name
        assert inspect.getdoc(obj), name


def test_the_generator_sees_a_changed_docstring(make_api, monkeypatch) -> None:
    """The comparison above can fail: a docstring edited without regenerating changes the text."""
    before = make_api.generate()
    monkeypatch.setattr(micrograd.nn.MLP, "__doc__", "A changed docstring.")
    after = make_api.generate()
    assert before != after and "A changed docstring." in after and "A changed docstring." not in before

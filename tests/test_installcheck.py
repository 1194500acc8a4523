"""The name clash with Karpathy's micrograd, for real: both distributions installed into one venv,
in both orders, the original from PyPI and ours from a wheel built from this checkout."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

from micrograd import installcheck


def test_this_environment_is_sound() -> None:
    # the tests' copy of the original lives in a folder of its own, off sys.path
    assert installcheck.clash_message() is None


def run(*args: str | Path, check: bool = True) -> subprocess.CompletedProcess:
    # in a folder of the venv, not here: `python -c` puts the current folder first on sys.path
    cwd = Path(args[0]).parent if Path(args[0]).parent.name == "bin" else None
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=600, cwd=cwd)
    if check and done.returncode != 0:
        raise AssertionError(f"{args} exited with {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> tuple[Path, Path]:
    """A fresh venv and the wheel of this checkout (built from a copy, so nothing is written here)."""
    tmp = tmp_path_factory.mktemp("clash")
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE", "MANIFEST.in"):
        shutil.copy(REPO / name, src / name)
    (src / "docs").mkdir()
    shutil.copy(REPO / "docs" / "pypi.md", src / "docs" / "pypi.md")
    shutil.copytree(REPO / "micrograd", src / "micrograd", ignore=shutil.ignore_patterns("__pycache__"))
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", tmp / "wheels", src)
    (wheel,) = (tmp / "wheels").glob("micrograd_plus-*.whl")
    run(sys.executable, "-m", "venv", tmp / "env")
    return tmp / "env" / "bin", wheel


def check(bin_dir: Path) -> subprocess.CompletedProcess:
    return run(bin_dir / "python", "-m", "micrograd.installcheck", check=False)


def imports_mlp(bin_dir: Path) -> subprocess.CompletedProcess:
    return run(bin_dir / "python", "-c", "from micrograd import MLP; print(MLP(2, [1]))", check=False)


def test_both_orders_of_installing_and_the_fix(venv) -> None:
    bin_dir, wheel = venv
    pip = [bin_dir / "python", "-m", "pip", "--disable-pip-version-check"]

    # ours, then the original over it: its empty __init__.py, engine.py and nn.py replace ours
    run(*pip, "install", "--quiet", wheel)
    run(*pip, "install", "--quiet", "micrograd==0.1.0")
    assert imports_mlp(bin_dir).returncode != 0  # what a learner sees; the original's __init__ runs
    done = check(bin_dir)
    assert done.returncode == 1
    assert "Karpathy's micrograd 0.1.0 is installed" in done.stdout
    assert "missing or replaced: __init__.py, engine.py, nn.py" in done.stdout
    assert installcheck.FIX in done.stdout
    cli = run(bin_dir / "micrograd", "--help", check=False)
    assert cli.returncode == 1 and installcheck.FIX in cli.stderr and "Traceback" not in cli.stderr
    foreign_engine = (
        next((bin_dir.parent / "lib").glob("python3.*")) / "site-packages" / "micrograd" / "engine.py"
    ).read_text()

    # the fix the message gives (with our wheel for the name, which is not on PyPI here)
    fix = installcheck.FIX.replace("pip install micrograd-plus", f"pip install --quiet {wheel}")
    run("/bin/sh", "-c", f"PATH={bin_dir}:$PATH; {fix}")
    assert imports_mlp(bin_dir).stdout.startswith("MLP of [")
    assert check(bin_dir).returncode == 0
    assert run(bin_dir / "micrograd", "--help").stderr == ""

    # our __init__.py, their engine.py: the import error says what happened and how to fix it
    site = Path(run(bin_dir / "python", "-c", "import micrograd; print(micrograd.__file__)").stdout.strip())
    ours = (site.parent / "engine.py").read_text()
    (site.parent / "engine.py").write_text(foreign_engine)
    done = imports_mlp(bin_dir)
    assert done.returncode == 1 and "ImportError: cannot import name" in done.stderr
    assert "missing or replaced: engine.py" in done.stderr and installcheck.FIX in done.stderr
    (site.parent / "engine.py").write_text(ours)

    # the original first, then ours over it: it works, but the command warns
    run(*pip, "uninstall", "--quiet", "-y", "micrograd-plus")
    run(*pip, "install", "--quiet", "micrograd==0.1.0")
    run(*pip, "install", "--quiet", wheel)
    assert imports_mlp(bin_dir).returncode == 0
    done = check(bin_dir)
    assert done.returncode == 1 and "Karpathy's micrograd 0.1.0 is installed" in done.stdout
    assert "replaced" not in done.stdout
    cli = run(bin_dir / "micrograd", "--help")
    assert cli.stderr.startswith("micrograd: warning: ") and installcheck.FIX in cli.stderr

    # ... and uninstalling the original deletes the files we share
    run(*pip, "uninstall", "--quiet", "-y", "micrograd")
    assert imports_mlp(bin_dir).returncode != 0
    done = check(bin_dir)
    assert done.returncode == 1 and "missing or replaced: __init__.py, engine.py, nn.py" in done.stdout
    cli = run(bin_dir / "micrograd", "--help", check=False)
    assert cli.returncode == 1 and installcheck.FIX in cli.stderr

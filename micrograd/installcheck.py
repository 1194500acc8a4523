"""Is this installation of micrograd-plus mixed with Karpathy's ``micrograd``?

Both distributions install a package named ``micrograd``. Whichever is
installed second overwrites the other's ``__init__.py``, ``engine.py`` and
``nn.py``, and uninstalling either deletes those files for both, so a learner
who has the original from the lecture ends up with a package that half works.
``clash_message()`` notices that cheaply (standard library only, a metadata
lookup and three small files hashed) and says how to fix it; the ``micrograd``
command (``command()`` is its entry point) and the import error of our
``__init__`` in a broken mix print it.

``python -m micrograd.installcheck`` prints the diagnosis; it works even when
the other distribution's files have replaced ours.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import sys
from pathlib import Path

__all__ = ["FIX", "clash_message", "command"]

FIX = "pip uninstall -y micrograd micrograd-plus && pip install micrograd-plus"
_PACKAGE = Path(__file__).resolve().parent
_SHARED_FILES = ("__init__.py", "engine.py", "nn.py")  # the files both distributions install


def _distribution(name: str) -> importlib.metadata.Distribution | None:
    try:
        return importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _foreign_distribution() -> importlib.metadata.Distribution | None:
    """The distribution named ``micrograd`` (Karpathy's), if one is installed beside this package."""
    dist = _distribution("micrograd")
    if dist is None or (dist.metadata["Name"] or "").lower() != "micrograd":
        return None
    # only a clash when it installs into the same folder as this package
    located = Path(str(dist.locate_file("micrograd"))).resolve()
    return dist if located == _PACKAGE else None


def _changed_files() -> list[str]:
    """Our files that are missing, or differ from what micrograd-plus installed (its RECORD)."""
    changed = [name for name in _SHARED_FILES if not (_PACKAGE / name).is_file()]
    ours = _distribution("micrograd-plus")
    if ours is None:
        return changed  # run from a source tree: nothing recorded to compare with
    for record in ours.files or []:
        if record.parts[:1] != ("micrograd",) or record.name not in _SHARED_FILES or record.hash is None:
            continue
        path = Path(str(record.locate())).resolve()
        if path.parent != _PACKAGE or not path.is_file() or record.hash.mode != "sha256":
            continue  # an editable install records no package files; a foreign hash we cannot check
        digest = base64.urlsafe_b64encode(hashlib.sha256(path.read_bytes()).digest()).rstrip(b"=").decode()
        if digest != record.hash.value:
            changed.append(record.name)
    return sorted(set(changed))


def clash_message() -> str | None:
    """A message saying what is wrong and how to fix it, or None when the installation is sound.

    Wrong means: Karpathy's ``micrograd`` distribution is installed in the same
    folder as this package, or the files both install (``__init__.py``,
    ``engine.py``, ``nn.py``) are missing or are not the ones micrograd-plus
    installed.
    """
    foreign = _foreign_distribution()
    changed = _changed_files()
    if foreign is None and not changed:
        return None
    found = []
    if foreign is not None:
        found.append(f"Karpathy's micrograd {foreign.version} is installed in the same environment")
    if changed:
        found.append(f"these files of micrograd-plus are missing or replaced: {', '.join(changed)}")
    return (
        "micrograd-plus and Karpathy's micrograd both install the package `micrograd`, so one "
        f"overwrites the other's files, and uninstalling either deletes them for both ({'; '.join(found)}, "
        f"in {_PACKAGE}). To fix it, reinstall micrograd-plus alone:\n    {FIX}\n"
        "micrograd-plus runs the original's code unchanged; to keep the original itself, "
        "give it a virtual environment of its own."
    )


def command(argv: list[str] | None = None) -> int:
    """The ``micrograd`` console script: ``micrograd.cli.main``, after checking the installation.

    A broken mix usually fails while the command line is imported; then this
    says why and how to fix it instead of a traceback. A mix that still works
    (the original installed first) gets a warning on stderr.
    """
    message = clash_message()
    try:
        from micrograd.cli import main
    except ImportError as err:
        if message is None:
            raise
        print(f"micrograd: error: {err}\n{message}", file=sys.stderr)
        return 1
    if message is not None:
        print(f"micrograd: warning: {message}", file=sys.stderr)
    return main(argv)


def main() -> int:
    """``python -m micrograd.installcheck``: print the diagnosis; exit status 1 when broken."""
    message = clash_message()
    print(message or f"micrograd-plus in {_PACKAGE}: no clash with another `micrograd` distribution")
    return 1 if message else 0


if __name__ == "__main__":
    sys.exit(main())

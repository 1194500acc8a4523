"""Atomic file writes: a file holds either its old content or all of the new, never a half-written one.

Standard library only, for any file (model files, pictures, metrics, configs). What the path
names decides how it is written:

- a regular file (or nothing yet): a temporary file beside it, then one ``os.replace``;
- a symbolic link: the same, to the file the link points to; the link stays. A dangling link
  creates its target, as a shell's ``>`` does, if the target's folder exists;
- anything else (``/dev/null``, a terminal, a FIFO, a socket): opened and written directly,
  never replaced, since replacing it would destroy what the user pointed at.

Every error names the user's path, never the hidden temporary file.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from pathlib import Path

__all__ = ["atomic_write_bytes", "atomic_write_text", "temporary_name", "TEMPORARY_SUFFIX"]

TEMPORARY_SUFFIX = ".tmp"


def temporary_name(name: str) -> str:
    """The hidden name a write to ``name`` uses until its ``os.replace``: ``.NAME.PID.RANDOM.tmp``."""
    return f".{name}.{os.getpid()}.{secrets.token_hex(4)}{TEMPORARY_SUFFIX}"


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that ``path`` holds either its old content or all of ``data``.

    A regular file is replaced whole: the bytes go to a new temporary file in its directory,
    are flushed to disk, and replace it in one ``os.replace``; on any failure the temporary
    file is removed and the file is left as it was. A symbolic link is written through to its
    target, and a device or FIFO is written directly (see the module's docstring).
    """
    path = Path(path)
    try:
        mode = os.stat(path).st_mode  # follows links: the kind of what is finally written
    except FileNotFoundError:
        mode = None
    except OSError as e:  # a loop of links, a component that is not a folder, ...
        raise _naming(e, path) from None
    if mode is not None and stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "is a directory, not a file", str(path))
    if mode is not None and not stat.S_ISREG(mode):
        _write_directly(path, data)
        return
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    if not target.parent.is_dir():
        where = target.parent if target == path else f"{target.parent} (where the link {path} points)"
        raise FileNotFoundError(errno.ENOENT, f"the directory {where} does not exist", str(path))
    tmp = target.with_name(temporary_name(target.name))
    try:
        # O_EXCL: never reuse a file; mode 0o666 lets the user's umask decide, as for any new file
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as e:
        raise _naming(e, path) from None
    try:
        with os.fdopen(fd, "wb") as f:
            if mode is not None and os.chmod in os.supports_fd:  # a replaced file keeps its permissions
                os.chmod(f.fileno(), stat.S_IMODE(mode))
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException as e:
        tmp.unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise _naming(e, path) from None
        raise


def _write_directly(path: Path, data: bytes) -> None:
    """Write to a device, FIFO or socket as a shell's ``>`` would (a FIFO waits for its reader)."""
    try:
        with open(path, "wb", buffering=0) as f:
            view = memoryview(data)
            while view:  # a pipe may take a few bytes at a time
                view = view[f.write(view) :]
    except OSError as e:
        raise _naming(e, path) from None


def _naming(e: OSError, path: Path) -> OSError:
    """``e`` as the same kind of error about ``path`` (what the user gave), with its reason."""
    if e.errno is None:
        return e
    return type(e)(e.errno, e.strerror or os.strerror(e.errno), str(path))


def atomic_write_text(path: str | Path, text: str) -> None:
    """``atomic_write_bytes`` for UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"))

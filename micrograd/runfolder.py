"""Run folders: the files of one run replace the last run's together, even if the process is killed.

``micrograd train --out DIR`` writes several files (model.json, metrics.csv, config.json, pictures,
checkpoint.json). Each is written atomically, but a run killed between two of them would leave
a folder mixing two runs. So the files are first written into a hidden staging folder inside
``DIR`` (``.micrograd-staging-PID-RANDOM``); when all are there, a manifest (``READY``) listing
them is written, last; then each is moved into ``DIR`` by one rename, and the staging folder
is removed. A process killed before ``READY`` leaves ``DIR`` as the last run left it, plus the
staging folder; one killed after it leaves a manifest saying how to finish. ``recover(DIR)``
(called by the next ``micrograd train`` into ``DIR`` and by ``load_model`` on a file in it)
finishes the second and removes the first, along with the temporary files of atomic writes
that a killed process left. A staging folder whose process is still running is left alone.
Standard library only.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .atomic import TEMPORARY_SUFFIX, atomic_write_text
from .jsonfile import read_json

__all__ = ["staged_files", "recover", "report_recovery", "STAGING_PREFIX", "MANIFEST"]

STAGING_PREFIX = ".micrograd-staging-"
MANIFEST = "READY"


@contextmanager
def staged_files(out: str | Path, remove: Iterable[str] = ()) -> Iterator[Path]:
    """A staging folder for the files of one run: write them into it; when the ``with`` block
    ends without an error they replace those of ``out`` together, and every name of ``remove``
    that was not written is deleted from ``out``. On an error ``out`` is left as it was."""
    out = Path(out)
    stage = out / f"{STAGING_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
    try:
        out.mkdir(parents=True, exist_ok=True)
        stage.mkdir()
    except OSError as e:
        raise _about(e, stage, out) from None
    try:
        yield stage
        names = sorted(p.name for p in stage.iterdir())
        manifest = {"move": names, "remove": sorted(set(remove) - set(names))}
        atomic_write_text(stage / MANIFEST, json.dumps(manifest) + "\n")  # the point of no return
    except BaseException as e:
        shutil.rmtree(stage, ignore_errors=True)
        if isinstance(e, OSError):
            raise _about(e, stage, out) from None
        raise
    _finish(out, stage, manifest)


def _about(e: OSError, stage: Path, out: Path) -> OSError:
    """``e`` naming the file of ``out`` the user knows (``out/NAME``), not the staging folder."""
    if e.errno is None or e.filename is None:
        return e
    name = Path(e.filename)
    if name == stage:
        name = out
    elif name.parent == stage:
        name = out / name.name
    return type(e)(e.errno, e.strerror, str(name))


def _finish(out: Path, stage: Path, manifest: dict[str, list[str]]) -> None:
    """Move the staged files into ``out`` and delete the removed ones; safe to repeat after a crash."""
    for name in manifest["move"]:
        try:
            os.replace(stage / name, out / name)
        except FileNotFoundError:  # moved by an earlier attempt
            pass
    for name in manifest["remove"]:
        (out / name).unlink(missing_ok=True)
    (stage / MANIFEST).unlink(missing_ok=True)
    stage.rmdir()


def _manifest(stage: Path) -> dict[str, list[str]] | None:
    """The staging folder's manifest, or None when it has none (or one we did not write)."""
    try:
        m = read_json(stage / MANIFEST, ValueError, "manifest")
    except (OSError, ValueError):
        return None
    ok = isinstance(m, dict) and set(m) == {"move", "remove"}
    ok = ok and all(isinstance(v, list) and all(_plain_name(n) for n in v) for v in m.values())
    # every file still staged is one the manifest moves (some may be moved already)
    if not ok or not {p.name for p in stage.iterdir()} - {MANIFEST} <= set(m["move"]):
        return None
    return m


def _plain_name(name: object) -> bool:
    return isinstance(name, str) and name == Path(name).name and not name.startswith(".") and name != MANIFEST


def _writer_alive(pid_text: str) -> bool:
    """Whether the process ``pid_text`` names (in a staging or temporary file's name) may be writing."""
    try:
        pid = int(pid_text)
    except ValueError:
        return False
    if pid == os.getpid() or os.name != "posix":  # our own (another thread), or no way to tell
        return True
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except OSError:  # it exists, owned by someone else
        return True
    return True


def recover(out: str | Path, *, finish_only: bool = False) -> list[str]:
    """Finish replacing the files of a run killed after staging all of them, and remove what
    runs killed earlier left; returns one note for each thing done. ``finish_only``: do not
    remove unfinished staging folders or temporary files (what a reader of the folder needs)."""
    out = Path(out)
    notes: list[str] = []
    if not out.is_dir():
        return notes
    for stage in sorted(out.glob(STAGING_PREFIX + "*")):
        if not stage.is_dir() or _writer_alive(stage.name[len(STAGING_PREFIX) :].split("-")[0]):
            continue
        manifest = _manifest(stage)
        if manifest is not None:
            _finish(out, stage, manifest)
            notes.append(
                f"finished replacing the files of the run that was stopped while replacing them in {out} "
                f"({', '.join(manifest['move'])})"
            )
        elif not finish_only:
            shutil.rmtree(stage, ignore_errors=True)
            notes.append(
                f"removed {stage.name} from {out}: the partial files of a run stopped while writing them "
                "(the folder still holds the run before it)"
            )
    if not finish_only:
        for tmp in sorted(out.glob(f".*{TEMPORARY_SUFFIX}")):
            name = tmp.name[1:]  # NAME.PID.RANDOM.tmp, as atomic.temporary_name makes it
            parts = name[: -len(TEMPORARY_SUFFIX)].rsplit(".", 2)
            if len(parts) == 3 and tmp.is_file() and not _writer_alive(parts[1]):
                tmp.unlink(missing_ok=True)
                notes.append(f"removed {tmp.name} from {out}: the temporary file of a write that was stopped")
    return notes


def report_recovery(out: str | Path) -> None:
    """``recover(out)``, each note printed on stderr."""
    for note in recover(out):
        print(f"note: {note}", file=sys.stderr)

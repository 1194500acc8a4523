"""Reading saved JSON (model files, checkpoints, run configs): any file gives one error of ours.

``json`` alone lets a file raise what its caller does not expect: ``RecursionError`` for lists
nested thousands deep, ``ValueError`` for an integer of more than 4,300 digits, and integers too
large to become a float (``OverflowError`` later). ``read_json`` turns each into the caller's
error type, with the path and the reason on one line. A UTF-8 byte order mark is skipped, as
the CSV reader skips one. Standard library only.
"""

from __future__ import annotations

import json
import reprlib
import sys
from pathlib import Path
from typing import Any

__all__ = ["read_json", "parse_json", "shown"]

# the most digits an integer may have and still be a finite float (10**309 > 1.8e308)
_MAX_DIGITS = len(str(int(sys.float_info.max)))

_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxdict, _SHORT.maxstring, _SHORT.maxother = 2, 6, 4, 40, 40
_SHORT.maxlong = 40


def shown(value: object) -> str:
    """``repr(value)`` cut short (depth, length, digits), for an error message of one readable line."""
    return _SHORT.repr(value)


class _TooLarge(Exception):
    def __init__(self, digits: int) -> None:
        self.digits = digits


def _parse_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > _MAX_DIGITS:  # before int(): Python refuses more than 4,300 digits with a ValueError
        raise _TooLarge(digits)
    value = int(text)
    if abs(value) > sys.float_info.max:
        raise _TooLarge(digits)
    return value


class _NotFinite(Exception):
    def __init__(self, name: str) -> None:
        self.name = name


def _refuse_constant(name: str) -> float:
    raise _NotFinite(name)


def parse_json(
    raw: bytes | str, path: str | Path, error: type[Exception], what: str, *, allow_nan: bool = True
) -> Any:
    """The JSON value in ``raw`` (the bytes or text of ``path``), or ``error`` saying what is wrong.

    ``what`` names the kind of file in messages ("model file", "checkpoint"). ``allow_nan=False``
    refuses ``NaN`` and ``Infinity``, for files that ``json.dumps(..., allow_nan=False)`` wrote.
    """
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")  # a byte order mark is skipped, as the CSV reader does
        except UnicodeDecodeError as e:
            raise error(f"{path}: not a {what} (not UTF-8 text: {e.reason} at byte {e.start})") from None
    elif raw.startswith("\ufeff"):
        raw = raw[1:]
    try:
        if allow_nan:
            return json.loads(raw, parse_int=_parse_int)
        return json.loads(raw, parse_int=_parse_int, parse_constant=_refuse_constant)
    except json.JSONDecodeError as e:
        raise error(
            f"{path}: not a valid {what} (bad JSON at line {e.lineno}, column {e.colno}: {e.msg}); "
            "the file may be truncated or corrupt"
        ) from None
    except RecursionError:
        raise error(f"{path}: not a {what} (its JSON is nested too deeply to be one)") from None
    except _TooLarge as e:
        raise error(
            f"{path}: not a {what} (it holds an integer of {e.digits} digits, too large for a float)"
        ) from None
    except _NotFinite as e:
        raise error(f"{path}: not a {what} (it holds {e.name}, which micrograd never writes)") from None


def read_json(path: str | Path, error: type[Exception], what: str, *, allow_nan: bool = True) -> Any:
    """The JSON value stored at ``path``, or ``error`` (see ``parse_json``).

    A missing or unreadable file raises the ``OSError`` that names it, as ``open`` does.
    """
    return parse_json(Path(path).read_bytes(), path, error, what, allow_nan=allow_nan)

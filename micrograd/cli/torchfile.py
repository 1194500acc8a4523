"""``micrograd export`` and ``micrograd import``: a model.json as a PyTorch file, and back.

Both are thin layers over ``micrograd.pytorch.export_model`` and ``import_model``; torch is
imported only when one of them runs, and its absence is a one-line error naming ``pip install torch``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from .common import Command, CommandError


def _convert(convert: Callable[[str, str], None], source: str, out: str) -> None:
    """``convert(source, out)``, with every failure a ``CommandError``."""
    target = Path(out)
    if not target.parent.is_dir():
        raise CommandError(f"{out}: the directory {target.parent} does not exist")
    if target.exists() and target.resolve() == Path(source).resolve():
        raise CommandError(f"{out} is the file to read; give another file to write")
    try:
        convert(source, out)
    except ImportError as e:
        raise CommandError(str(e)) from None
    except ValueError as e:  # not an exported torch file, or weights that do not fit its layers
        raise CommandError(" ".join(str(e).split())) from None


def add_export_arguments(p: argparse.ArgumentParser) -> None:
    """Declare ``export``'s arguments on ``p``."""
    p.add_argument("model", metavar="MODEL.json", help="a model.json written by 'micrograd train'")
    p.add_argument(
        "out", metavar="OUT.pt", help="the PyTorch file to write (torch.load(..., weights_only=True))"
    )


def run_export(args: argparse.Namespace) -> int:
    """Write the model file as a torch file."""
    from ..pytorch import export_model

    _convert(export_model, args.model, args.out)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def add_import_arguments(p: argparse.ArgumentParser) -> None:
    """Declare ``import``'s arguments on ``p``."""
    p.add_argument("torch_file", metavar="FILE.pt", help="a torch file written by 'micrograd export'")
    p.add_argument("out", metavar="OUT.json", help="the model file to write")


def run_import(args: argparse.Namespace) -> int:
    """Write the torch file as a micrograd model file."""
    from ..pytorch import import_model

    with open(args.torch_file, "rb") as f:  # a missing file: main's "file not found"
        if f.read(4) != b"PK\x03\x04":
            raise CommandError(
                f"{args.torch_file}: not a torch file (torch.save writes a zip archive); "
                "give a file written by 'micrograd export'"
            )
    _convert(import_model, args.torch_file, args.out)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


EXPORT = Command("export", "write a trained model.json as a PyTorch file", add_export_arguments, run_export)
IMPORT = Command(
    "import", "write a PyTorch file made by 'export' back as a model.json", add_import_arguments, run_import
)

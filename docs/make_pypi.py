"""Write docs/pypi.md, the package's description on PyPI, from README.md.

Run from the repository root: ``python docs/make_pypi.py`` (``--check`` only
compares, and exits with status 1 when docs/pypi.md is out of date).
tests/test_docs.py regenerates the text and compares it with the file.

On PyPI a relative link or image of the README points nowhere, and the project
names no web address of its own, so the description is the README with its
pictures left out and each relative link turned into its text and the path of
the file (in the source distribution).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
PYPI_MD = REPO / "docs" / "pypi.md"

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ABSOLUTE = re.compile(r"^([a-z][a-z0-9+.-]*:|#)", re.I)  # a web address or an anchor in the page
_IMAGE_LINE = re.compile(r"^\s*(!\[[^\]]*\]\([^)]*\)|<img\b[^>]*>)\s*$")
_LINK = re.compile(r"(?<!!)\[([^\]]+)\]\(([^)\s]+)\)")


def _prose_line(line: str) -> str | None:
    """One line of the README outside code blocks as PyPI gets it (None: dropped)."""
    if _IMAGE_LINE.match(line):
        return None  # a picture of the README: its file is not on PyPI

    def unlink(m: re.Match) -> str:
        text, target = m.group(1), m.group(2)
        if _ABSOLUTE.match(target):
            return m.group(0)
        if text.strip("`") == target:
            return f"`{target}`"
        return f"{text} (`{target}`)"

    return _LINK.sub(unlink, line)


def generate(readme: str | None = None) -> str:
    """docs/pypi.md's text: README.md (or the Markdown ``readme``) without relative links and pictures."""
    out: list[str] = []
    fence = None  # the fence of the code block we are in, if any
    text = README.read_text(encoding="utf-8") if readme is None else readme
    for line in text.splitlines():
        m = _FENCE.match(line)
        if fence is not None:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = None
            out.append(line)  # code is kept as it is
            continue
        if m:
            fence = m.group(1)
        else:
            line = _prose_line(line)
            if line is None or (not line.strip() and out and not out[-1].strip()):
                continue  # a picture, or a second blank line where it was
        out.append(line)
    return "\n".join(out).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say whether docs/pypi.md is up to date")
    args = parser.parse_args(argv)
    text = generate()
    if args.check:
        current = PYPI_MD.read_text(encoding="utf-8") if PYPI_MD.exists() else ""
        if current != text:
            print("docs/pypi.md is out of date: run python docs/make_pypi.py", file=sys.stderr)
            return 1
        return 0
    PYPI_MD.write_text(text, encoding="utf-8")
    print(f"wrote {PYPI_MD.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Index arrays that are arithmetic patterns, read as strided views instead of gathers.

A batch reads the same weights for every point, so many index arrays are
``start + i * stride`` over a few nested dimensions; ``Reads`` turns those into
``as_strided`` views of the buffer (no copy) and gathers the rest.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.lib.stride_tricks import as_strided

__all__ = ["Reads", "affine_dims", "strided", "reader"]


def affine_dims(idx) -> list[tuple[int, int]] | None:
    """[(size, stride), ...] innermost first, with idx.ravel()[i] = idx[0] + sum(i_d * stride_d), or None.

    Each dimension is the longest run of equal steps at the front; the array
    fits it when every row of that length steps the same way (one comparison
    over a strided view of the steps), and the rows' first elements are then
    fitted in turn.
    """
    flat = idx.ravel()
    dims = []
    while flat.size > 1:
        steps = np.diff(flat)
        step = steps[0]
        off = steps != step
        run = int(off.argmax()) + 1 if off[off.argmax()] else flat.size
        if flat.size % run:
            return None
        if run < flat.size:  # each row's inner steps (every step but the one between rows)
            inner = as_strided(steps, (flat.size // run, run - 1), (run * steps.itemsize, steps.itemsize))
            if not (inner == step).all():
                return None
        dims.append((run, int(step)))
        flat = flat[::run]
    return dims


def _split(dims: list[tuple[int, int]], cuts: list[int]) -> list[tuple[int, int]]:
    """The same pattern over finer dimensions whose running sizes are ``cuts`` (innermost first)."""
    out, lo = [], 1
    for size, stride in dims:
        hi = lo * size
        for c in (c for c in cuts if lo <= c < hi):
            nxt = min(x for x in cuts + [hi] if x > c)
            out.append((nxt // c, stride * (c // lo)))
        lo = hi
    return out


def _common_shape(patterns: list[list[tuple[int, int]]], n: int) -> list[int] | None:
    """Running sizes (innermost first) that refine every pattern, or None if they do not nest."""
    cuts = sorted({1, n}.union(*({_prod(d[: i + 1]) for i in range(len(d))} for d in patterns)))
    if any(b % a for a, b in zip(cuts, cuts[1:], strict=False)):
        return None
    return cuts[:-1]


def _prod(dims) -> int:
    return math.prod(size for size, _ in dims)


class Reads:
    """Readers of several same-length index arrays (each into its own buffer), in one shared shape.

    Arithmetic patterns become strided views (no copy); the rest are gathered on
    each ``get``. ``shape`` is the shape every reader returns and every output
    block is reshaped to. A source is ``(buffer, index array)``, or ``(buffer,
    index array, pattern)`` where the caller knows the pattern. ``view(i)`` is
    reader i's strided view, or None where it gathers.
    """

    def __init__(self, sources: list[tuple]) -> None:
        n = sources[0][1].size
        pats = [src[2] if len(src) == 3 else affine_dims(src[1]) for src in sources]
        cuts = _common_shape([p for p in pats if p is not None], n)
        if cuts is None:  # patterns that do not nest: keep the first, gather the others
            keep = next(i for i, p in enumerate(pats) if p is not None)
            pats = [p if i == keep else None for i, p in enumerate(pats)]
            cuts = _common_shape([pats[keep]], n)
        sizes = [b // a for a, b in zip(cuts, cuts[1:] + [n], strict=False)]
        self.shape = tuple(reversed(sizes))
        self.readers = []
        for (buf, ix, *_), pat in zip(sources, pats, strict=False):
            if pat is None:
                self.readers.append((buf, None, ix.reshape(self.shape)))
            else:
                strides = tuple(s * buf.itemsize for _, s in reversed(_split(pat, cuts)))
                view = as_strided(buf[int(ix.flat[0]) :], self.shape, strides, writeable=False)
                self.readers.append((buf, view, None))

    def get(self, i: int):
        buf, view, ix = self.readers[i]
        return view if view is not None else buf[ix]

    def view(self, i: int):
        return self.readers[i][1]

    def __repr__(self) -> str:
        kinds = ", ".join("gather" if r[1] is None else "view" for r in self.readers)
        return f"Reads(shape={self.shape}, {kinds})"


def strided(buf: np.ndarray, ix: np.ndarray, writeable: bool = False) -> np.ndarray | None:
    """``buf[ix]`` as a view of ``buf`` when ``ix`` steps evenly along each of its axes, else None."""
    if ix.size == 0:
        return None
    base = int(ix.flat[0])
    steps = []
    expect = np.int64(base)
    for d, size in enumerate(ix.shape):  # base + the sum of step_d * i_d, one broadcast axis each
        at = [0] * ix.ndim
        at[d] = 1 if size > 1 else 0
        steps.append(int(ix[tuple(at)]) - base)
        shape = [1] * ix.ndim
        shape[d] = size
        expect = expect + (steps[-1] * np.arange(size)).reshape(shape)
    if not np.array_equal(expect, ix):
        return None
    return as_strided(buf[base:], ix.shape, tuple(s * buf.itemsize for s in steps), writeable=writeable)


def reader(buf: np.ndarray, ix: np.ndarray) -> Callable[[], np.ndarray]:
    """A function returning ``buf[ix]``: a fixed view where ``ix`` is strided, else a gather."""
    view = strided(buf, ix)
    if view is not None:
        return lambda: view
    ix = ix.copy()
    return lambda: buf[ix]

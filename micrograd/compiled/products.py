"""The matrix products of ``exact=False``'s grids at run time (``blas._plan_grid`` plans them).

Each function takes the views it runs on (values, gradients, the adders ``blas.into`` made)
and returns the closures; numbers from ``benchmarks/bench_compiled.py`` are in
``benchmarks/README.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np

__all__ = ["SMALL", "bias_adder", "by_rows", "gathered_grid", "outer", "row_blocks", "strided_grid"]

# OpenBLAS multiplies m x k by k x n with a kernel of its own for small problems (m * n * k up
# to 1e6), which on these narrow shapes (a batch of rows times a layer) is ~1.5x faster than its
# packed kernel: a big product runs as a few products below that size.
SMALL = 900_000


def row_blocks(rows: int, per_row: int) -> list[slice]:
    """Slices of ``rows`` into about equal blocks of at most ``SMALL / per_row`` rows (one slice
    where the whole product is small)."""
    n = max(1, -(-rows * per_row // SMALL))
    cuts = [rows * i // n for i in range(n + 1)]
    return [slice(a, b) for a, b in zip(cuts[:-1], cuts[1:], strict=True)]


def by_rows(blocks: list[slice], shape: tuple) -> Callable:
    """``np.matmul(a, b, out=None)`` for products of ``shape``, block of rows by block
    (``row_blocks``; plain ``np.matmul`` where there is one block)."""
    if len(blocks) == 1:
        return np.matmul

    def times(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        out = np.empty(shape) if out is None else out
        for s in blocks:
            np.matmul(a[s], b, out=out[s])
        return out

    return times


def strided_grid(x, rw, rb, z, gz, to_w, to_b):
    """A grid whose inputs X are a view: Z = X @ W.T + b; W gets gZ.T @ X (a sum over the rows:
    added block by block where it is big), b the columns' sums (a product with ones: BLAS, one
    pass over gZ)."""
    rows, cols = z.shape
    nin = x.shape[1]
    ones = np.ones(rows)
    add_bias = bias_adder(z, rb)
    blocks = row_blocks(rows, cols * nin)
    times = by_rows(blocks, z.shape)
    if len(blocks) == 1:

        def forward() -> None:
            np.matmul(x, rw().T, out=z)
            add_bias()

        grad_w = partial(np.matmul, gz.T, x)  # grad_w(out=...): no Python frame

    else:
        wt = np.empty((nin, cols))  # W.T contiguous: the small kernel's faster form
        pairs = [(gz[s].T, x[s]) for s in blocks]
        part = np.empty((cols, nin))

        def forward() -> None:
            np.copyto(wt, rw().T)
            times(x, wt, out=z)
            add_bias()

        def grad_w(out: np.ndarray) -> np.ndarray:
            np.matmul(*pairs[0], out=out)
            for a, b in pairs[1:]:
                np.matmul(a, b, out=part)
                np.add(out, part, out=out)
            return out

    def backward() -> None:
        if to_w.out is not None:
            grad_w(out=to_w.out)
        else:
            to_w(grad_w(out=np.empty((cols, nin))))
        if to_b.out is not None:
            np.matmul(ones, gz, out=to_b.out)
        else:
            to_b(ones @ gz)

    return forward, backward


def outer(g: np.ndarray, w: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """g (m, 1) times w (1, n) as einsum's outer product: with many rows, faster than the
    broadcast multiply, whose inner loop is one row of n."""
    return np.einsum("i,k->ik", g[:, 0], w[0], out=out)


def bias_adder(z: np.ndarray, rb: Callable[[], np.ndarray]) -> Callable[[], None]:
    """A function adding b (``rb()``) to every row of z. Narrow z: as k rows at a time, with b
    repeated k times in a buffer, so that numpy's inner loop runs over k rows, not one."""
    rows, cols = z.shape
    k = max((d for d in range(1, 512 // cols + 1) if rows % d == 0), default=1)
    if cols > 32 or k == 1 or rows * cols < 8192:

        def add() -> None:
            np.add(z, np.array(rb()), out=z)  # a contiguous copy of b: the faster broadcast

        return add
    tiled = np.empty((k, cols))
    flat, wide = tiled.reshape(k * cols), z.reshape(rows // k, k * cols)

    def add() -> None:
        tiled[...] = rb()
        np.add(wide, flat, out=wide)

    return add


def gathered_grid(val, x_ix, rw, rb, z, gz, to_w, to_b):
    """A grid whose inputs are gathered: Z = [X, 1] @ [W, b].T, one product and no pass adding b;
    [W, b] get gZ.T @ [X, 1], also one product. [X, 1] is kept transposed, so that the gather
    fills contiguous rows; [W, b].T is filled contiguous (BLAS's faster form)."""
    rows, nin = x_ix.shape
    xt = np.ones((nin + 1, rows))
    wa_t = np.empty((nin + 1, z.shape[1]))
    ix_t = np.ascontiguousarray(x_ix.T)

    def forward() -> None:
        xt[:nin] = val[ix_t]
        wa_t[:nin], wa_t[nin] = rw().T, rb()
        np.matmul(xt.T, wa_t, out=z)

    def backward() -> None:
        both = gz.T @ xt.T
        to_w(both[:, :nin])
        to_b(both[:, nin])

    return forward, backward

"""How much memory a training step of the eager engine needs, told before the graph is built.

The eager engine builds one ``Value`` per input and two per neuron (its ``w . x + b`` node and
its activation) for every example of a batch, and the backward pass walks the parameters too.
``step_bytes`` estimates that from the model's shape; ``available_bytes`` reads what the
machine can still give. ``micrograd train`` refuses a run whose estimate does not fit, with
what would (see docs/cli.md). The coefficients are measured, rounded up, by
``benchmarks/bench_memory.py``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

BYTES_PER_NEURON = 450  # per example: the neuron's two nodes, its slot in the next layer's inputs
BYTES_PER_INPUT = 300  # per example: an input Value, its float, the row's list slot
BYTES_PER_OUTPUT = 1500  # per example and output: the loss's nodes (log-softmax takes most)
BYTES_PER_PARAMETER = 900  # the Value, its gradient, the optimizer's state, the backward walk
# the compiled engine keeps the eager graph of its batch and, per weight and example, the program's
# arrays (indices, values, adjoints), plus per parameter its tables
COMPILED_PER_WEIGHT_USE = 450
COMPILED_PER_PARAMETER = 2000


def _parameters(nin: int, nouts: Sequence[int]) -> int:
    sizes = [nin, *nouts]
    return sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))


def step_bytes(nin: int, nouts: Sequence[int], batch: int, engine: str = "eager") -> int:
    """Estimated bytes of one training step of an ``MLP(nin, nouts)`` on ``batch`` examples with
    ``engine`` (``"eager"`` or ``"compiled"``)."""
    parameters = _parameters(nin, nouts)
    per_example = BYTES_PER_INPUT * nin + BYTES_PER_NEURON * sum(nouts) + BYTES_PER_OUTPUT * nouts[-1]
    need = batch * per_example + BYTES_PER_PARAMETER * parameters
    if engine == "compiled":
        need += batch * parameters * COMPILED_PER_WEIGHT_USE + COMPILED_PER_PARAMETER * parameters
    return need


def largest_batch(nin: int, nouts: Sequence[int], budget: int, engine: str = "eager") -> int:
    """The most examples per step whose estimate fits in ``budget`` bytes (0 if the model alone does not)."""
    fixed = step_bytes(nin, nouts, 0, engine)
    per_example = step_bytes(nin, nouts, 1, engine) - fixed
    return max(0, (budget - fixed) // per_example)


def _cgroup_room() -> int | None:
    """What the control group (a container's memory limit, cgroup v2) still allows, if it sets one."""
    base = Path("/sys/fs/cgroup")
    try:
        limit = (base / "memory.max").read_text().strip()
        used = int((base / "memory.current").read_text())
    except (OSError, ValueError):
        return None
    return None if limit == "max" else max(0, int(limit) - used)


def available_bytes(meminfo: str | Path = "/proc/meminfo") -> int | None:
    """Memory the process can still take: ``MemAvailable`` of ``meminfo`` (Linux), else
    ``os.sysconf``'s available pages, within a container's limit; None when neither can be read
    (then no run is refused for memory)."""
    found = None
    try:
        with open(meminfo) as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    found = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        pass
    if found is None:
        try:
            found = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (AttributeError, OSError, ValueError):
            return None
    room = _cgroup_room()
    return found if room is None else min(found, room)


def gigabytes(n: int) -> str:
    """``n`` bytes as a short figure: 12.3 GB, 850 MB."""
    if n >= 100e9:
        return f"{n / 1e9:,.0f} GB"
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"


def refusal(nin: int, nouts: Sequence[int], batch: int, engine: str, available: int | None) -> str | None:
    """Why a training step of ``MLP(nin, nouts)`` on ``batch`` examples with ``engine`` cannot fit in
    ``available`` bytes, and what would fit; None when it fits (or ``available`` is unknown)."""
    need = step_bytes(nin, nouts, batch, engine)
    if available is None or need <= available:
        return None
    said = (
        f"a training step of MLP({nin}, {list(nouts)}) on {batch:,} examples with the {engine} engine "
        f"needs about {gigabytes(need)} of memory, but {gigabytes(available)} is available"
    )
    fits = largest_batch(nin, nouts, available)  # mini-batches run on the eager engine (auto)
    if fits < 1:
        return f"{said}; the model alone does not fit: choose smaller layers (--hidden)"
    ways = [f"mini-batches (--batch-size {min(fits, batch - 1):,} or smaller fits)"]
    if engine == "compiled" and step_bytes(nin, nouts, batch) <= available:
        ways.insert(0, f"--engine eager (about {gigabytes(step_bytes(nin, nouts, batch))})")
    return f"{said}; use {' or '.join(ways)}, or a smaller model (--hidden)"

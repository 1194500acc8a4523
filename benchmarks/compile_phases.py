"""Where compiling the moons demo's graph spends its time: each phase of ``micrograd.compile``.

Builds the demo's graph (batch 100, MLP 2-16-16-1, hinge loss + 1e-4 L2) and
compiles it phase by phase, a fresh graph each round, in this one process,
with the cycle collector on, as always. The phases are those ``Program()``
runs (``micrograd.compiled.program.compile_steps``):

* walk: the depth-first walk numbering every node in the eager order;
* kinds: each node's primitive as a code;
* edges: every child's id as arrays (SUM nodes from their tuples; a DOT node's stay in its tuples);
* lower: flattening, terms, levels and groups;
* plan: index arrays, views, buffers and the gradient order;

and the same phases for ``exact=False`` (its lowering makes no contribution
keys; ``blas.plan_inexact`` runs the grids of DOT nodes as matrix products),
with the total they make.

Beside them, not in the total, the alternative to the compiled backend's own
walk on the same graph: the engine's ``topological_order(root, leaves=False)``,
alone and followed by the numbering pass that would make the same ``Walk``
from it (the compiled walk is kept only while it is faster).

Run:  python benchmarks/compile_phases.py [--repeats 25]
Prints the median of each phase and of the total, and the median eager step
(build the graph, backward, update) timed in turns with them.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_compiled import demo_loss, moons  # noqa: E402  (the same graph as the benchmark's)

from micrograd.compiled.program import compile_steps  # noqa: E402
from micrograd.compiled.walk import Walk  # noqa: E402
from micrograd.engine import topological_order  # noqa: E402
from micrograd.nn import MLP  # noqa: E402

PHASES = ["walk", "kinds", "edges", "lower", "plan"]
LOWER_INEXACT = "lower, exact=False"
INEXACT = "plan, exact=False (blas.plan_inexact, instead of plan)"
INEXACT_TOTAL = "total, exact=False"
ENGINE_WALK = "engine walk (topological_order, not in the total)"
ENGINE_WALK_IDS = "engine walk + numbering (not in the total)"


def walk_from_engine(root) -> Walk:
    """The compiled ``walk``'s result made from ``topological_order`` and a numbering pass."""
    order = topological_order(root, leaves=False)
    ids = {node: i for i, node in enumerate(order)}
    leaves: list = []
    lens: list = []
    children: list = []
    tables: list = [[]]
    table_of = {id(()): 0}
    pairs: list = []
    get = ids.get

    def ids_of(nodes) -> list[int]:
        out = []
        for c in nodes:
            j = get(c)
            if j is None:  # a leaf met for the first time
                j = ids[c] = ~len(leaves)
                leaves.append(c)
            out.append(j)
        return out

    for i, node in enumerate(order):
        if type(node._a) is tuple:
            keys = []
            for t in (node._a, node._b):
                k = table_of.get(id(t))
                if k is None:
                    k = table_of[id(t)] = len(tables)
                    tables.append(ids_of(t))
                keys.append(k)
            lens.append(0)
            pairs += (i, *keys)
        else:
            kids = ids_of(node._children)
            lens.append(len(kids))
            children += kids
    return Walk(order, lens, children, ids, leaves, tables, pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=25, help="rounds (medians taken)")
    args = parser.parse_args()

    X, y = moons(100)
    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    params = model.parameters()

    names = [*PHASES, "total", LOWER_INEXACT, INEXACT, INEXACT_TOTAL, "eager step"]
    names += [ENGINE_WALK, ENGINE_WALK_IDS]
    times: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(args.repeats):
        gc.collect()
        t = time.perf_counter()
        _, total = demo_loss(model, X, y)
        model.zero_grad()
        total.backward()
        for p in params:
            p.data -= 0.0 * p.grad
        times["eager step"].append(time.perf_counter() - t)
        gc.collect()
        marks = [time.perf_counter()]
        done = []
        for name, result in compile_steps(total, params):
            marks.append(time.perf_counter())
            done.append((name, result))
        for name, a, b in zip(PHASES, marks[:-1], marks[1:], strict=True):
            times[name].append(b - a)
        times["total"].append(marks[-1] - marks[0])
        t = time.perf_counter()
        topological_order(total, leaves=False)
        times[ENGINE_WALK].append(time.perf_counter() - t)
        t = time.perf_counter()
        alternative = walk_from_engine(total)
        times[ENGINE_WALK_IDS].append(time.perf_counter() - t)
        assert [name for name, _ in done] == PHASES, done
        assert alternative.order == done[0][1].order and len(alternative.pairs) == len(done[0][1].pairs)
        del done, result, alternative  # the exact=False compile starts from the same memory
        gc.collect()
        fast = [time.perf_counter()]
        for _ in compile_steps(total, params, exact=False):
            fast.append(time.perf_counter())
        times[LOWER_INEXACT].append(fast[4] - fast[3])
        times[INEXACT].append(fast[5] - fast[4])
        times[INEXACT_TOTAL].append(fast[5] - fast[0])
        del total
    print(f"compiling the demo's graph, medians of {args.repeats} rounds:")
    print()
    print("| phase | time |")
    print("|---|---|")
    for name in names:
        print(f"| {name} | {statistics.median(times[name]) * 1e3:.2f} ms |")
    ratio = statistics.median(c / s for c, s in zip(times["total"], times["eager step"], strict=True))
    fast = statistics.median(c / s for c, s in zip(times[INEXACT_TOTAL], times["eager step"], strict=True))
    print()
    print(f"compile / eager step: {ratio:.2f}x (median of the rounds' ratios)")
    print(f"compile exact=False / eager step: {fast:.2f}x (median of the rounds' ratios)")
    for other in (ENGINE_WALK, ENGINE_WALK_IDS):
        walks = statistics.median(c / e for c, e in zip(times["walk"], times[other], strict=True))
        print(f"compiled walk / {other.split(' (')[0]}: {walks:.2f}x (median of the rounds' ratios)")


if __name__ == "__main__":
    main()

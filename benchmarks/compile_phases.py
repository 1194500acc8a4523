"""Where compiling the moons demo's graph spends its time: each phase of ``micrograd.compile``.

Builds the demo's graph (batch 100, MLP 2-16-16-1, hinge loss + 1e-4 L2) and
compiles it phase by phase, a fresh graph each round, in this one process:

* walk: ``_walk``, the depth-first walk numbering every node in the eager order;
* edges: ``_edges``, every child's id as arrays (n-ary nodes from their tuples);
* kinds: ``_kinds``, each node's primitive as a code;
* build: ``Program._build``, flattening, terms, levels and groups;
* plan: ``Program._plan``, index arrays, views, buffers and the gradient order.

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

from micrograd.compile import Program, _edges, _kinds, _no_gc, _walk  # noqa: E402
from micrograd.nn import MLP  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=25, help="rounds (medians taken)")
    args = parser.parse_args()

    X, y = moons(100)
    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    params = model.parameters()

    names = ["walk", "edges", "kinds", "build", "plan", "total", "eager step"]
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
        with _no_gc():  # as Program() does
            order, children, ids, met, tables, pairs = _walk(total)
            marks.append(time.perf_counter())
            lens, child, tabled = _edges(children, tables, pairs)
            marks.append(time.perf_counter())
            kind = _kinds(order)
            marks.append(time.perf_counter())
            prog = Program.__new__(Program)
            prog.root = total
            prog._build(order, lens, child, tabled, ids, met, kind, list(params))
            marks.append(time.perf_counter())
            prog._plan()
            marks.append(time.perf_counter())
        for name, a, b in zip(names, marks, marks[1:], strict=False):
            times[name].append(b - a)
        times["total"].append(marks[-1] - marks[0])
        del total, prog, order, children, ids, met, child
    print(f"compiling the demo's graph, medians of {args.repeats} rounds:")
    print()
    print("| phase | time |")
    print("|---|---|")
    for name in names:
        print(f"| {name} | {statistics.median(times[name]) * 1e3:.2f} ms |")
    ratio = statistics.median(c / s for c, s in zip(times["total"], times["eager step"], strict=True))
    print()
    print(f"compile / eager step: {ratio:.2f}x (median of the rounds' ratios)")


if __name__ == "__main__":
    main()

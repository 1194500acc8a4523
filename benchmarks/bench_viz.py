"""How long the graph pictures take on big graphs: draw_dot (building, then dot rendering) and draw_html.

    python benchmarks/bench_viz.py            # the lecture's MLP loss and the moons loss on 1 and 4 samples
    python benchmarks/bench_viz.py --full    # also the full moons loss (draw_dot only; see --render-full)

Graphs: the MLP(3, [4, 4, 1]) sum-of-squares loss over the 4 samples of Karpathy's lecture,
and the moons demo's loss (MLP(2, [16, 16, 1]), hinge + L2) on the first n
samples. Times are medians of --repeat runs; rendering calls Graphviz `dot`.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from micrograd.engine import Value, topological_order  # noqa: E402
from micrograd.nn import MLP  # noqa: E402
from micrograd.viz import draw_dot, draw_html, large_graph_attrs  # noqa: E402


def lecture_mlp_loss() -> Value:
    random.seed(1337)
    mlp = MLP(3, [4, 4, 1], activation="tanh")
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    loss = sum((mlp(x) - y) ** 2 for x, y in zip(xs, ys, strict=True))
    loss.backward()
    return loss


def moons_loss(n: int) -> Value:
    import numpy as np
    from sklearn.datasets import make_moons

    np.random.seed(1337)
    random.seed(1337)
    X, y = make_moons(n_samples=100, noise=0.1)
    y = y * 2 - 1
    model = MLP(2, [16, 16, 1])
    scores = [model(list(map(Value, row))) for row in X[:n]]
    losses = [(1 + -yi * si).relu() for yi, si in zip(y[:n], scores, strict=True)]
    loss = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters())
    loss.backward()
    return loss


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement; the median is reported")
    ap.add_argument(
        "--full", action="store_true", help="also build draw_dot for the full 100-sample moons loss"
    )
    ap.add_argument("--render-full", action="store_true", help="also render the full moons loss (very slow)")
    args = ap.parse_args()

    cases = [
        ("lecture MLP loss, 4 samples", lecture_mlp_loss),
        ("moons loss, 1 sample", lambda: moons_loss(1)),
    ]
    cases.append(("moons loss, 4 samples", lambda: moons_loss(4)))
    if args.full:
        cases.append(("moons loss, 100 samples", lambda: moons_loss(100)))
    print(
        f"{'graph':<26} {'values':>7} {'dot nodes':>9} {'draw_dot':>9} {'dot -> svg':>11} {'draw_html':>10}"
    )
    for name, make in cases:
        root = make()
        nodes = topological_order(root)
        drawn = len(nodes) + sum(1 for n in nodes if n._a is not None)
        build = timed(lambda root=root: draw_dot(root, max_nodes=None), args.repeat)
        full = len(nodes) > 20000
        render = html = "-"
        if not full or args.render_full:
            graph = draw_dot(root, max_nodes=None)
            render = f"{timed(lambda graph=graph: graph.pipe(format='svg'), 1 if full else args.repeat):.2f}s"
        if len(nodes) < 2000:
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / "g.html"
                html = f"{timed(lambda root=root, out=out: draw_html(root, out), args.repeat):.2f}s"
        print(f"{name:<26} {len(nodes):>7} {drawn:>9} {build:>8.2f}s {render:>11} {html:>10}", flush=True)
    print(f"\ndot settings beyond 1500 drawn nodes, e.g. for 3000: {large_graph_attrs(3000)}")


if __name__ == "__main__":
    main()

"""How draw_html's page scales: writing it, then opening, stepping and recomputing it in Chromium.

    python benchmarks/bench_page.py                 # 500, 1000, 2000 and 5000 values
    python benchmarks/bench_page.py --sizes 2000    # just one size

The graph is a neuron over n/4 inputs (``tanh(b + x0*w0 + x1*w1 + ...)``, a chain of
``+`` and ``*``), laid out by the built-in layout (``layout='simple'``) so Graphviz does
not dominate. "write" is ``draw_html``; "open" is Chromium loading the page until its
load event (the lab builds its rows and computes every slope then); "step" is one
arrow-key step; "set" is ``micrograd.set`` on one leaf (a forward and backward pass,
then every leaf's slope). Medians of --repeat runs. Needs Playwright and /usr/bin/chromium.
It measures where draw_html's ``max_nodes`` limit sits (``micrograd.viz.page.MAX_NODES``).
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
from micrograd.viz import draw_html  # noqa: E402

ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"]


def neuron(values: int) -> Value:
    rng = random.Random(14)
    t = Value(0.1, label="b")
    for i in range(values // 4):
        t = t + Value(rng.random(), label=f"x{i}") * Value(rng.random(), label=f"w{i}")
    return t.tanh()


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[500, 1000, 2000, 5000], help="values per graph")
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement; the median is reported")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    print(f"{'values':>7} {'write':>8} {'MB':>6} {'open':>8} {'step':>8} {'set':>8}")
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for size in args.sizes:
            root = neuron(size)
            n = len(topological_order(root))
            path = Path(tmp) / f"g{size}.html"
            write = timed(lambda r=root, p=path, n=n: draw_html(r, p, layout="simple", max_nodes=n), 1)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            url = path.resolve().as_uri()
            opened = timed(lambda page=page, url=url: page.goto(url, timeout=300_000), args.repeat)
            step = timed(lambda page=page: page.keyboard.press("ArrowRight"), 5 * args.repeat)
            x = [0.25]

            def set_leaf(page=page, x=x):
                x[0] += 0.125
                page.evaluate("x => micrograd.set('x0', x)", x[0])

            recompute = timed(set_leaf, args.repeat)
            page.close()
            mb = path.stat().st_size / 1e6
            print(
                f"{n:>7} {write:>7.2f}s {mb:>6.1f} {opened:>7.2f}s {step * 1000:>6.0f}ms {recompute:>7.2f}s",
                flush=True,
            )
        browser.close()


if __name__ == "__main__":
    main()

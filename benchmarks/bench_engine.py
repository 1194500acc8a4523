"""Eager engine vs the original micrograd 0.1.0 on the moons demo of Karpathy's micrograd notebook.

Each measurement runs in a fresh interpreter with default settings (garbage
collector on, default thresholds), the two engines alternating, and the table
reports medians and the ratio original / ours:

- the full demo: 100 SGD steps on make_moons(100, noise=0.1), MLP(2, [16, 16, 1]),
  SVM max-margin loss + 1e-4 L2, exactly the notebook's code;
- memory per graph node: tracemalloc over one forward pass of the demo's loss,
  divided by the number of Value nodes that forward pass created;
- a 1,000,000-node chain: forward and backward times (the original's recursive
  topological sort raises RecursionError there).

Usage:  python benchmarks/bench_engine.py [--repeats N] [--original-dir DIR] [--baseline DIR]
The original is installed into DIR (default: a cache folder under the system
temp dir) with `pip install --target DIR --no-deps micrograd==0.1.0` if missing.
``--baseline DIR`` adds another copy of this project (say, main before a change),
measured in the same interleaved runs; ``--no-grad-thread`` adds ours beside another
thread that sits inside ``no_grad()``. ``--steps`` and ``--chain`` shrink the work.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# The demo exactly as the notebook writes it; ENGINE_DIR goes first on sys.path.
DEMO = r"""
import json, random, sys, time
sys.path.insert(0, ENGINE_DIR)
import numpy as np
from sklearn.datasets import make_moons
from micrograd.engine import Value
from micrograd.nn import MLP
assert __import__("micrograd").__file__.startswith(ENGINE_DIR), "wrong micrograd imported"

np.random.seed(1337)
random.seed(1337)
X_moons, y_moons = make_moons(n_samples=100, noise=0.1)
y_moons = y_moons * 2 - 1
model = MLP(2, [16, 16, 1])

def loss():
    inputs = [list(map(Value, xrow)) for xrow in X_moons]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y_moons, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum((p * p for p in model.parameters()))
    total_loss = data_loss + reg_loss
    accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y_moons, scores)]
    return total_loss, sum(accuracy) / len(accuracy)
"""

FULL_DEMO = (
    DEMO
    + r"""
start = time.perf_counter()
for k in range(STEPS):
    total_loss, acc = loss()
    model.zero_grad()
    total_loss.backward()
    learning_rate = 1.0 - 0.9 * k / 100
    for p in model.parameters():
        p.data -= learning_rate * p.grad
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "final_loss": float(total_loss.data), "final_accuracy": acc}))
"""
)

MEMORY = (
    DEMO
    + r"""
import tracemalloc
def nodes_under(root):
    seen, stack = {id(root)}, [root]
    while stack:
        node = stack.pop()
        for child in node._prev:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen)
params = len(model.parameters())
tracemalloc.start()
total_loss, acc = loss()
current, peak = tracemalloc.get_traced_memory()
tracemalloc.stop()
created = nodes_under(total_loss) - params  # the parameters existed before the forward pass
print(json.dumps({"bytes": current, "nodes": created}))
"""
)

CHAIN = r"""
import json, sys, time
sys.path.insert(0, ENGINE_DIR)
from micrograd.engine import Value
x = Value(1.0)
start = time.perf_counter()
y = x
for _ in range(CHAIN):
    y = y * 1.0000001
forward = time.perf_counter() - start
start = time.perf_counter()
try:
    y.backward()
except RecursionError:
    print(json.dumps({"forward": forward, "backward": None, "error": "RecursionError"}))
else:
    print(json.dumps({"forward": forward, "backward": time.perf_counter() - start, "grad": x.grad}))
"""


# With --no-grad-thread: another thread sits inside no_grad() the whole run, so every
# operation of the measured thread reads its own grad mode (the slow path of _node).
HOLD = r"""
import sys, threading
sys.path.insert(0, ENGINE_DIR)
from micrograd.engine import no_grad
_inside = threading.Event()
def _hold():
    with no_grad():
        _inside.set()
        threading.Event().wait()
threading.Thread(target=_hold, daemon=True).start()
_inside.wait()
"""


def run(code: str, engine: tuple[Path, bool], steps: int = 100, chain: int = 1_000_000) -> dict:
    engine_dir, hold = engine
    program = (
        f"ENGINE_DIR = {str(engine_dir)!r}\nSTEPS = {steps}\nCHAIN = {chain}\n"
        + (HOLD if hold else "")
        + code
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, cwd=tempfile.gettempdir()
    )
    if done.returncode != 0:
        raise SystemExit(f"benchmark subprocess failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def ensure_original(target: Path) -> Path:
    if not (target / "micrograd" / "engine.py").exists():
        print(f"installing micrograd==0.1.0 into {target} ...", flush=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target)]
            + ["micrograd==0.1.0"],
            check=True,
        )
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="full-demo runs per engine (default 3)")
    parser.add_argument(
        "--original-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "micrograd-0.1.0",
        help="where micrograd 0.1.0 is (or gets) installed",
    )
    parser.add_argument("--baseline", type=Path, help="another checkout of this project to measure alongside")
    parser.add_argument("--no-original", action="store_true", help="leave the original out (with --baseline)")
    parser.add_argument(
        "--no-grad-thread", action="store_true", help="also measure ours beside a thread inside no_grad()"
    )
    parser.add_argument("--steps", type=int, default=100, help="SGD steps of the demo (default 100)")
    parser.add_argument("--chain", type=int, default=1_000_000, help="nodes in the chain (default 1,000,000)")
    args = parser.parse_args()
    # the runs start in a temp folder, so every folder they import from must be absolute
    engines = {"ours": (REPO, False)}
    if not args.no_original:
        engines["original 0.1.0"] = (ensure_original(args.original_dir.resolve()), False)
    if args.baseline is not None:
        baseline = args.baseline.resolve()
        if not (baseline / "micrograd" / "engine.py").exists():
            parser.error(f"--baseline {args.baseline}: no micrograd/engine.py there")
        engines["baseline"] = (baseline, False)
    if args.no_grad_thread:
        engines["ours, a thread in no_grad()"] = (REPO, True)

    demo: dict[str, list[dict]] = {name: [] for name in engines}
    for i in range(args.repeats):
        for name, path in engines.items():
            demo[name].append(run(FULL_DEMO, path, args.steps))
            print(f"  demo run {i + 1}/{args.repeats} {name}: {demo[name][-1]['seconds']:.2f} s", flush=True)
    memory = {name: run(MEMORY, path) for name, path in engines.items()}
    chain = {name: run(CHAIN, path, chain=args.chain) for name, path in engines.items()}

    report(args, engines, demo, memory, chain)


def report(args: argparse.Namespace, engines: dict, demo: dict, memory: dict, chain: dict) -> None:
    """The table: a column per engine, then each other engine's figure over ours."""
    names = list(engines)
    others = names[1:]
    seconds = {name: statistics.median(r["seconds"] for r in runs) for name, runs in demo.items()}
    per_node = {name: m["bytes"] / m["nodes"] for name, m in memory.items()}

    def row(measure: str, cells: dict, ratios: dict | None = None) -> None:
        ratio_cells = [ratios[name] if ratios else "" for name in others]
        print(f"| {measure} | " + " | ".join([cells[name] for name in names] + ratio_cells) + " |")

    def over_ours(values: dict) -> dict:
        return {name: f"{values[name] / values['ours']:.2f}x" for name in others}

    print()
    print(
        f"| measure (median of {args.repeats}) | "
        + " | ".join(names + [f"{n} / ours" for n in others])
        + " |"
    )
    print("|---" * (1 + len(names) + len(others)) + "|")
    row(f"full demo, {args.steps} steps (s)", {n: f"{seconds[n]:.2f}" for n in names}, over_ours(seconds))
    row("one step (ms)", {n: f"{seconds[n] * 1000 / args.steps:.1f}" for n in names})
    row("final loss", {n: repr(demo[n][0]["final_loss"]) for n in names})
    row("Value nodes made by one forward pass", {n: str(memory[n]["nodes"]) for n in names})
    row(
        "memory of one forward pass (MiB)",
        {n: f"{memory[n]['bytes'] / 2**20:.1f}" for n in names},
        over_ours({n: memory[n]["bytes"] for n in names}),
    )
    row("memory per graph node (bytes)", {n: f"{per_node[n]:.0f}" for n in names}, over_ours(per_node))
    for phase in ("forward", "backward"):
        cells = {
            n: f"{chain[n][phase]:.2f}" if chain[n][phase] is not None else chain[n]["error"] for n in names
        }
        row(f"{args.chain:,}-node chain, {phase} (s)", cells)


if __name__ == "__main__":
    main()

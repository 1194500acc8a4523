"""Benchmark: the compiled backend vs PyTorch, the eager engine and the original micrograd.

One training step of the moons demo of Karpathy's micrograd notebook (forward,
backward, SGD update, the accuracy read from the scores) measured side by side
in one run:

* compiled: ``micrograd.compile(loss, model.parameters())`` once, then per step
  ``forward_array()``, ``values(scores)``, ``backward_array()`` and the update
  ``prog.param_data -= lr * prog.param_grad`` (the parameters live in the
  program's array; bit-identical to the Value loop);
* compiled through the Values: per step ``forward()``, ``values(scores)``,
  ``zero_grad()``, ``backward()`` and the plain ``p.data -= lr * p.grad`` loop;
* PyTorch: float64, a batched ``nn.Linear`` 2-H-H-1 model with ReLU, the same
  SVM hinge loss + 1e-4 L2, ``torch.optim.SGD``, on ``torch.set_num_threads(T)``;
* eager: this package's engine, graph rebuilt every step (as the demo does), in a
  fresh process that imports only what the demo needs (numpy, scikit-learn,
  micrograd): the eager engine's time grows with the Python heap (the cycle
  collector rescans it), so it is not timed inside this process full of torch
  and compiled graphs. The compile time compared with it is measured in that
  same process, in turns with it (an eager step, then compiling the graph that
  step built), and the ratio is the median of the rounds' ratios (the package
  ``micrograd.compiled`` is imported before the first round: where Python may
  not cache bytecode, PYTHONDONTWRITEBYTECODE=1, importing it compiles its
  source, once per process);
* original: karpathy's micrograd 0.1.0 from PyPI, in a subprocess (its import
  name collides with ours); installed into a scratch directory if missing.

Run:  python benchmarks/bench_compiled.py [--repeats 30] [--threads 1] [--quick]
Times are medians over repeats; ratios are taken within this one run. For the
demo size the compiled and PyTorch steps are timed in turns (10 x repeats
rounds), so both see the same load on a shared machine.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import micrograd  # noqa: E402
import micrograd.compiled  # noqa: E402, F401  (imported before any timed compile)
from micrograd.engine import Value  # noqa: E402
from micrograd.nn import MLP  # noqa: E402

ORIG_DIR = Path(os.environ.get("MICROGRAD_ORIG", "/tmp/orig"))


def moons(n: int):
    from sklearn.datasets import make_moons

    np.random.seed(1337)
    X, y = make_moons(n_samples=n, noise=0.1)
    return X, y * 2 - 1


def demo_loss(model, X, y):
    """The demo's loss: SVM hinge on the scores, mean over the batch, plus 1e-4 * sum(p^2)."""
    inputs = [list(map(Value, row)) for row in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores, strict=True)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    return scores, data_loss + reg_loss


def median_time(fn, repeats: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def compiled_case(n: int, width: int, repeats: int) -> dict:
    X, y = moons(n)
    random.seed(1337)
    model = MLP(2, [width, width, 1])
    params = model.parameters()
    t = time.perf_counter()
    scores, total = demo_loss(model, X, y)
    build = time.perf_counter() - t
    gc.collect()
    t = time.perf_counter()
    prog = micrograd.compile(total, params)
    compile_s = time.perf_counter() - t
    k = [0]
    positive = y > 0

    def step():  # the parameters in the program's array
        prog.forward_array()
        np.mean(positive == (prog.values(scores) > 0))
        prog.backward_array()
        prog.param_data -= (1.0 - 0.9 * (k[0] % 100) / 100) * prog.param_grad
        k[0] += 1

    def value_step():  # the parameters in the Values, as the notebook's loop has them
        prog.forward()
        np.mean(positive == (prog.values(scores) > 0))
        model.zero_grad()
        prog.backward()
        lr = 1.0 - 0.9 * (k[0] % 100) / 100
        for p in params:
            p.data -= lr * p.grad
        k[0] += 1

    def values_step():
        prog.sync_to_values()  # (untimed) the array path's parameters into the Values, and back
        t = time.perf_counter()
        value_step()
        elapsed = time.perf_counter() - t
        prog.read_leaves()
        return elapsed

    prog.read_leaves()
    out = {"compile": compile_s, "build": build, "prog": repr(prog), "fns": (step, values_step)}
    if repeats:
        out["step"] = median_time(step, repeats)
        out["values"] = statistics.median(values_step() for _ in range(repeats))
    return out


EAGER_SCRIPT = r"""
import gc, json, random, statistics, sys, time
sys.path.insert(0, sys.argv[1])
import numpy as np
from sklearn.datasets import make_moons
import micrograd
import micrograd.compiled  # imported here, not inside the first timed compile
from micrograd.engine import Value
from micrograd.nn import MLP
np.random.seed(1337); random.seed(1337)
X, y = make_moons(n_samples=int(sys.argv[2]), noise=0.1); y = y * 2 - 1
model = MLP(2, [16, 16, 1])
def loss():
    inputs = [list(map(Value, row)) for row in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    return sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters())
times, compiles = [], []
for k in range(int(sys.argv[3])):  # in turns: an eager step, then compiling the graph it built
    gc.collect()
    t = time.perf_counter()
    total = loss()
    model.zero_grad(); total.backward()
    for p in model.parameters(): p.data -= 0.5 * p.grad
    times.append(time.perf_counter() - t)
    gc.collect()
    t = time.perf_counter()
    micrograd.compile(total, model.parameters())
    compiles.append(time.perf_counter() - t)
    del total
ratios = [c / t for c, t in zip(compiles, times)]
print(json.dumps({"step": statistics.median(times), "compile": statistics.median(compiles),
                  "ratio": statistics.median(ratios), "worst": max(ratios)}))
"""


def eager_step(n: int, repeats: int) -> dict:
    """The eager step and the compile time, in a fresh process with only the demo's imports."""
    out = subprocess.run(
        [sys.executable, "-c", EAGER_SCRIPT, str(ROOT), str(n), str(repeats)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def torch_step(n: int, width: int, repeats: int, threads: int) -> float:
    import torch

    torch.set_num_threads(threads)
    X, y = moons(n)
    Xt = torch.tensor(X, dtype=torch.float64)
    yt = torch.tensor(y, dtype=torch.float64)
    torch.manual_seed(1337)
    model = torch.nn.Sequential(
        torch.nn.Linear(2, width),
        torch.nn.ReLU(),
        torch.nn.Linear(width, width),
        torch.nn.ReLU(),
        torch.nn.Linear(width, 1),
    ).double()
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    k = [0]

    def step():
        scores = model(Xt).squeeze(1)
        loss = torch.relu(1 - yt * scores).mean() + 1e-4 * sum((p * p).sum() for p in model.parameters())
        ((yt > 0) == (scores > 0)).double().mean().item()
        opt.zero_grad()
        loss.backward()
        for group in opt.param_groups:
            group["lr"] = 1.0 - 0.9 * (k[0] % 100) / 100
        opt.step()
        loss.item()
        k[0] += 1

    return median_time(step, repeats, warmup=5) if repeats else step


def interleaved(fns: list, repeats: int) -> list[float]:
    """Median time of each function, timed in turns (one call of each per round), so that a change
    in the machine's load during the run hits them all alike. A function may return its own time."""
    for fn in fns:
        for _ in range(5):
            fn()
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for fn, ts in zip(fns, times, strict=True):
            t = time.perf_counter()
            own = fn()
            ts.append(own if isinstance(own, float) else time.perf_counter() - t)
    return [statistics.median(ts) for ts in times]


ORIG_SCRIPT = r"""
import sys, time, random, statistics, json
sys.path.insert(0, sys.argv[1])
import numpy as np
from sklearn.datasets import make_moons
from micrograd.engine import Value
from micrograd.nn import MLP
assert 'orig' in __import__('micrograd').__file__ or True
np.random.seed(1337); random.seed(1337)
X, y = make_moons(n_samples=int(sys.argv[2]), noise=0.1); y = y * 2 - 1
model = MLP(2, [16, 16, 1])
times = []
for k in range(int(sys.argv[3])):
    t = time.perf_counter()
    inputs = [list(map(Value, row)) for row in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    total = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters())
    model.zero_grad(); total.backward()
    for p in model.parameters(): p.data -= 0.5 * p.grad
    times.append(time.perf_counter() - t)
print(json.dumps({"step": statistics.median(times), "file": __import__('micrograd').__file__}))
"""


def original_step(n: int, repeats: int) -> dict:
    if not (ORIG_DIR / "micrograd" / "engine.py").exists():
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--target", str(ORIG_DIR), "--no-deps"]
            + ["micrograd==0.1.0"],
            check=True,
        )
    out = subprocess.run(
        [sys.executable, "-c", ORIG_SCRIPT, str(ORIG_DIR), str(n), str(repeats)],
        capture_output=True,
        text=True,
        check=True,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    result = json.loads(out.stdout)
    if not result["file"].startswith(str(ORIG_DIR)):
        raise RuntimeError(f"the original micrograd did not load from {ORIG_DIR}: {result['file']}")
    return result


def fmt(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.0f} us"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=30, help="timed steps per case (median taken)")
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads for PyTorch")
    parser.add_argument("--quick", action="store_true", help="only the demo size (batch 100, width 16)")
    parser.add_argument("--full", action="store_true", help="also batch 10,000 at width 64 (~80M nodes)")
    args = parser.parse_args()

    import torch

    print(
        f"python {sys.version.split()[0]}, numpy {np.__version__}, torch {torch.__version__} "
        f"(set_num_threads({args.threads})), {os.cpu_count()} cores, repeats {args.repeats}"
    )
    demo = compiled_case(100, 16, 0)
    torch_fn = torch_step(100, 16, 0, args.threads)
    demo["step"], demo["values"], t_torch = interleaved([*demo["fns"], torch_fn], args.repeats * 10)
    fresh = eager_step(100, max(15, args.repeats))
    t_eager = fresh["step"]
    orig = original_step(100, 3)
    print()
    print("## demo step (batch 100, MLP 2-16-16-1): forward + backward + update")
    print()
    print("| engine | time per step | ratio to compiled |")
    print("|---|---|---|")
    rows = [
        ("compiled (micrograd.compile), params in the program's array", demo["step"]),
        ("compiled, params in the Values (forward/backward, p.data loop)", demo["values"]),
        (f"PyTorch float64, {args.threads} thread(s)", t_torch),
        ("eager (this engine), fresh process", t_eager),
        ("original micrograd 0.1.0", orig["step"]),
    ]
    for name, t in rows:
        print(f"| {name} | {fmt(t)} | {t / demo['step']:.2f}x |")
    print()
    print(
        f"- compiled / PyTorch: {demo['step'] / t_torch:.2f}x (target <= 1.0x); "
        f"through the Values: {demo['values'] / t_torch:.2f}x"
    )
    print(
        f"- compile time {fmt(fresh['compile'])} = {fresh['ratio']:.2f}x one eager step (median of the "
        f"rounds' ratios; the worst round {fresh['worst']:.2f}x), both in the fresh process, in turns "
        f"(target <= 1.0x); in this process: {fmt(demo['compile'])}; "
        f"building the graph once took {fmt(demo['build'])}"
    )
    print(f"- original / compiled: {orig['step'] / demo['step']:.0f}x (target >= 1000x)")
    print(f"- program: {demo['prog']}")
    if args.quick:
        return
    print()
    print("## scaling: time per step by batch size and width")
    print()
    print("| batch | width | compiled | via Values | PyTorch | compiled / PyTorch | compile | graph build |")
    print("|---|---|---|---|---|---|---|---|")
    cases = [(100, 16), (1000, 16), (10_000, 16), (100, 64), (1000, 64)]
    if args.full:
        cases.append((10_000, 64))
    for n, width in cases:
        reps = max(5, args.repeats // (n // 100 if n > 100 else 1))
        c = demo if (n, width) == (100, 16) else compiled_case(n, width, reps)
        t = t_torch if (n, width) == (100, 16) else torch_step(n, width, reps, args.threads)
        print(
            f"| {n:,} | {width} | {fmt(c['step'])} | {fmt(c['values'])} | {fmt(t)} | {c['step'] / t:.2f}x | "
            f"{fmt(c['compile'])} | {fmt(c['build'])} |"
        )
        gc.collect()


if __name__ == "__main__":
    main()

"""Benchmark: the compiled backend (exact=True and exact=False) against lean PyTorch and JAX, one core.

One training step of the moons demo of Karpathy's micrograd notebook (forward,
backward, SGD update, the accuracy read from the scores), MLP 2-H-H-1 with ReLU,
SVM max-margin loss + 1e-4 L2, full batch, all in float64, measured side by side
in one run, in turns (one step of each per round, the rounds' orders balanced so
that each variant follows every other equally often; medians of the rounds):

* array, exact=False / exact=True: ``micrograd.compile(loss, params, exact=...)``
  once, then per step ``forward_array()``, ``values(scores)``, ``backward_array()``
  and ``prog.param_data -= lr * prog.param_grad`` (the parameters in the
  program's array);
* Values, exact=True / exact=False: per step ``forward()``, ``values(scores)``,
  ``zero_grad()``, ``backward()`` and the ``p.data -= lr * p.grad`` loop (what
  ``micrograd train --engine compiled`` does; the parameters in the Values);
* main, exact (``--against DIR``): the exact array step of another tree's package
  (e.g. main's, ``git archive main micrograd | tar -x -C DIR``), on its own graph;
* PyTorch: lean, float64, ``torch.set_num_threads(1)``: the same model as three
  weight matrices, ``loss.backward()`` and a manual update under ``no_grad`` (no
  optimizer object, no ``nn.Module``);
* JAX (where installed; an optional benchmark dependency, ``pip install jax``):
  the same step as one ``jax.jit`` function compiled ahead (``lower().compile()``),
  the parameters donated, the data device arrays passed as arguments, float64,
  dispatched synchronously (``jax_cpu_enable_async_dispatch`` off: on one core a
  hand-off to a worker thread only adds waiting); at the demo size also each step
  alone and JAX's floor (100 steps inside one ``lax.fori_loop`` call).

Everything runs on one core: the process pins itself to one CPU (``--cores``) and
asks every library for one thread (OMP/OpenBLAS/MKL variables and XLA_FLAGS are
set before numpy, torch and jax load; set them yourself to override). The eager
step and the compile time it is compared with run in a fresh process that
imports only what the demo needs (the eager engine's time grows with the Python
heap, which the cycle collector rescans), in turns: an eager step, building the
graph once more, compiling it exact=True, compiling it exact=False.

Run:  python benchmarks/bench_compiled.py [--repeats 30] [--quick] [--against /tmp/fast-main]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):  # one core, see above
    os.environ.setdefault(_var, "1")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")

import argparse  # noqa: E402
import gc  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import micrograd  # noqa: E402
import micrograd.compiled  # noqa: E402, F401  (imported before any timed compile)
from micrograd.engine import Value  # noqa: E402
from micrograd.nn import MLP  # noqa: E402

ORIG_DIR = Path(os.environ.get("MICROGRAD_ORIG", "/tmp/orig"))
SIZES = [(100, 16), (1000, 16), (10_000, 16), (100, 64), (1000, 64)]


def moons(n: int):
    from sklearn.datasets import make_moons

    np.random.seed(1337)
    X, y = make_moons(n_samples=n, noise=0.1)
    return X, y * 2 - 1


def demo_loss(model, X, y, value=Value):
    """The demo's loss: SVM hinge on the scores, mean over the batch, plus 1e-4 * sum(p^2)."""
    inputs = [list(map(value, row)) for row in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores, strict=True)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    return scores, data_loss + reg_loss


def lr(k: int) -> float:
    return 1.0 - 0.9 * (k % 100) / 100


def array_step(prog, scores, positive):
    """The array path: the parameters in the program's array."""
    prog.read_leaves()
    k = [0]

    def step():
        prog.forward_array()
        np.mean(positive == (prog.values(scores) > 0))
        prog.backward_array()
        prog.param_data -= lr(k[0]) * prog.param_grad
        k[0] += 1

    return step


def values_step(prog, model, scores, positive):
    """Through the Values, as ``micrograd train`` runs it."""
    params = model.parameters()
    k = [0]

    def step():
        prog.forward()
        np.mean(positive == (prog.values(scores) > 0))
        model.zero_grad()
        prog.backward()
        rate = lr(k[0])
        for p in params:
            p.data -= rate * p.grad
        k[0] += 1

    return step


def layers(model) -> list[np.ndarray]:
    """The model's weights and biases as arrays, layer after layer (W1, b1, W2, b2, W3, b3)."""
    out = []
    for layer in model.layers:
        out.append(np.array([[w.data for w in n.w] for n in layer.neurons]))
        out.append(np.array([float(n.b.data) for n in layer.neurons]))
    return out


def torch_step(X, y, weights):
    import torch

    torch.set_num_threads(1)
    Xt, yt = torch.tensor(X, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)
    params = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in weights]
    W1, b1, W2, b2, W3, b3 = params
    k = [0]

    def step():
        h = torch.relu(Xt @ W1.T + b1)
        h = torch.relu(h @ W2.T + b2)
        s = (h @ W3.T + b3).squeeze(1)
        loss = torch.relu(1 - yt * s).mean() + 1e-4 * sum((p * p).sum() for p in params)
        loss.backward()
        rate = lr(k[0])
        with torch.no_grad():
            for p in params:
                p -= rate * p.grad
                p.grad = None
        ((yt > 0) == (s > 0)).double().mean().item()
        loss.item()
        k[0] += 1

    return step


def jax_step(X, y, weights, floor: int = 0):
    """The step as one jit-compiled function, or None where JAX is not installed.

    The data are device arrays passed as arguments (transferred once), the parameters are
    donated (updated in place), the function is compiled ahead (``lower().compile()``: a retrace
    would fail loudly); ``step.traces`` counts its traces (1). With ``floor`` > 0, also
    ``step.floor``: ``floor`` steps inside one call (``lax.fori_loop``), whose time per step is
    what one step costs JAX without dispatching from Python.
    """
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    try:  # run each call on the calling thread: on one core, a hand-off to another thread only waits
        jax.config.update("jax_cpu_enable_async_dispatch", False)
    except AttributeError:
        pass
    Xj, yj = (
        jax.device_put(jnp.asarray(X, dtype=jnp.float64)),
        jax.device_put(jnp.asarray(y, dtype=jnp.float64)),
    )
    traces = [0]

    def loss_fn(ps, Xj, yj):
        W1, b1, W2, b2, W3, b3 = ps
        h = jax.nn.relu(Xj @ W1.T + b1)
        h = jax.nn.relu(h @ W2.T + b2)
        s = (h @ W3.T + b3)[:, 0]
        return jnp.mean(jax.nn.relu(1 - yj * s)) + 1e-4 * sum(jnp.sum(p * p) for p in ps), s

    def train(ps, rate, Xj, yj):
        traces[0] += 1
        (loss, s), grads = jax.value_and_grad(loss_fn, has_aux=True)(ps, Xj, yj)
        return [p - rate * g for p, g in zip(ps, grads, strict=True)], loss, jnp.mean((s > 0) == (yj > 0))

    state = [[jnp.asarray(w, dtype=jnp.float64) for w in weights]]
    rate0 = jnp.asarray(lr(0), dtype=jnp.float64)
    compiled = jax.jit(train, donate_argnums=(0,)).lower(state[0], rate0, Xj, yj).compile()
    k = [0]

    def step():
        state[0], loss, acc = compiled(state[0], jnp.asarray(lr(k[0]), dtype=jnp.float64), Xj, yj)
        float(loss), float(acc)
        k[0] += 1

    step.traces = traces
    if floor:

        def many(ps, rate, Xj, yj):
            return jax.lax.fori_loop(0, floor, lambda i, ps: train(ps, rate, Xj, yj)[0], ps)

        traced = traces[0]
        looped = jax.jit(many).lower(state[0], rate0, Xj, yj).compile()
        traces[0] = traced  # the loop's own trace of the step is not the step's
        ps = [jnp.asarray(w, dtype=jnp.float64) for w in weights]

        def floor_step():
            jax.block_until_ready(looped(ps, rate0, Xj, yj))

        step.floor = floor_step
    return step


def load_tree(directory: str):
    """The ``micrograd`` package of another tree, imported under another name (its modules
    import one another relatively), with its compiled backend."""
    name = "micrograd_against"
    if name not in sys.modules:
        init = Path(directory) / "micrograd" / "__init__.py"
        spec = importlib.util.spec_from_file_location(
            name, init, submodule_search_locations=[str(init.parent)]
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        importlib.import_module(f"{name}.compiled")
    return sys.modules[name], importlib.import_module(f"{name}.engine"), importlib.import_module(f"{name}.nn")


def case(n: int, width: int, against: str | None) -> dict:
    """Every variant's step function at one size, with the graph build and compile times.

    With ``against``, both trees' graphs are built first, then the two exact programs are
    compiled twice each, in the order this, DIR, DIR, this, and each side is timed over its two
    programs (a tuple of steps): a program's speed depends a few percent on where in the run
    its memory was allocated (at 1,000 x 16, the one compiled first ran 3-4% faster than the
    same code compiled second), which that order spreads evenly over the two sides.
    """
    X, y = moons(n)
    positive = y > 0
    random.seed(1337)
    model = MLP(2, [width, width, 1])
    t = time.perf_counter()
    scores, total = demo_loss(model, X, y)
    out = {"build": time.perf_counter() - t, "fns": {}}
    if against:
        package, engine, nn = load_tree(against)
        random.seed(1337)
        other = nn.MLP(2, [width, width, 1])
        other_scores, other_total = demo_loss(other, X, y, engine.Value)
    gc.collect()
    t = time.perf_counter()
    prog = micrograd.compile(total, model.parameters(), exact=True)
    out["compile"], out["prog"] = time.perf_counter() - t, repr(prog)
    exact = [array_step(prog, scores, positive)]
    if against:
        theirs = [package.compile(other_total, other.parameters()) for _ in range(2)]
        prog = micrograd.compile(total, model.parameters(), exact=True)
        exact.append(array_step(prog, scores, positive))
        out["fns"]["main, exact"] = tuple(array_step(p, other_scores, positive) for p in theirs)
    out["fns"]["array, exact"] = tuple(exact) if against else exact[0]
    t = time.perf_counter()
    prog = micrograd.compile(total, model.parameters(), exact=False)
    out["compile fast"], out["prog fast"] = time.perf_counter() - t, repr(prog)
    out["fns"]["array, fast"] = array_step(prog, scores, positive)
    for exact in (True, False):
        prog = micrograd.compile(total, model.parameters(), exact=exact)
        out["fns"]["Values, exact" if exact else "Values, fast"] = values_step(prog, model, scores, positive)
    weights = layers(model)
    out["fns"]["PyTorch"] = torch_step(X, y, weights)
    jax_fn = jax_step(X, y, weights, floor=100 if (n, width) == (100, 16) else 0)
    if jax_fn is not None:
        out["fns"]["JAX jit"] = jax_fn
        out["jax"] = jax_fn
    order = ["array, exact", "array, fast", "Values, exact", "Values, fast", "main, exact"]
    out["fns"] = {k: out["fns"][k] for k in order + list(out["fns"]) if k in out["fns"]}
    return out


def balanced(n: int) -> list[list[int]]:
    """Orders of ``n`` items in which each item comes right after every other one equally often
    (a Williams design: n orders for even n, 2n for odd; row i is row 0 shifted by i)."""
    first, lo, hi = [0], 1, n - 1
    while len(first) < n:
        first.append(lo)
        lo += 1
        if len(first) < n:
            first.append(hi)
            hi -= 1
    rows = [[(k + i) % n for k in first] for i in range(n)]
    return rows if n % 2 == 0 else rows + [row[::-1] for row in rows]


def interleaved(fns: dict, rounds: int) -> dict:
    """Median time of each function, timed in turns (one call of each per round), so that a change
    in the machine's load during the run hits them all alike. The rounds' orders are balanced
    (``balanced``; ``rounds`` rounded up to whole cycles of them): each function comes right after
    every other one equally often, since a step runs slower after one that evicts the caches
    (PyTorch's, JAX's: about +12% at the demo size). Rotating one order, as before, kept each
    function after the same one (the exact step after JAX, main's after the Values step: 1.14x
    between the same code). A tuple of functions is one variant run by several programs: each
    has its own turn, their times make one median."""
    slots = [(name, f) for name, fn in fns.items() for f in (fn if isinstance(fn, tuple) else (fn,))]
    for _, fn in slots:
        for _ in range(5):
            fn()
    orders = balanced(len(slots))
    times: dict[str, list[float]] = {name: [] for name in fns}
    rounds = -(-rounds // len(orders)) * len(orders)  # whole cycles of the orders
    for r in range(rounds):
        for i in orders[r % len(orders)]:
            name, fn = slots[i]
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
    return {name: statistics.median(ts) for name, ts in times.items()}


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
rounds = {"step": [], "build": [], "exact": [], "fast": []}
for k in range(int(sys.argv[3])):  # in turns: an eager step, then building and compiling a graph
    gc.collect()
    t = time.perf_counter()
    total = loss()
    model.zero_grad(); total.backward()
    for p in model.parameters(): p.data -= 0.5 * p.grad
    rounds["step"].append(time.perf_counter() - t)
    del total
    gc.collect()
    t = time.perf_counter()
    total = loss()
    rounds["build"].append(time.perf_counter() - t)
    for exact in (True, False):
        gc.collect()
        t = time.perf_counter()
        micrograd.compile(total, model.parameters(), exact=exact)
        rounds["exact" if exact else "fast"].append(time.perf_counter() - t)
    del total
out = {key: statistics.median(ts) for key, ts in rounds.items()}
for key in ("exact", "fast"):
    ratios = [c / s for c, s in zip(rounds[key], rounds["step"])]
    with_build = [(c + b) / s for c, b, s in zip(rounds[key], rounds["build"], rounds["step"])]
    out[key + " ratio"], out[key + " worst"] = statistics.median(ratios), max(ratios)
    out[key + " with build"] = statistics.median(with_build)
print(json.dumps(out))
"""


def eager_step(n: int, repeats: int) -> dict:
    """The eager step, the graph build and both compile times, in a fresh process, in turns."""
    out = subprocess.run(
        [sys.executable, "-c", EAGER_SCRIPT, str(ROOT), str(n), str(repeats)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


ORIG_SCRIPT = r"""
import sys, time, random, statistics, json
sys.path.insert(0, sys.argv[1])
import numpy as np
from sklearn.datasets import make_moons
from micrograd.engine import Value
from micrograd.nn import MLP
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


def report_demo(t: dict, c: dict, fresh: dict, orig: dict | None) -> None:
    base = t["array, fast"]
    print("## demo step (batch 100, MLP 2-16-16-1): forward + backward + update, medians of rounds")
    print()
    print("| engine | time per step | ratio to array, exact=False |")
    print("|---|---|---|")
    for name, s in [*t.items(), ("eager (this engine), fresh process", fresh["step"])]:
        print(f"| {name} | {fmt(s)} | {s / base:.2f}x |")
    if orig:
        print(f"| original micrograd 0.1.0 | {fmt(orig['step'])} | {orig['step'] / base:.0f}x |")
    print()
    torch_t = t["PyTorch"]
    print(f"- array, exact=False / PyTorch: {base / torch_t:.2f}x (target <= 1.0x)")
    if "JAX jit" in t:
        print(f"- array, exact=False / JAX jit: {base / t['JAX jit']:.2f}x (target <= 2.0x)")
        jax_fn, alone = c["jax"], c["alone"]
        print(
            f"- each alone (back to back, not interleaved: caches stay warm): array, exact=False "
            f"{fmt(alone['array, fast'])}, JAX jit {fmt(alone['JAX jit'])}, ratio "
            f"{alone['array, fast'] / alone['JAX jit']:.2f}x; JAX traced {jax_fn.traces[0]} time(s); "
            f"JAX's floor, 100 steps in one lax.fori_loop call: {fmt(c['jax floor'])} per step"
        )
    else:
        print("- JAX: not installed (pip install jax), not measured")
    best = min(t["Values, exact"], t["Values, fast"])
    print(
        f"- through the Values / PyTorch: exact=True {t['Values, exact'] / torch_t:.2f}x, "
        f"exact=False {t['Values, fast'] / torch_t:.2f}x (target <= 1.0x: {best / torch_t:.2f}x)"
    )
    if "main, exact" in t:
        print(f"- array, exact=True / main's exact array step: {t['array, exact'] / t['main, exact']:.2f}x")
    for key, label in (("exact", "exact=True"), ("fast", "exact=False")):
        print(
            f"- compile time, {label}: {fmt(fresh[key])} = {fresh[key + ' ratio']:.2f}x one eager step "
            f"(median of the rounds' ratios, worst round {fresh[key + ' worst']:.2f}x; target <= 1.0x); "
            f"with building the graph once ({fmt(fresh['build'])}): {fresh[key + ' with build']:.2f}x"
        )
    print(f"- programs: {c['prog']}; {c['prog fast']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--repeats", type=int, default=30, help="rounds: x10 at the demo size, fewer for bigger ones"
    )
    parser.add_argument("--quick", action="store_true", help="only the demo size (batch 100, width 16)")
    parser.add_argument("--against", metavar="DIR", help="also time the exact step of the package in DIR")
    parser.add_argument("--cores", type=int, default=1, help="CPUs to pin this process to (0: do not pin)")
    parser.add_argument("--no-original", action="store_true", help="skip karpathy's micrograd 0.1.0")
    args = parser.parse_args()
    if args.cores and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[: args.cores])

    import torch

    try:
        import jax

        jax_version = f"jax {jax.__version__}"
    except ImportError:
        jax_version = "jax not installed"
    print(
        f"python {sys.version.split()[0]}, numpy {np.__version__}, torch {torch.__version__}, {jax_version}; "
        f"pinned to {len(os.sched_getaffinity(0))} of {os.cpu_count()} cores; repeats {args.repeats}"
    )
    print()
    rows = []
    for n, width in SIZES[:1] if args.quick else SIZES:
        c = case(n, width, args.against)
        rounds = (
            args.repeats * 10 if (n, width) == (100, 16) else max(25, args.repeats * 16000 // (n * width))
        )
        fns = c.pop("fns")
        t = interleaved(fns, rounds)
        rows.append((n, width, t, c))
        if (n, width) == (100, 16):
            if "jax" in c:  # each alone, then JAX's per-step floor
                c["alone"] = {k: interleaved({k: fns[k]}, rounds // 3)[k] for k in ("array, fast", "JAX jit")}
                floor = c["jax"].floor
                c["jax floor"] = interleaved({"floor": floor}, max(15, args.repeats))["floor"] / 100
            fresh = eager_step(100, max(15, args.repeats))
            orig = None if args.no_original else original_step(100, 3)
            report_demo(t, c, fresh, orig)
            if args.against:  # the two exact steps by themselves, in turns: this tree's and DIR's
                pair = [interleaved({k: fns[k] for k in ("array, exact", "main, exact")}, rounds // 3)]
                pair += [interleaved({k: fns[k] for k in ("main, exact", "array, exact")}, rounds // 3)]
                ratios = [p["array, exact"] / p["main, exact"] for p in pair]
                print(
                    "- exact=True, this tree / DIR, the two steps alone in turns (two runs): "
                    + ", ".join(
                        f"{fmt(p['array, exact'])} / {fmt(p['main, exact'])} = {r:.2f}x"
                        for p, r in zip(pair, ratios)
                    )
                )
        del fns
        gc.collect()
    if args.quick:
        return
    print()
    print("## scaling: time per step by batch size and width (medians of interleaved rounds)")
    print()
    names = list(rows[0][2])
    print(
        f"| batch | width | {' | '.join(names)} | fast / PyTorch | fast / JAX "
        "| compile exact | compile fast | build |"
    )
    print("|---" * (len(names) + 7) + "|")
    for n, width, t, c in rows:
        jax_ratio = f"{t['array, fast'] / t['JAX jit']:.2f}x" if "JAX jit" in t else "-"
        print(
            f"| {n:,} | {width} | {' | '.join(fmt(t[k]) for k in names)} | "
            f"{t['array, fast'] / t['PyTorch']:.2f}x | {jax_ratio} | {fmt(c['compile'])} | "
            f"{fmt(c['compile fast'])} | {fmt(c['build'])} |"
        )


if __name__ == "__main__":
    main()

"""What keeping `micrograd train` resumable costs: the per-step snapshot, and a checkpoint write.

    python benchmarks/bench_resume.py             # the moons demo, 100 steps, compiled and eager
    python benchmarks/bench_resume.py --repeat 9

Side by side in one run, interleaved, medians of --repeat runs: the demo's training (MLP(2,
[16, 16, 1]), hinge + L2, SGD with the linear decay) without an ``on_step``, and with the
``RunKeeper`` of ``micrograd train`` (a ``state_dict()`` snapshot after every step, nothing
written); then one ``save_checkpoint`` of the finished run (what Ctrl-C, ``--stop-after`` and
each ``--checkpoint-every`` write cost).
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

from micrograd.checkpoint import save_checkpoint  # noqa: E402
from micrograd.cli.resume import RunKeeper  # noqa: E402
from micrograd.data import make_moons  # noqa: E402
from micrograd.nn import MLP  # noqa: E402
from micrograd.optim import SGD, LinearDecay  # noqa: E402
from micrograd.train import fit  # noqa: E402


def demo_run(engine: str, keep: bool, folder: Path) -> tuple[float, RunKeeper]:
    """Seconds for the demo's 100 steps, with or without the snapshots; and the keeper."""
    data = make_moons(100, 0.1, random_state=1337)
    mlp = MLP(2, [16, 16, 1], rng=random.Random(1337))
    optimizer = SGD(mlp.parameters(), 1.0)
    keeper = RunKeeper(folder, "{}\n", mlp, optimizer, [])
    started = time.perf_counter()
    fit(mlp, data, optimizer, loss="hinge", steps=100, schedule=LinearDecay(1.0, 0.1, 100), l2=1e-4,
        engine=engine, on_step=keeper.after_step if keep else None)  # fmt: skip
    return time.perf_counter() - started, keeper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="interleaved runs per engine (default 5)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print("| demo, 100 steps | without snapshots | with snapshots | ratio |")
        print("|---|---|---|---|")
        keeper = None
        for engine, repeat in (("compiled", args.repeat), ("eager", max(1, args.repeat // 3))):
            plain, kept = [], []
            for _ in range(repeat):
                plain.append(demo_run(engine, False, folder)[0])
                seconds, keeper = demo_run(engine, True, folder)
                kept.append(seconds)
            a, b = statistics.median(plain), statistics.median(kept)
            print(f"| {engine} | {a:.3f} s | {b:.3f} s | {b / a:.3f} |")
        writes = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            save_checkpoint(folder / "checkpoint.json", keeper.mlp, keeper.optimizer, keeper.history)
            writes.append(time.perf_counter() - started)
        size = (folder / "checkpoint.json").stat().st_size
        print(f"\none checkpoint write (337 parameters, 100 steps, {size} bytes, fsync'ed): "
              f"{1e3 * statistics.median(writes):.2f} ms")  # fmt: skip


if __name__ == "__main__":
    main()

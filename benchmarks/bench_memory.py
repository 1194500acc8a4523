"""What a training step takes in memory, against ``micrograd.memory``'s estimate.

    python benchmarks/bench_memory.py

For a few shapes and batch sizes, tracemalloc's peak over one training step (forward, loss,
backward, update) of each engine, beside ``step_bytes``; the estimate should stay above the
peak (``micrograd train`` refuses runs by it) without being far above.
"""

from __future__ import annotations

import gc
import random
import sys
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from micrograd import memory  # noqa: E402
from micrograd.nn import MLP  # noqa: E402
from micrograd.optim import SGD  # noqa: E402
from micrograd.train import ENGINES, Objective  # noqa: E402

SHAPES = [(2, [16, 16], 1000), (2, [3000], 20), (20, [8], 1000), (2, [64, 64], 300), (2, [100000], 1)]


def peak_bytes(engine: str, nin: int, hidden: list[int], batch: int) -> int:
    rng = random.Random(0)
    X = [[rng.random() for _ in range(nin)] for _ in range(batch)]
    y = [i % 2 for i in range(batch)]
    gc.collect()
    tracemalloc.start()
    try:
        mlp = MLP(nin, [*hidden, 1], rng=rng)
        optimizer = SGD(mlp.parameters(), 0.1)
        ENGINES[engine](Objective(mlp, "hinge", 1e-4)).forward_backward(X, y)
        optimizer.step()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main() -> None:
    print("| engine | MLP | batch | peak | estimate | estimate / peak |")
    print("|---|---|---|---|---|---|")
    for engine in ENGINES:
        for nin, hidden, batch in SHAPES:
            peak = peak_bytes(engine, nin, hidden, batch)
            estimate = memory.step_bytes(nin, [*hidden, 1], batch, engine)
            print(
                f"| {engine} | MLP({nin}, {[*hidden, 1]}) | {batch} | {peak / 1e6:.1f} MB "
                f"| {estimate / 1e6:.1f} MB | {estimate / peak:.2f} |"
            )


if __name__ == "__main__":
    main()

"""How many of tests/test_compile.py's random graphs are discarded (issue 18).

Those tests skip (hypothesis ``assume``) the graphs the eager engine refuses to build (a log of a
negative node, a division by zero); hypothesis reports them, and this counts them on reproducible
draws of the same strategy, so that the skipped part stays small.
"""

from __future__ import annotations

import pytest

pytest.importorskip("numpy")


def test_random_graphs_are_rarely_discarded():
    """tests/test_compile.py's random graphs skip (``assume``) the ones the eager engine refuses;
    that must stay a small part, counted here on 1,000 reproducible draws of the same strategy.

    Reproducible by an explicit seed: ``derandomize`` gave different draws from one run of the
    suite to the next (15 and 16 discarded of 200 in two checkouts of the same code, after runs
    that passed), and 200 draws are mostly Hypothesis's first, simplest examples, where
    refusals are most frequent (about 8-12% of the first 200, 2-5% of 1,000)."""
    from hypothesis import HealthCheck, given, seed, settings
    from test_compile import eager_or_error, recipes

    seen = {"drawn": 0, "discarded": 0}

    @seed(0)
    @settings(
        max_examples=1000,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(recipes)
    def draw(case):
        values, steps, picks, _ = case
        built, _ = eager_or_error(steps + [("root", picks, 0)], values)
        seen["drawn"] += 1
        seen["discarded"] += built is None

    draw()
    assert seen["drawn"] == 1000
    assert seen["discarded"] <= 0.05 * seen["drawn"], seen

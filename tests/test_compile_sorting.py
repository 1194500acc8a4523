"""``compiled.sorting.lexsort`` gives numpy's ``np.lexsort`` permutation (the reference), ties included."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd.compiled.sorting import lexsort

keys = st.integers(1, 4).flatmap(
    lambda k: st.integers(0, 60).flatmap(
        lambda n: st.lists(
            st.lists(st.integers(-(2**40), 2**40) | st.integers(-3, 3), min_size=n, max_size=n),
            min_size=k,
            max_size=k,
        )
    )
)


@settings(max_examples=300, deadline=None)
@given(keys)
def test_lexsort_is_numpys(columns):
    arrays = [np.array(c, np.int64) for c in columns]
    assert np.array_equal(lexsort(arrays), np.lexsort(arrays))


def test_keys_too_wide_for_one_integer_fall_back_to_numpy():
    rng = np.random.default_rng(5)
    wide = [rng.integers(-(2**61), 2**61, 500), rng.integers(0, 3, 500), rng.integers(-(2**40), 2**40, 500)]
    assert np.array_equal(lexsort(wide), np.lexsort(wide))
    assert lexsort([np.zeros(0, np.int64)]).size == 0

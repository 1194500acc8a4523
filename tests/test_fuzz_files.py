"""Random mutations of valid model files, checkpoints and CSV files end in a valid load or in our
own error, never another exception (issue 11). tests/fuzz_files.py runs thousands."""

import random

import pytest
from fuzz_files import READERS, mutated, outcome
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


@pytest.mark.parametrize("kind", list(READERS))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1))
def test_a_mutated_file_loads_or_gives_our_error(tmp_path, kind, seed):
    valid, _, _, structured = READERS[kind]
    data = mutated(valid(), random.Random(seed), structured=structured)
    assert outcome(kind, data, tmp_path) in ("loaded", "refused")


@pytest.mark.parametrize("kind", list(READERS))
def test_the_unmutated_file_loads(tmp_path, kind):
    valid = READERS[kind][0]
    assert outcome(kind, valid().encode(), tmp_path) == "loaded"

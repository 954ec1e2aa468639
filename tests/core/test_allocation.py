"""Allocation properties: parts always sum to the total, differ by at most one unit when equal."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.domain.allocation import allocate, fixed_each, split_equal, split_weighted
from core.domain.errors import InvalidInput


def test_remainder_cent_goes_to_first_payer() -> None:
    assert split_equal(10000, 3) == [3334, 3333, 3333]
    assert split_equal(24000, 6) == [4000] * 6
    assert split_equal(100, 7) == [15, 15, 14, 14, 14, 14, 14]


@given(st.data())
def test_equal_split_properties(data: st.DataObject) -> None:
    n = data.draw(st.integers(min_value=1, max_value=1000))
    total = data.draw(st.integers(min_value=n, max_value=10**9))
    parts = split_equal(total, n)
    assert sum(parts) == total
    assert len(parts) == n
    assert max(parts) - min(parts) <= 1
    assert parts == sorted(parts, reverse=True)
    assert min(parts) >= 1


@given(
    st.integers(min_value=0, max_value=10**9),
    st.lists(st.integers(min_value=1, max_value=1000), min_size=1, max_size=50),
)
def test_weighted_allocation_sums_exactly_and_is_fair(total: int, weights: list[int]) -> None:
    parts = allocate(total, weights)
    assert sum(parts) == total
    wsum = sum(weights)
    for part, w in zip(parts, weights, strict=True):
        exact = total * w / wsum
        assert abs(part - exact) < 1  # largest remainder: never off by a whole unit


def test_shares_two_one_one() -> None:
    assert split_weighted(10000, [2, 1, 1]) == [5000, 2500, 2500]
    assert split_weighted(100, [1, 1, 1]) == [34, 33, 33]


def test_ties_go_to_earlier_parts_deterministically() -> None:
    assert allocate(2, [1, 1, 1]) == [1, 1, 0]


def test_fixed_each_multiplies() -> None:
    assert fixed_each(1500, 4) == [1500] * 4


@pytest.mark.parametrize(("total", "n"), [(5, 6), (100, 0), (100, 1001), (0, 1)])
def test_impossible_equal_splits_are_refused(total: int, n: int) -> None:
    with pytest.raises(InvalidInput):
        split_equal(total, n)


def test_shares_too_small_for_total_are_refused() -> None:
    with pytest.raises(InvalidInput, match="too small"):
        split_weighted(2, [100, 1, 1])

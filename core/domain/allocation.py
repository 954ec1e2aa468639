"""Splitting a total into parts that always add up: equal, weighted and fixed-each."""

from __future__ import annotations

from collections.abc import Sequence

from core.domain.errors import InvalidInput, invariant

MAX_PAYERS = 1000


def allocate(total_minor: int, weights: Sequence[int]) -> list[int]:
    """Split `total_minor` by integer `weights` with the largest-remainder method.

    The parts sum exactly to the total. Leftover minor units go to the parts with the
    largest fractional remainder; ties go to the earlier part (deterministic).
    """
    invariant(total_minor >= 0, "allocate needs a non-negative total")
    invariant(len(weights) > 0 and all(w > 0 for w in weights), "weights must be positive")
    weight_sum = sum(weights)
    floors = [total_minor * w // weight_sum for w in weights]
    remainders = [total_minor * w % weight_sum for w in weights]
    leftover = total_minor - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:leftover]:
        floors[i] += 1
    invariant(sum(floors) == total_minor, "allocation does not sum to the total")
    return floors


def check_payers(n: int) -> None:
    if not 1 <= n <= MAX_PAYERS:
        raise InvalidInput(
            "payers",
            "the number of payers must be between 1 and {max_payers}",
            max_payers=MAX_PAYERS,
        )


def split_equal(total_minor: int, n: int) -> list[int]:
    """Equal split: parts differ by at most one minor unit, larger parts first."""
    check_payers(n)
    if n > total_minor:
        raise InvalidInput(
            "payers",
            "cannot split {total_minor} minor units among {payers} payers",
            total_minor=total_minor,
            payers=n,
        )
    return allocate(total_minor, [1] * n)


def split_weighted(total_minor: int, weights: Sequence[int]) -> list[int]:
    """Uneven shares such as 2:1:1; every part must get at least one minor unit."""
    check_payers(len(weights))
    if any(w <= 0 for w in weights):
        raise InvalidInput("shares", "every share must be a whole number above zero")
    parts = allocate(total_minor, weights)
    if min(parts) == 0:
        raise InvalidInput("shares", "the total is too small for these shares")
    return parts


def fixed_each(each_minor: int, n: int) -> list[int]:
    """A fixed amount per payer; the total is each × n."""
    check_payers(n)
    if each_minor <= 0:
        raise InvalidInput("each", "the amount per payer must be more than zero")
    return [each_minor] * n

"""The scrypt cost: what fits under the memory cap is known exactly (tests/bot/
test_start_up.py: a CHIPIN_PASSWORD_COST over it stops chipin at start-up)."""

from __future__ import annotations

import hashlib

import pytest

from core.domain.passwords import (
    MAX_MEMORY_BYTES,
    PasswordHasher,
    ScryptParams,
    largest_cost,
    scrypt_memory,
)


@pytest.mark.parametrize(
    "params", [ScryptParams(10, 8, 3), ScryptParams(11, 8, 1), ScryptParams(9, 4, 2)]
)
def test_the_memory_counted_is_exactly_what_hashlib_scrypt_needs(params: ScryptParams) -> None:
    need = scrypt_memory(params)

    def derive(maxmem: int) -> bytes:
        n = 1 << params.log2_n
        return hashlib.scrypt(b"pw", salt=b"s" * 16, n=n, r=params.r, p=params.p, maxmem=maxmem)

    assert len(derive(need)) == 64
    with pytest.raises(ValueError, match="memory limit exceeded"):
        derive(need - 1)


def test_cost_17_is_the_largest_that_fits_under_256_mib() -> None:
    assert MAX_MEMORY_BYTES == 256 * 1024 * 1024
    assert largest_cost() == 17
    assert scrypt_memory(ScryptParams(log2_n=17)) <= MAX_MEMORY_BYTES
    assert scrypt_memory(ScryptParams(log2_n=18)) > MAX_MEMORY_BYTES


def test_a_hasher_over_the_cap_is_refused_when_it_is_made() -> None:
    with pytest.raises(ValueError, match="scrypt cost 18 is over the memory cap"):
        PasswordHasher(b"pepper", ScryptParams(log2_n=18))

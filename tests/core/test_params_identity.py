"""What an order request is, for an idempotency key (its fingerprint), and the payee's display
name it may carry."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.domain.errors import InvalidInput
from core.domain.money import currency
from core.domain.params import RawOrder, build_request

USD = currency("USD")


KEY = b"k" * 32


def fingerprint(**kw: object) -> str:
    return keyed(KEY, **kw)


def keyed(key: bytes, **kw: object) -> str:
    raw = RawOrder(**{"currency": USD, "total": "60", "payers": 2, **kw})  # type: ignore[arg-type]
    return build_request(raw, 10**7).fingerprint(key)


def test_the_same_request_written_differently_has_one_fingerprint() -> None:
    assert fingerprint() == fingerprint(total="60.00") == fingerprint(title=" ")
    assert fingerprint(valid=timedelta(hours=2)) == fingerprint(valid=timedelta(seconds=7200))
    assert fingerprint(holds_per_source=10) == fingerprint()  # the default, named


@pytest.mark.parametrize(
    "kw",
    [
        {"total": "61"},
        {"payers": 3},
        {"total": None, "each": "30"},
        {"title": "Lunch"},
        {"mode": "all"},
        {"currency": currency("EUR")},
        {"valid": timedelta(hours=2)},
        {"hold": timedelta(minutes=20)},
        {"holds_per_source": 11},
        {"password": "open-sesame"},
        {"payee_display_name": "Ann"},
    ],
)
def test_any_other_parameter_is_another_fingerprint(kw: dict[str, object]) -> None:
    assert fingerprint(**kw) != fingerprint()


def test_the_fingerprint_is_keyed_so_a_stored_one_confirms_no_guess_without_the_key() -> None:
    named = {"payee_display_name": "Ann", "title": "Dinner"}
    assert keyed(KEY, **named) != keyed(b"another key" * 3, **named)
    assert len(keyed(KEY, **named)) == 64


def test_the_fingerprint_does_not_hold_the_password() -> None:
    """Only whether there is one: the password's own slow hash tells two apart."""
    assert fingerprint(password="open-sesame") == fingerprint(password="something-else")


def test_the_display_name_is_kept_with_its_spaces_tidied() -> None:
    raw = RawOrder(USD, total="60", payers=2, payee_display_name="  Luigi's \t Trattoria ")
    assert build_request(raw, 10**7).payee_display_name == "Luigi's Trattoria"
    assert build_request(RawOrder(USD, total="60", payers=2), 10**7).payee_display_name is None


@pytest.mark.parametrize("name", ["", " \n ", "x" * 65, "Ann\x1b[31m", "Ann\u2066", "Ann\x00"])
def test_a_bad_display_name_names_its_field(name: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        build_request(RawOrder(USD, total="60", payers=2, payee_display_name=name), 10**7)
    assert refused.value.field == "payee_display_name"

"""Parsing and formatting amounts: good text becomes exact minor units, bad text a clear reason."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.domain.errors import InvalidInput
from core.domain.money import CURRENCIES, Money, currency, format_money, parse_amount

USD = currency("USD")
JPY = currency("JPY")
LIMIT = 10_000_000


@pytest.mark.parametrize(
    ("text", "cur", "minor"),
    [
        ("240", "USD", 24000),
        ("240.50", "USD", 24050),
        ("240.5", "USD", 24050),
        ("1,240.50", "USD", 124050),
        (" 0.01 ", "USD", 1),
        ("1000", "JPY", 1000),
        ("12,345", "JPY", 12345),
        ("1.234", "KWD", 1234),
    ],
)
def test_good_amounts_parse_to_exact_minor_units(text: str, cur: str, minor: int) -> None:
    assert parse_amount(text, currency(cur), LIMIT).amount_minor == minor


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("-5", "positive"),
        ("0", "more than zero"),
        ("0.00", "more than zero"),
        ("NaN", "not an amount"),
        ("Infinity", "not an amount"),
        ("inf", "not an amount"),
        ("1e3", "not an amount"),
        ("1E3", "not an amount"),
        ("0.001", "at most 2 decimals"),
        ("abc", "not an amount"),
        ("", "missing"),
        ("1,00", "not an amount"),
        ("12,34,567", "not an amount"),
        ("100001", "above the limit"),
        ("1.", "not an amount"),
        (".5", "not an amount"),
        ("+5", "not an amount"),
        ("0x10", "not an amount"),
        ("٣", "not an amount"),
    ],
)
def test_bad_amounts_are_refused_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_amount(text, USD, LIMIT)
    assert reason in err.value.message
    assert err.value.field == "amount"


def test_yen_has_no_decimals() -> None:
    with pytest.raises(InvalidInput, match="no decimals"):
        parse_amount("10.5", JPY, LIMIT)


def test_unknown_currency_names_the_known_ones() -> None:
    with pytest.raises(InvalidInput, match="USD") as err:
        currency("XYZ")
    assert err.value.field == "currency"


def test_at_least_ten_currencies_with_correct_exponents() -> None:
    assert len(CURRENCIES) >= 10
    assert (CURRENCIES["JPY"].exponent, CURRENCIES["USD"].exponent) == (0, 2)
    assert (CURRENCIES["EUR"].exponent, CURRENCIES["CNY"].exponent) == (2, 2)


def test_formatting() -> None:
    assert format_money(Money(124050, USD)) == "1,240.50 USD"
    assert format_money(Money(5, USD)) == "0.05 USD"
    assert format_money(Money(1000, JPY)) == "1,000 JPY"


@given(st.integers(min_value=1, max_value=LIMIT))
def test_format_then_parse_round_trips(minor: int) -> None:
    text = format_money(Money(minor, USD)).removesuffix(" USD")
    assert parse_amount(text, USD, LIMIT).amount_minor == minor


@given(st.text(max_size=30))
def test_parser_never_crashes(text: str) -> None:
    try:
        money = parse_amount(text, USD, LIMIT)
    except InvalidInput as err:
        message = err.message
        assert message
        return
    assert 0 < money.amount_minor <= LIMIT

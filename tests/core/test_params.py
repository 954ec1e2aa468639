"""Order parameters: valid requests are built with exact amounts; invalid ones name the field."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.domain.errors import InvalidInput
from core.domain.model import Mode, SplitKind
from core.domain.money import currency
from core.domain.params import RawOrder, build_request, parse_duration

USD = currency("USD")


def build(**kw: object) -> object:
    return build_request(RawOrder(currency=USD, **kw), max_minor=10_000_000)  # type: ignore[arg-type]


def test_equal_split_request() -> None:
    req = build_request(RawOrder(USD, total="100", payers=3, title=" Dinner  at Luigi's "), 10**7)
    assert req.amounts_minor == (3334, 3333, 3333)
    assert req.kind == SplitKind.EQUAL
    assert req.title == "Dinner at Luigi's"
    assert req.valid_s == 86400
    assert req.hold_s == 900
    assert req.mode == Mode.KEEP


def test_each_and_shares_requests() -> None:
    each = build_request(RawOrder(USD, each="15", payers=4), 10**7)
    assert each.amounts_minor == (1500,) * 4
    assert each.total_minor == 6000
    shares = build_request(RawOrder(USD, total="240", shares="2:1:1"), 10**7)
    assert shares.amounts_minor == (12000, 6000, 6000)


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"total": "10", "payers": 0}, "payers"),
        ({"total": "1", "payers": 500}, "payers"),
        ({"total": "-5", "payers": 2}, "total"),
        ({"total": "0.001", "payers": 2}, "total"),
        ({"total": "abc", "payers": 3}, "total"),
        ({"total": "10", "each": "2", "payers": 3}, "total"),
        ({"payers": 3}, "total"),
        ({"total": "10"}, "payers"),
        ({"total": "10", "payers": 2, "shares": "1:1"}, "payers"),
        ({"total": "10", "shares": "2:x"}, "shares"),
        ({"total": "10", "shares": "2:0"}, "shares"),
        ({"total": "10", "payers": 2, "mode": "most"}, "mode"),
        ({"total": "10", "payers": 2, "valid": timedelta(seconds=10)}, "expires_in"),
        ({"total": "10", "payers": 2, "valid": timedelta(days=31)}, "expires_in"),
        ({"total": "10", "payers": 2, "password": "12"}, "password"),
        ({"total": "10", "payers": 2, "title": "x" * 101}, "title"),
        ({"each": "60000", "payers": 200}, "each"),
    ],
)
def test_bad_parameters_name_the_field(kw: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        build(**kw)
    assert err.value.field == field
    assert err.value.message


@pytest.mark.parametrize(
    ("text", "seconds"), [("30m", 1800), ("2h", 7200), ("3d", 259200), ("90", 90), ("2H", 7200)]
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["99y", "2 hours", "", "h", "-1h", "1.5h"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(InvalidInput, match="duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    "title",
    [
        "Dinner\x00",
        "Dinner\x1b[31m",
        "Dinner\x7f",  # DEL, found by fuzzing: only ord < 32 was refused
        "Din\x9bner",  # a C1 control (CSI)
        "Dinner \u202e",  # RIGHT-TO-LEFT OVERRIDE: would reverse the amounts after the title
        "\u2067Dinner",  # RIGHT-TO-LEFT ISOLATE
    ],
)
def test_control_characters_in_a_title_are_refused(title: str) -> None:
    with pytest.raises(InvalidInput, match="control characters") as err:
        build(total="10", payers=2, title=title)
    assert err.value.field == "title"


@pytest.mark.parametrize("title", ["عشاء\u200f", "\u200eDinner", "晚餐 🍕", "Café"])
def test_titles_in_any_script_with_direction_marks_are_kept(title: str) -> None:
    assert build_request(RawOrder(USD, total="10", payers=2, title=title), 10**7).title == title

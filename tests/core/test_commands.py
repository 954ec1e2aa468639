"""`/split` and `/collect` arguments: every good form builds the right order; bad ones say why."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.domain.commands import COLLECT_EXAMPLE, SPLIT_EXAMPLE, parse_command
from core.domain.errors import InvalidInput
from core.domain.model import Mode, SplitKind
from core.domain.money import currency

USD = currency("USD")
LIMIT = 10_000_000


def split(text: str, kind: str = "split"):  # type: ignore[no-untyped-def]
    return parse_command(kind, text.split(), USD, LIMIT)


def test_equal_split_with_a_title() -> None:
    cmd = split("240 6 Dinner at Luigi's")
    assert cmd.request.amounts_minor == (4000,) * 6
    assert cmd.request.title == "Dinner at Luigi's"
    assert cmd.names == ()
    assert cmd.wants_password is False


def test_shares_and_collect() -> None:
    assert split("240 2:1:1").request.amounts_minor == (12000, 6000, 6000)
    cmd = split("15 20 Concert tickets", kind="collect")
    assert cmd.request.amounts_minor == (1500,) * 20
    assert cmd.request.kind == SplitKind.EACH


def test_named_payers_count_themselves_and_me_counts_the_payee() -> None:
    cmd = split("90 @Ann_x1 @bobby me Lunch")
    assert cmd.names == ("@ann_x1", "@bobby", "me")
    assert cmd.request.amounts_minor == (3000, 3000, 3000)
    assert cmd.request.title == "Lunch"


def test_options_anywhere_after_the_numbers() -> None:
    cmd = split("100 4 expires=2h Team lunch mode=all currency=EUR password")
    req = cmd.request
    assert req.valid_s == int(timedelta(hours=2).total_seconds())
    assert req.mode == Mode.ALL
    assert req.currency.code == "EUR"
    assert req.title == "Team lunch"
    assert cmd.wants_password is True


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        ("", "total", "amount first"),
        ("abc 3", "total", "not an amount"),
        ("-5 2", "total", "positive"),
        ("10 0", "payers", "between 1 and 1000"),
        ("0.001 2", "total", "decimals"),
        ("1 500", "payers", "cannot split"),
        ("10", "payers", "number of payers"),
        ("10 x", "payers", "not a number of payers"),
        ("10 2 expires=99y", "expires", "duration"),
        ("10 2 expires=31d", "expires_in", "30 days"),
        ("10 2 mode=most", "mode", "keep"),
        ("10 2 currency=XYZ", "currency", "unknown currency"),
        ("10 2 color=red", "color", "unknown option"),
        ("10 2 =5", "option", "unknown option"),  # found by fuzzing: the field was ''
        ("10 @ann", "payers", "@username"),
        ("10 @annie @annie", "payers", "named twice"),
        ("10 3 @annie", "payers", "not both"),
    ],
)
def test_bad_input_names_the_problem_and_shows_an_example(
    text: str, field: str, words: str
) -> None:
    with pytest.raises(InvalidInput) as err:
        split(text)
    assert err.value.field == field
    assert words in err.value.message
    assert err.value.example == "/split 240 6 Dinner at Luigi's"
    assert "Example" not in err.value.message  # the API's message stays the reason alone


@given(st.lists(st.text(max_size=12), max_size=8), st.sampled_from(["split", "collect"]))
def test_the_parser_never_crashes(words: list[str], kind: str) -> None:
    try:
        cmd = parse_command(kind, words, USD, LIMIT)
    except InvalidInput as err:
        refused = err
    else:
        assert 1 <= cmd.request.n <= 1000
        assert cmd.request.total_minor <= LIMIT
        return
    assert refused.message == refused.template.format(**refused.params)
    assert refused.example == (COLLECT_EXAMPLE if kind == "collect" else SPLIT_EXAMPLE)

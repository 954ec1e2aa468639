"""Hypothesis against the /split and /collect parser, the amount parser and build_request.

Every input ends in one of two ways: a valid request whose parts add up exactly to what
was typed (each part at least one minor unit, within the limits), or InvalidInput with a
message and the field at fault. Never another exception. Amounts are checked against an
independent reference parser, not against the code under test.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from core.domain.allocation import MAX_PAYERS
from core.domain.commands import COLLECT_EXAMPLE, SPLIT_EXAMPLE, parse_command
from core.domain.errors import InvalidInput
from core.domain.model import SplitKind
from core.domain.money import CURRENCIES, Currency, currency, parse_amount
from core.domain.params import (
    MAX_TITLE,
    MAX_VALID,
    MIN_VALID,
    OrderRequest,
    RawOrder,
    build_request,
)
from tests.fuzz.conftest import fuzz_examples
from web.api.schemas import CreateOrderIn

T = TypeVar("T")
USD = currency("USD")
LIMIT = 10_000_000
CURRENCY_LIST = sorted(CURRENCIES.values(), key=lambda c: c.code)

#: Fields a refusal may name (an unknown `key=value` option names its key instead).
FIELDS = {
    "amount",
    "total",
    "each",
    "payers",
    "shares",
    "expires",
    "expires_in",
    "hold",
    "mode",
    "currency",
    "title",
    "password",
    "option",
}

FUZZ = settings(
    max_examples=fuzz_examples(300),
    deadline=timedelta(seconds=2),  # a parser that blows up on size shows as a missed deadline
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# ---- adversarial text ----

NUMBERS = [
    "240",
    "240.50",
    "1,240.50",
    "0.01",
    "12,345",
    "1.234",
    "007",
    "0",
    "0.00",
    "-5",
    "+5",
    "1e3",
    "1E+999999999",
    "1e-999999999",
    "9" * 5000,
    "0." + "0" * 5000 + "1",
    "1" + ",000" * 2000,
    "1_000",
    "1,00",
    "1.",
    ".5",
    "0x10",
]
NON_NUMBERS = [
    "nan",
    "NaN",
    "-nan",
    "sNaN",
    "inf",
    "-inf",
    "Infinity",
    "∞",
    "٣",  # ARABIC-INDIC DIGIT THREE
    "２４０",  # full-width
    "𝟐𝟒𝟎",  # mathematical bold
    "²⁴⁰",
    "\u200f240",  # RIGHT-TO-LEFT MARK
    "240\u200e",  # LEFT-TO-RIGHT MARK
    "\u202e042",  # RIGHT-TO-LEFT OVERRIDE
    "2\u200b40",  # ZERO WIDTH SPACE
    "240\u0301",  # a combining accent
    "\x00",
    "240\x7f",
    "",
]
WORDS = [
    "me",
    "ME",
    "@ann_x1",
    "@Bobby",
    "@cid_",
    "@ann_x1",
    "@",
    "@a",
    "@" + "x" * 40,
    "@ａｎｎｉｅ",
    "2:1:1",
    "0:1",
    "1:",
    ":",
    "9" * 7 + ":1",
    ":".join(["1"] * 1001),
    "password",
    "PASSWORD",
    "expires=2h",
    "expires=1m",
    "expires=30d",
    "expires=31d",
    "expires=",
    "EXPIRES=1d",
    "expires=999999999",
    "mode=all",
    "mode=ALL",
    "mode=",
    "currency=eur",
    "currency=jpy",
    "currency=KWD",
    "currency=xyz",
    "currency=",
    "=",
    "=x",
    "color=red",
    "Dinner",
    "Luigi's",
    "<b>bold</b>",
    "\u202ereversed",
    "\u200f",
    "x" * 120,
    "\x1b[31m",
]

numbers = st.sampled_from(NUMBERS)
non_numbers = st.sampled_from(NON_NUMBERS)
decimal_text = st.from_regex(r"\A[0-9]{1,9}(,[0-9]{3}){0,3}(\.[0-9]{0,4})?\Z")
amount_text = st.one_of(
    numbers,
    non_numbers,
    decimal_text,
    st.builds(
        lambda a, b, c: a + b + c,
        st.sampled_from(["", " ", "  ", "\t"]),
        decimal_text,
        st.sampled_from(["", " ", "\u00a0"]),
    ),
    st.builds(lambda a, b: a + b, non_numbers, decimal_text),
    st.builds(lambda a, b: a + b, decimal_text, non_numbers),
    st.text(max_size=40),
)
count_text = st.one_of(
    st.integers(min_value=-5, max_value=MAX_PAYERS + 5).map(str),
    st.sampled_from(["0", "1001", "9" * 30, "٣", "３", "1.5", "2:1:1", "1:1", "0:1"]),
)
word = st.one_of(
    st.sampled_from(WORDS),
    numbers,
    non_numbers.filter(bool),
    st.text(min_size=1, max_size=30).filter(lambda w: w.split() == [w]),
)


good_amount = st.one_of(
    st.integers(min_value=1, max_value=10**5).map(str),
    st.from_regex(r"\A[1-9][0-9]{0,4}\.[0-9]{1,2}\Z"),
    st.from_regex(r"\A[1-9],[0-9]{3}(\.[0-9]{2})?\Z"),
)
good_count = st.one_of(
    st.integers(min_value=1, max_value=60).map(str),
    st.lists(st.integers(min_value=1, max_value=9), min_size=2, max_size=6).map(
        lambda ws: ":".join(map(str, ws))
    ),
)
names = st.lists(
    st.from_regex(r"\A@[a-z][a-z0-9_]{3,10}\Z") | st.just("me"), min_size=1, max_size=6, unique=True
)
good_words = st.lists(
    st.sampled_from(
        [
            *("Dinner", "Luigi's", "at", "ÉTÉ", "晚餐", "عشاء", "\u200fعشاء", "password"),
            *("expires=2h", "expires=30m", "mode=all", "mode=keep", "currency=eur"),
            *("currency=JPY", "🍕"),
        ]
    ),
    max_size=6,
)


@st.composite
def command_args(draw: st.DrawFn) -> list[str]:
    """What `context.args` can hold: the text after the command, split on whitespace.

    A third well-formed (amount, payers or @names, title, options), a third with one
    adversarial part, a third anything at all.
    """
    shape = draw(st.sampled_from(["good", "one bad part", "anything"]))
    if shape == "anything":
        return draw(st.lists(word, max_size=12))
    amount, count = draw(good_amount), draw(good_count)
    who = [count] if draw(st.booleans()) else draw(names)
    rest = draw(good_words)
    if shape == "one bad part":
        parts = [amount, *who, *rest]
        at = draw(st.integers(min_value=0, max_value=len(parts)))
        bad = draw(st.one_of(amount_text, count_text, word))
        parts[at : at + draw(st.integers(0, 1))] = [bad]
        text = " ".join(parts)
    else:
        text = " ".join([amount, *who, *rest])
    spaces = draw(st.sampled_from([" ", "   ", "\u00a0", "\u3000", "\n", "\t"]))
    return text.replace(" ", spaces).split()


# ---- the reference amount parser ----

_REFERENCE = re.compile(r"([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.([0-9]+))?", re.ASCII)


def reference_minor(text: str, exponent: int) -> int | None:
    """Minor units of a plain decimal (thousands commas allowed), or None if it is not one."""
    found = _REFERENCE.fullmatch(text.strip())
    if found is None:
        return None
    whole, fraction = found.group(1).replace(",", ""), found.group(2) or ""
    if len(fraction) > exponent or len(whole.lstrip("0")) > 40:
        return None  # too many decimals, or beyond any limit (and int()'s digit limit)
    return int(whole) * int(10**exponent) + int(fraction.ljust(exponent, "0") or "0")


def outcome(call: Callable[[], T]) -> T | InvalidInput:
    """A parser's result, or the InvalidInput it raised; any other exception fails the test."""
    try:
        return call()
    except InvalidInput as err:
        return err


def assert_refusal(err: InvalidInput, words: list[str] | None = None) -> None:
    """A refusal a person can act on: which field, and why, in the message the API sends."""
    assert err.message
    assert err.message == err.template.format(**err.params)
    assert isinstance(err.field, str)
    assert err.field
    keys = {w.split("=", 1)[0][:20] for w in words or [] if "=" in w}
    assert err.field in FIELDS or err.field in keys, err.field


def assert_valid(req: OrderRequest, max_minor: int) -> None:
    assert 1 <= req.n <= MAX_PAYERS
    assert all(a >= 1 for a in req.amounts_minor)
    assert req.total_minor == sum(req.amounts_minor) <= max_minor
    if req.kind == SplitKind.EQUAL:
        assert max(req.amounts_minor) - min(req.amounts_minor) <= 1
    if req.kind == SplitKind.EACH:
        assert len(set(req.amounts_minor)) == 1
    assert len(req.title) <= MAX_TITLE
    assert MIN_VALID.total_seconds() <= req.valid_s <= MAX_VALID.total_seconds()
    assert 60 <= req.hold_s <= 3600


# ---- parse_amount ----


@FUZZ
@given(amount_text, st.sampled_from(CURRENCY_LIST), st.integers(min_value=1, max_value=10**12))
def test_an_amount_is_exactly_what_was_typed_or_refused(
    text: str, cur: Currency, max_minor: int
) -> None:
    expected = reference_minor(text, cur.exponent)
    money = outcome(lambda: parse_amount(text, cur, max_minor, field="total"))
    if isinstance(money, InvalidInput):
        assert_refusal(money)
        assert money.field == "total"
        assert expected is None or not 0 < expected <= max_minor, (text, expected)
        return
    assert money.amount_minor == expected
    assert 0 < money.amount_minor <= max_minor
    assert money.currency == cur


# ---- /split and /collect ----


@FUZZ
@given(command_args(), st.sampled_from(["split", "collect"]), st.sampled_from(CURRENCY_LIST))
def test_a_command_is_a_valid_order_or_a_clear_refusal(
    args: list[str], kind: str, default: Currency
) -> None:
    cmd = outcome(lambda: parse_command(kind, args, default, LIMIT))
    if isinstance(cmd, InvalidInput):
        assert_refusal(cmd, args)
        assert cmd.example == (COLLECT_EXAMPLE if kind == "collect" else SPLIT_EXAMPLE)
        return
    req = cmd.request
    assert_valid(req, LIMIT)
    typed = reference_minor(args[0], req.currency.exponent)
    assert typed is not None, args[0]
    if kind == "collect":
        assert req.kind == SplitKind.EACH
        assert req.amounts_minor == (typed,) * req.n
    else:
        assert req.total_minor == typed
    if cmd.names:
        assert len(cmd.names) == req.n
        assert len(set(cmd.names)) == req.n
    chosen = [w.split("=", 1)[1] for w in args[1:] if w.lower().startswith("currency=")]
    assert req.currency == (currency(chosen[-1]) if chosen else default)


@pytest.mark.parametrize(
    "text",
    [
        "240 6 " + " ".join(["word"] * 2000),
        "240 " + "@annie " * 60,
        "9" * 4000 + " 6",
        "240 " + ":".join(["1"] * 5000),
        "1E+999999999 2",
        "240\u00a06\u3000Dinner",
        "２４０ ６",
        "240 6 Dinner\u202e",
        "240 6 Din\x9bner",
        "240 6 =5",
    ],
)
def test_long_and_strange_commands_are_refused_or_parsed_quickly(text: str) -> None:
    cmd = outcome(lambda: parse_command("split", text.split(), USD, LIMIT))
    if isinstance(cmd, InvalidInput):
        assert_refusal(cmd, text.split())
        return
    assert_valid(cmd.request, LIMIT)
    assert cmd.request.total_minor == reference_minor(text.split()[0], 2)


# ---- RawOrder -> build_request ----

durations = st.one_of(
    st.integers(min_value=-10, max_value=40 * 86400).map(lambda s: timedelta(seconds=s)),
    st.sampled_from([timedelta(0), timedelta(days=30), timedelta(days=30, seconds=1)]),
)


good_durations = st.integers(min_value=60, max_value=3600).map(lambda s: timedelta(seconds=s))


@st.composite
def raw_orders(draw: st.DrawFn) -> RawOrder:
    """A well-formed order as the API or the bot builds it, then at most one field made bad."""
    raw = RawOrder(
        currency=draw(st.sampled_from(CURRENCY_LIST)),
        title=draw(st.text(st.characters(exclude_categories=["Cc", "Cs"]), max_size=30)),
        valid=draw(good_durations.map(lambda d: d * 24)),
        mode=draw(st.sampled_from(["keep", "all"])),
        password=draw(st.none() | st.text(min_size=4, max_size=64)),
        hold=draw(good_durations),
    )
    amount = draw(good_amount)
    if draw(st.booleans()):
        raw = replace(raw, total=amount, payers=draw(st.integers(min_value=1, max_value=20)))
    else:
        raw = replace(raw, each=amount, payers=draw(st.integers(min_value=1, max_value=20)))
    if raw.total is not None and draw(st.booleans()):
        raw = replace(raw, payers=None, shares=draw(good_count.filter(lambda c: ":" in c)))
    fault = draw(st.sampled_from([None, None, None, *BAD_FIELDS]))
    if fault is None:
        return raw
    return replace(raw, **{fault: draw(BAD_FIELDS[fault])})


BAD_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "total": st.none() | amount_text,
    "each": st.none() | amount_text,
    "payers": st.none() | st.integers(min_value=-2, max_value=MAX_PAYERS + 2) | st.just(10**30),
    "shares": st.none() | st.sampled_from(WORDS) | count_text,
    "title": st.text(max_size=120) | st.sampled_from(WORDS),
    "valid": durations,
    "hold": durations,
    "mode": st.sampled_from(["KEEP", "", "most", "\u202eall", "all\x00"]),
    "password": st.text(max_size=70),
}


@FUZZ
@given(raw_orders(), st.just(LIMIT) | st.integers(min_value=1, max_value=10**12))
def test_build_request_is_valid_or_names_the_field(raw: RawOrder, max_minor: int) -> None:
    req = outcome(lambda: build_request(raw, max_minor))
    if isinstance(req, InvalidInput):
        assert_refusal(req)
        return
    assert_valid(req, max_minor)
    if raw.each is not None:
        assert req.amounts_minor[0] == reference_minor(raw.each, raw.currency.exponent)
    else:
        assert req.total_minor == reference_minor(raw.total or "", raw.currency.exponent)


# ---- the REST API's body, as JSON decodes it ----

json_amounts: st.SearchStrategy[object] = st.one_of(
    amount_text,
    st.integers(min_value=-(10**40), max_value=10**40),
    st.builds(
        lambda m, e: Decimal(f"{m}E{e}"),
        st.integers(min_value=-999, max_value=10**6),
        st.integers(min_value=-(10**9), max_value=10**9),
    ),
    st.sampled_from([True, None, [], {}, 1.5]),
)


@FUZZ
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "total": json_amounts,
            "each": json_amounts,
            "payers": st.integers(min_value=-3, max_value=10**20) | st.sampled_from([True, "3"]),
            "shares": st.lists(st.integers(min_value=-1, max_value=10**7), max_size=6) | count_text,
            "expires_in": st.integers(min_value=-(10**12), max_value=10**12) | count_text,
            "hold": st.integers(min_value=-1, max_value=10**5) | st.sampled_from(["15m", "2h"]),
            "currency": st.sampled_from(["usd", "JPY", "XTS", "", "€"]),
            "mode": st.sampled_from(["keep", "all", "none"]),
            "title": st.text(max_size=110),
        },
    )
)
def test_an_api_body_is_valid_or_names_the_field(doc: dict[str, Any]) -> None:
    req = outcome(lambda: _api_request(doc))
    if isinstance(req, InvalidInput):
        assert_refusal(req)
    elif isinstance(req, ValidationError):
        assert req.errors()
    else:
        assert_valid(req, LIMIT)


def _api_request(doc: dict[str, Any]) -> OrderRequest | ValidationError:
    """What POST /api/v1/orders builds from a decoded body: pydantic's refusal, or core's."""
    try:
        body = CreateOrderIn.model_validate(doc)
    except ValidationError as err:
        return err
    return build_request(body.to_raw(USD), LIMIT)

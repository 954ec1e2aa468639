"""The neutral statement shape: squeezing, finding a reference, hashing lines, picking credits."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from core.domain.errors import InvariantViolation
from core.domain.statements import (
    Statement,
    StatementLine,
    StatementUnreadable,
    credits,
    line_hashes,
    mentions,
    squeeze,
)

REF = "RF18539007547034"


def line(**changes: object) -> StatementLine:
    base = StatementLine(
        booked=True,
        credit=True,
        amount_minor=4500,
        currency="EUR",
        booking_date=date(2024, 3, 4),
        remittance=(),
        creditor_refs=(),
        end_to_end_ids=(),
        counterparty="Bob Payer",
        bank_ref="2024030400012345",
        index=0,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def statement(*lines: StatementLine, account: str | None = "DE89370400440532013000") -> Statement:
    return Statement("camt.053", account, lines)


@pytest.mark.parametrize(
    ("text", "squeezed"),
    [
        ("RF18 5390\n0754 7034", REF),
        ("rf18\t5390\r\n 0754\u00a07034 ", REF),
        ("  ", ""),
        ("Dinner share", "DINNERSHARE"),
    ],
)
def test_squeeze_upper_cases_and_drops_every_whitespace(text: str, squeezed: str) -> None:
    assert squeeze(text) == squeezed


@pytest.mark.parametrize(
    "found",
    [
        line(remittance=("Dinner share RF18 5390\n 0754 7034",)),
        line(remittance=("Dinner share rf18 5390", "0754 7034 thanks")),
        line(remittance=("Pizza RF18 53", "90 0754", "7034")),
        line(creditor_refs=("RF18 5390 0754 7034",)),
        line(end_to_end_ids=(REF.lower(),)),
    ],
)
def test_a_reference_is_found_wrapped_split_or_in_any_case(found: StatementLine) -> None:
    assert mentions(found, REF)
    assert mentions(found, "rf18 5390 0754 7034")


@pytest.mark.parametrize(
    "other",
    [
        line(remittance=("Dinner share RF18 5390 0754 7035",)),
        line(counterparty=REF),
        line(bank_ref=REF),
        line(creditor_refs=("RF18 5390",), end_to_end_ids=("0754 7034",)),
    ],
)
def test_a_reference_elsewhere_or_cut_between_kinds_is_not_found(other: StatementLine) -> None:
    assert not mentions(other, REF)


def test_an_empty_reference_mentions_nothing() -> None:
    assert not mentions(line(remittance=("anything",)), " \n")


def test_credits_are_the_booked_credits_that_are_no_reversals() -> None:
    paid = line(index=0)
    lines = [
        paid,
        line(index=1, booked=False),
        line(index=2, credit=False),
        line(index=3, reversal=True),
        line(index=4, amount_minor=1),
    ]
    assert [found.index for found in credits(statement(*lines))] == [0, 4]


def test_line_hashes_are_stable_across_reads_and_differ_for_twin_lines() -> None:
    twin = line(remittance=("Taxi",), bank_ref=None)

    def read() -> Statement:
        return statement(line(), replace(twin, index=1), replace(twin, index=2))

    first, second = line_hashes(read(), "payee:7"), line_hashes(read(), "payee:7")
    assert first == second
    assert len(set(first)) == 3
    assert all(len(digest) == 64 and int(digest, 16) >= 0 for digest in first)


def test_line_hashes_ignore_the_position_and_bind_the_payee_and_account() -> None:
    moved = line_hashes(statement(line(amount_minor=1), line(index=1)), "payee:7")[1]
    assert moved == line_hashes(statement(line()), "payee:7")[0]
    base = line_hashes(statement(line()), "payee:7")
    assert base != line_hashes(statement(line()), "payee:8")
    assert base != line_hashes(statement(line(), account="DE02120300000000202051"), "payee:7")
    assert base != line_hashes(statement(line(remittance=("x",))), "payee:7")


@pytest.mark.parametrize(
    "changes", [{"amount_minor": -1}, {"amount_minor": 2**63}, {"currency": "XXX"}]
)
def test_a_line_out_of_range_is_a_bug(changes: dict[str, object]) -> None:
    with pytest.raises(InvariantViolation):
        line(**changes)


def test_an_unreadable_statement_carries_its_template_and_values() -> None:
    error = StatementUnreadable(
        "{where}: the amount {amount} is not a number", where="line 3", amount="'x'"
    )
    assert error.code == "statement_unreadable"
    assert error.message == "line 3: the amount 'x' is not a number"
    assert error.params == {"where": "line 3", "amount": "'x'"}
    assert error.fields == error.params

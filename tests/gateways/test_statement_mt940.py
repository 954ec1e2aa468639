"""The MT940 reader on a German savings bank's file (structured, wrapped :86:) and a SWIFT
block-wrapped one; references cut by a line wrap; malformed fields refused by line."""

from __future__ import annotations

from datetime import date

import pytest

from core.domain.statements import credits, mentions
from gateways.statements import read_statement
from tests.gateways.statements import refused, sample

SPARKASSE = sample("mt940_sparkasse.sta")
SWIFT = sample("mt940_swift.mt940")


def test_a_german_statement_reads_marks_amounts_and_dates() -> None:
    statement = read_statement(SPARKASSE, "20240305.sta")
    assert (statement.format, statement.account) == ("mt940", "50010517/0123456789")
    assert [(line.amount_minor, line.credit, line.reversal) for line in statement.lines] == [
        (25000, True, False),
        (4210, False, False),
        (1250, True, False),
        (25000, False, True),  # RC: a credit taken back
    ]
    assert {line.currency for line in statement.lines} == {"EUR"}
    assert all(line.booked for line in statement.lines)
    assert [line.booking_date for line in statement.lines] == [
        date(2024, 3, 4),
        date(2024, 3, 5),
        date(2024, 3, 5),
        date(2024, 3, 5),
    ]
    assert [line.bank_ref for line in statement.lines] == [
        "2024030412345",
        "2024030598765",
        "2024030598766",
        "2024030598767",
    ]
    assert [line.index for line in credits(statement)] == [0, 2]


def test_structured_details_give_the_purpose_the_payer_and_the_end_to_end_id() -> None:
    dinner, power, cinema, _back = read_statement(SPARKASSE).lines
    assert dinner.remittance[0] == "Dinner share RF18 53900754 7034 danke"
    assert dinner.remittance[1].startswith("166?00SEPA-GUTSCHRIFT?109310?20EREF+NOTPROVIDED")
    assert dinner.counterparty == "ERIKA MUSTERMANN UND MAX MUSTERMANN"  # ?32 and ?33
    assert dinner.end_to_end_ids == ()  # NOTPROVIDED is no id
    assert power.end_to_end_ids == ("INV-2024-001",)
    assert power.remittance[0] == "Stromabschlag Maerz"
    assert power.counterparty == "STADTWERKE MUSTERSTADT"
    assert cinema.end_to_end_ids == ("E2E-7781",)  # the :61: reference for the account owner
    assert cinema.counterparty is None
    assert cinema.remittance == ("Kino RF71 23\n48231 von Frank", "/OCMT/EUR12,50/")


def test_a_reference_cut_by_a_line_wrap_is_found() -> None:
    dinner, power, cinema, back = read_statement(SPARKASSE).lines
    assert mentions(dinner, "RF18539007547034")  # cut between ?21 and ?22 on two lines
    assert mentions(cinema, "RF712348231")  # free text wrapped mid-reference
    assert mentions(back, "RF18539007547034")
    assert not mentions(power, "RF18539007547034")


def test_a_swift_block_wrapped_file_is_read_inside_block_4() -> None:
    statement = read_statement(SWIFT)
    assert statement.account == "DE89370400440532013000"
    concert, fee = statement.lines
    assert (concert.amount_minor, concert.credit, concert.bank_ref) == (9999, True, "ZV240305001")
    assert concert.booking_date == date(2024, 3, 5)  # no entry date: the value date
    assert mentions(concert, "RF9871234567890")
    assert (fee.amount_minor, fee.credit, fee.remittance) == (1500, False, ("Kontofuehrung Maerz",))


def test_latin_1_text_is_read_when_it_is_not_utf8() -> None:
    data = SWIFT.replace(b"Kontofuehrung Maerz", "Kontoführung März".encode("latin-1"))
    assert read_statement(data).lines[1].remittance == ("Kontoführung März",)


def test_an_entry_date_across_new_year_falls_in_the_right_year() -> None:
    data = SWIFT.replace(b":61:240305C", b":61:2312310102C")
    assert read_statement(data).lines[0].booking_date == date(2024, 1, 2)
    data = SWIFT.replace(b":61:240305C", b":61:2401021231C")
    assert read_statement(data).lines[0].booking_date == date(2023, 12, 31)


def test_statements_of_one_account_are_read_together_and_of_two_refused() -> None:
    body = SPARKASSE.rstrip(b"-\r\n") + b"\r\n"
    assert len(read_statement(body + body).lines) == 8
    other = body.replace(b"50010517/0123456789", b"50010517/9999999999")
    assert "statements of 2 accounts" in refused(body + other)


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        (b"CR250,00N", b"CR2,5,0N", "line 5: the amount '2,5,0' is not a number"),
        (b"CR250,00N", b"CR250,001N", "line 5: the amount '250,001' has more decimals than EUR"),
        (b":61:2403040304", b":61:2402300304", "line 5: the date '240230' is not a date"),
        (b":61:2403040304", b":61:2403041304", "line 5: the date '1304' is not a date"),
        (b":61:2403040304CR", b":61:2403040304XR", "line 5: the statement line (:61:) '240304"),
        (b":60F:C240301EUR", b":60F:C240301PLN", "line 4: the currency 'PLN' is not one"),
        (b":60F:C240301EUR", b":60F:X", "line 4: the opening balance 'X1520,42' is not"),
        (b":60F:C240301EUR1520,42\r\n", b"", "line 4: the statement line comes before an opening"),
    ],
)
def test_a_malformed_field_is_refused_naming_its_line(old: bytes, new: bytes, reason: str) -> None:
    assert old in SPARKASSE
    assert reason in refused(SPARKASSE.replace(old, new, 1))


def test_a_swift_header_without_block_4_is_refused() -> None:
    reason = "the SWIFT message has no statement text (block {4:)"
    assert refused(b"{1:F01COBADEFFAXXX0000000000}{2:O940}") == reason


def test_a_file_without_statement_lines_is_an_empty_statement() -> None:
    statement = read_statement(b":20:STARTUMSE\r\n:25:DE89370400440532013000\r\n-\r\n")
    assert (statement.account, statement.lines) == ("DE89370400440532013000", ())

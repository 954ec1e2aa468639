"""The EPC069-12 SEPA payment QR payload, and the IBAN and BIC checks, against the guideline."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.domain.errors import InvalidInput
from core.domain.payqr.epc import (
    MAX_AMOUNT_MINOR,
    MAX_NAME,
    MAX_NOTE,
    MAX_PAYLOAD_BYTES,
    MAX_TEXT,
    check_bic,
    check_iban,
    epc_amount,
    epc_payload,
)

IBAN = "DE71110220330123456789"
BIC = "BHBLDEHHXXX"

# The sample payload quoted as the example of EPC069-12 v3.0 (section 5 example) by the
# de.wikipedia "EPC-QR-Code" article and by barcode vendors (Neodynamic's EPC QR page). The
# guideline's own text could not be checked here, so the test asserts the structure line by
# line: the quote ends in two empty lines (remittance text and information, both unused),
# which the guideline lets an encoder leave out, and this one does.
MUSTERMANN = (
    "BCD\n002\n1\nSCT\nBHBLDEHHXXX\nFranz Mustermänn\nDE71110220330123456789\n"
    "EUR12.3\nGDDS\nRF18539007547034\n\n"
)
# The Belgian Red Cross sample of en.wikipedia's "EPC QR code" article (version 001, which
# needs the BIC): the same lines but the version, which is 002 here.
RED_CROSS = (
    "BCD\n001\n1\nSCT\nBPOTBEB1\nRed Cross of Belgium\nBE72000000001616\nEUR1\nCHAR\n\n"
    "Urgency fund\nSample EPC QR code"
)


def payload(**changes: Any) -> str:
    """A minimal valid payload with `changes` to its arguments."""
    args: dict[str, Any] = {"name": "Franz Mustermann", "iban": IBAN, "bic": None}
    args["amount_minor"] = 1230
    args.update(changes)
    return epc_payload(**args)


def refusal(field: str, **changes: Any) -> str:
    with pytest.raises(InvalidInput) as caught:
        payload(**changes)
    assert caught.value.field == field
    return caught.value.message


def test_the_mustermann_sample_is_reproduced_line_by_line() -> None:
    made = epc_payload(
        name="Franz Mustermänn",
        iban="DE71 1102 2033 0123 4567 89",
        bic=BIC,
        amount_minor=1230,
        purpose="GDDS",
        reference="RF18 5390 0754 7034",
    )
    expected = MUSTERMANN.split("\n")
    assert expected[10:] == ["", ""]  # unused text and information
    assert made.split("\n") == expected[:10]
    assert made == MUSTERMANN.rstrip("\n")
    assert "ä".encode() in made.encode("utf-8")  # character set 1: UTF-8


def test_the_red_cross_sample_is_reproduced_with_version_002() -> None:
    made = epc_payload(
        name="Red Cross of Belgium",
        iban="BE72000000001616",
        bic="BPOTBEB1",
        amount_minor=100,
        purpose="CHAR",
        text="Urgency fund",
        note="Sample EPC QR code",
    )
    assert made == RED_CROSS.replace("\n001\n", "\n002\n", 1)


def test_the_fixed_header_and_the_line_order() -> None:
    lines = payload(purpose="GDDS", text="Dinner", note="Thanks").split("\n")
    assert lines[:4] == ["BCD", "002", "1", "SCT"]
    assert lines[4:] == ["", "Franz Mustermann", IBAN, "EUR12.3", "GDDS", "", "Dinner", "Thanks"]


def test_unused_trailing_elements_are_left_out_and_inner_ones_kept_empty() -> None:
    assert payload().split("\n")[-1] == "EUR12.3"
    assert len(payload().split("\n")) == 8
    assert payload(note="Thanks").split("\n")[7:] == ["EUR12.3", "", "", "", "Thanks"]
    assert not payload(note="Thanks").endswith("\n")
    assert "\r" not in payload(note="Thanks")


@pytest.mark.parametrize("empty", [None, "", "   "])
def test_the_bic_may_be_left_out_with_version_002(empty: str | None) -> None:
    assert payload(bic=empty).split("\n")[4] == ""


def test_the_bic_is_written_compact_in_upper_case() -> None:
    assert payload(bic="bhbl de hh xxx").split("\n")[4] == "BHBLDEHHXXX"
    assert payload(bic="bhbldehh").split("\n")[4] == "BHBLDEHH"


@pytest.mark.parametrize(
    ("minor", "text"),
    [
        (1230, "EUR12.3"),
        (1200, "EUR12"),
        (5, "EUR0.05"),
        (1, "EUR0.01"),
        (10, "EUR0.1"),
        (100, "EUR1"),
        (1234, "EUR12.34"),
        (123456789, "EUR1234567.89"),  # no thousands separators
        (100_000_000_00, "EUR100000000"),
        (MAX_AMOUNT_MINOR, "EUR999999999.99"),
    ],
)
def test_amounts_are_written_as_the_guideline_shows(minor: int, text: str) -> None:
    assert epc_amount(minor) == text
    assert payload(amount_minor=minor).split("\n")[7] == text


@pytest.mark.parametrize("minor", [0, -1, MAX_AMOUNT_MINOR + 1])
def test_amounts_outside_001_to_999999999_99_are_refused(minor: int) -> None:
    assert "EUR 0.01 to EUR 999,999,999.99" in refusal("amount", amount_minor=minor)


@given(st.integers(min_value=1, max_value=MAX_AMOUNT_MINOR))
def test_every_amount_reads_back_exactly(minor: int) -> None:
    text = epc_amount(minor)
    assert text.startswith("EUR")
    assert Decimal(text[3:]) * 100 == minor
    if "." in text:
        assert not text.endswith(("0", "."))


def test_the_name_is_1_to_70_characters_on_one_line() -> None:
    assert payload(name="  " + "N" * MAX_NAME + " ").split("\n")[5] == "N" * 70
    assert "longer than 70" in refusal("name", name="N" * (MAX_NAME + 1))
    assert "missing" in refusal("name", name="   ")
    assert "one line" in refusal("name", name="Franz\nMustermann")
    assert "one line" in refusal("name", name="Franz\tMustermann")
    assert "cannot be stored" in refusal("name", name="Franz \ud800")


def test_the_text_is_at_most_140_and_the_note_at_most_70_characters() -> None:
    assert payload(text="T" * MAX_TEXT).split("\n")[10] == "T" * 140
    assert "longer than 140" in refusal("text", text="T" * (MAX_TEXT + 1))
    assert payload(note="N" * MAX_NOTE).split("\n")[11] == "N" * 70
    assert "longer than 70" in refusal("note", note="N" * (MAX_NOTE + 1))
    assert "one line" in refusal("text", text="line one\r\nline two")
    assert "one line" in refusal("note", note="a\u2028b")


def test_a_reference_and_a_text_are_never_both_given() -> None:
    message = refusal("reference", reference="RF18539007547034", text="Dinner")
    assert "not both" in message


def test_the_reference_must_be_a_valid_rf_reference_and_is_written_compact() -> None:
    assert payload(reference="rf18 5390 0754 7034").split("\n")[9] == "RF18539007547034"
    assert "ISO 11649" in refusal("reference", reference="RF19539007547034")
    assert "ISO 11649" in refusal("reference", reference="INVOICE 42")


def test_the_purpose_is_at_most_four_letters_and_digits() -> None:
    assert payload(purpose="gdds").split("\n")[8] == "GDDS"
    assert "at most 4" in refusal("purpose", purpose="GOODS")
    assert "at most 4" in refusal("purpose", purpose="G-DS")


def test_the_payload_is_at_most_331_bytes() -> None:
    def big(text_len: int) -> str:
        return payload(name="ä" * MAX_NAME, text="x" * text_len, note="n" * MAX_NOTE)

    base = len(big(1).encode("utf-8")) - 1
    fits = MAX_PAYLOAD_BYTES - base
    assert 0 < fits <= MAX_TEXT
    assert len(big(fits).encode("utf-8")) == MAX_PAYLOAD_BYTES == 331
    with pytest.raises(InvalidInput) as caught:
        big(fits + 1)
    assert caught.value.field == "text"
    assert "332 bytes" in caught.value.message
    assert "holds 331" in caught.value.message


def test_a_good_iban_is_made_compact_and_upper_case() -> None:
    assert check_iban("de71 1102 2033 0123 4567 89") == IBAN
    assert check_iban(" CH93 0076 2011 6238 5295 7 ") == "CH9300762011623852957"  # SEPA, non-EEA
    assert payload(iban="de71 1102 2033 0123 4567 89").split("\n")[6] == IBAN


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("DE71110220330123456788", "check digits are wrong"),
        ("DE72110220330123456789", "check digits are wrong"),
        ("DE7111022033012345678", "too short or too long"),
        ("XX71110220330123456789", "country code"),
        ("", "not an IBAN"),
        ("DE71 1102 2033 0123 4567 8!", "not an IBAN"),
        ("DE711102203301234567AB", "not an IBAN"),
    ],
)
def test_bad_ibans_are_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason) as caught:
        check_iban(text)
    assert caught.value.field == "iban"


def test_an_iban_outside_the_sepa_zone_is_refused() -> None:
    with pytest.raises(InvalidInput, match="IBANs of BR cannot receive SEPA") as caught:
        check_iban("BR18 0036 0305 0000 1000 9795 493C 1")
    assert caught.value.field == "iban"
    assert "IBANs of BR" in refusal("iban", iban="BR1800360305000010009795493C1")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("BHBLDEHHX", "8 or 11"),
        ("", "8 or 11"),
        ("BHBLXXHH", "country code"),
        ("BHBL-EHH", "not a BIC"),
    ],
)
def test_bad_bics_are_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason) as caught:
        check_bic(text)
    assert caught.value.field == "bic"


def test_the_payload_checks_the_bic_too() -> None:
    assert "8 or 11" in refusal("bic", bic="BHBLDEHHX")

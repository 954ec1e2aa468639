"""The OFX reader on an OFX 1.02 SGML file (cp1252, open leaf tags) and an OFX 2.2 XML file;
DOCTYPEs and entity declarations refused; malformed transactions refused by number and line."""

from __future__ import annotations

from datetime import date

import pytest

from core.domain.statements import credits, mentions
from gateways.statements import read_statement
from tests.gateways.statements import refused, sample

SGML = sample("ofx102_sgml.ofx")
XML = sample("ofx220_xml.ofx")


def test_an_ofx_1_sgml_file_is_read_in_its_declared_charset() -> None:
    statement = read_statement(SGML, "export.qfx")
    assert (statement.format, statement.account) == ("ofx", "4417000123")
    jose, power, frank = statement.lines
    assert (jose.amount_minor, jose.currency, jose.credit) == (4500, "USD", True)
    assert jose.counterparty == "JOSÉ NUÑEZ"  # CHARSET:1252
    assert jose.remittance == ("JOSÉ NUÑEZ", "Dinner share RF18 5390 0754 7034")
    assert jose.booking_date == date(2024, 3, 2)
    assert jose.bank_ref == "2024030200001"
    assert mentions(jose, "RF18539007547034")
    assert (power.amount_minor, power.credit, power.counterparty) == (
        4210,
        False,
        "CITY POWER & LIGHT",
    )
    assert (frank.amount_minor, frank.end_to_end_ids) == (1250, ("RF9871234567890",))  # '12,50'
    assert [line.index for line in credits(statement)] == [0, 2]
    assert all(line.booked and not line.reversal for line in statement.lines)


def test_an_ofx_2_xml_file_is_read_with_per_transaction_currencies() -> None:
    statement = read_statement(XML)
    assert statement.account == "DE89370400440532013000"
    zoe, shop, dave = statement.lines
    assert (zoe.amount_minor, zoe.currency, zoe.counterparty) == (7550, "EUR", "Zoë Müller")
    assert mentions(zoe, "RF46PART0002")
    assert zoe.booking_date == date(2024, 3, 4)
    assert (shop.credit, shop.counterparty) == (False, "Smith & Sons")
    assert (dave.amount_minor, dave.currency, dave.credit) == (2000, "CHF", True)  # '+20.00'
    assert [line.index for line in credits(statement)] == [0, 2]


def test_an_ofx_body_without_header_is_read() -> None:
    body = SGML.partition(b"\r\n\r\n")[2].replace(b"\xc9", b"E").replace(b"\xd1", b"N")
    assert read_statement(body).lines[0].counterparty == "JOSE NUNEZ"


@pytest.mark.parametrize(
    "declaration",
    [
        b'<!DOCTYPE OFX [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
        b'<!ENTITY e "lol">',
        b"<! doctype ofx>",
    ],
)
@pytest.mark.parametrize("data", [SGML, XML])
def test_a_doctype_or_an_entity_declaration_is_refused(data: bytes, declaration: bytes) -> None:
    marked = data.replace(b"<OFX>", declaration + b"\n<OFX>", 1)
    assert refused(marked) == "the file declares a DOCTYPE or XML entities, which Chipin refuses"


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        (b"<TRNAMT>45.00", b"<TRNAMT>45.001", "transaction 1 (line 43): the amount '45.001' has"),
        (b"<TRNAMT>45.00", b"<TRNAMT>NaN", "transaction 1 (line 43): the amount 'NaN' is not"),
        (b"<TRNAMT>45.00", b"<TRNAMT>1,045.00", "the amount '1,045.00' is not a number"),
        (b"<TRNAMT>45.00", b"<TRNAMT>", "transaction 1 (line 43): the transaction has no amount"),
        (b"<DTPOSTED>20240303", b"<DTPOSTED>2024-03-03", "transaction 2 (line 51): the date"),
        (b"<DTPOSTED>20240303", b"<DTPOSTED>20240230", "the date '20240230' is not a date"),
        (b"<CURDEF>USD", b"<CURDEF>XAU", "transaction 1 (line 43): the currency 'XAU' is not"),
        (b"<OFX>", b"<NOPE>", "the OFX file has no <OFX> body"),
    ],
)
def test_a_malformed_transaction_is_refused_saying_where(
    old: bytes, new: bytes, reason: str
) -> None:
    assert old in SGML
    assert reason in refused(SGML.replace(old, new, 1))


def test_text_in_no_known_charset_is_refused() -> None:
    data = SGML.replace(b"CHARSET:1252", b"CHARSET:EBCDIC")
    assert refused(data) == (
        "the text is neither UTF-8 nor in a character set Chipin reads (it declares 'EBCDIC')"
    )


def test_references_and_negative_fractions_are_read_exactly() -> None:
    data = XML.replace(b"<TRNAMT>-25.70", b"<TRNAMT>-.70")
    assert read_statement(data).lines[1].amount_minor == 70

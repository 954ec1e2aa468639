"""The CAMT.053 reader on files shaped like real banks' (v02, v08), on every version's
namespace, on XML attacks (XXE, billion laughs) and on garbage; and how files are told apart."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest

from core.domain.statements import Statement, StatementUnreadable, credits, mentions
from gateways.statements import MAX_STATEMENT_BYTES, read_statement
from tests.gateways.statements import refused, sample

V02 = sample("camt053_v02.xml")
V08 = sample("camt053_v08.xml")
NAMESPACE_V08 = b"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"


def test_a_v02_statement_is_read_entry_by_entry_and_transfer_by_transfer() -> None:
    statement = read_statement(V02, "camt053_v02.xml")
    assert statement.format == "camt.053"
    assert statement.account == "DE89370400440532013000"
    assert [line.index for line in statement.lines] == list(range(8))
    assert [line.amount_minor for line in statement.lines] == [
        4500, 3000, 4210, 1000, 2000, 3000, 4500, 500
    ]  # fmt: skip
    assert {line.currency for line in statement.lines} == {"EUR"}
    first = statement.lines[0]
    assert first.booking_date == date(2024, 3, 4)
    assert first.counterparty == "Bob Payer"
    assert first.bank_ref == "2024030400012345"
    assert first.end_to_end_ids == ()  # NOTPROVIDED is no id
    assert mentions(first, "RF18539007547034")  # wrapped inside one Ustrd


def test_only_booked_credits_count_not_pending_debits_or_reversals() -> None:
    statement = read_statement(V02)
    pending, debit, reversal = statement.lines[1], statement.lines[2], statement.lines[6]
    assert (pending.booked, pending.credit) == (False, True)
    assert (debit.booked, debit.credit, debit.counterparty) == (
        True,
        False,
        "Stadtwerke Musterstadt",
    )
    assert (reversal.reversal, reversal.credit) == (True, True)
    assert [line.index for line in credits(statement)] == [0, 3, 4, 5, 7]


def test_each_transfer_of_a_batched_entry_is_a_line_with_its_own_reference() -> None:
    carol, dave, erin = read_statement(V02).lines[3:6]
    assert [line.counterparty for line in (carol, dave, erin)] == [
        "Carol Split",
        "Dave Struct",
        "Erin Endtoend",
    ]
    assert carol.remittance == ("Pizza night RF44 CHIP", "IN42 thanks")
    assert mentions(carol, "RF44CHIPIN42")  # split over two Ustrd, with spaces
    assert dave.creditor_refs == ("RF51A7K2M9Q4",)
    assert mentions(dave, "RF51 A7K2 M9Q4")
    assert erin.end_to_end_ids == ("RF44B3X8P1",)
    assert mentions(erin, "RF44B3X8P1")
    for line in (carol, dave, erin):
        assert not mentions(line, "RF18539007547034")


def test_an_entry_without_details_keeps_its_additional_information() -> None:
    last = read_statement(V02).lines[7]
    assert last.remittance == ("GUTSCHRIFT RF73PART0001",)
    assert mentions(last, "RF73PART0001")


def test_a_v08_statement_reads_status_codes_parties_and_transfer_amounts() -> None:
    statement = read_statement(V08)
    assert statement.account == "0532013000"
    assert [(line.amount_minor, line.currency) for line in statement.lines] == [
        (2550, "CHF"),
        (2000, "CHF"),
        (3000, "CHF"),
        (1990, "CHF"),
        (2570, "CHF"),
        (2550, "CHF"),
    ]
    carol, dave, erin, pending, shop, storno = statement.lines
    assert carol.booking_date == date(2024, 3, 5)  # from BookgDt/DtTm
    assert carol.bank_ref == "ZV20240305/000101/1"
    assert mentions(carol, "RF46PART0002")
    assert dave.creditor_refs == ("RF19PART0003",)
    assert dave.remittance == ("Skiwochenende",)
    assert erin.end_to_end_ids == ("RF89PART0004",)
    assert (pending.booked, pending.booking_date) == (False, None)
    assert (shop.counterparty, shop.credit) == ("Migros Genossenschaft", False)
    assert (storno.reversal, storno.credit) == (True, False)
    assert [line.index for line in credits(statement)] == [0, 1, 2]


@pytest.mark.parametrize("version", [f"{n:02d}" for n in range(2, 14)])
def test_every_version_from_02_to_13_is_read(version: str) -> None:
    namespace = NAMESPACE_V08.replace(b".08", f".{version}".encode())
    statement = read_statement(V08.replace(NAMESPACE_V08, namespace))
    assert len(statement.lines) == 6


@pytest.mark.parametrize(
    ("namespace", "reason"),
    [
        (b"camt.053.001.01", "camt.053 version 01 is not one Chipin reads (02 to 13)"),
        (b"camt.053.001.14", "camt.053 version 14 is not one Chipin reads (02 to 13)"),
        (
            b"camt.054.001.08",
            "this is a camt.054 message; Chipin reads camt.053 account statements",
        ),
    ],
)
def test_other_versions_and_messages_are_refused_by_name(namespace: bytes, reason: str) -> None:
    data = V08.replace(NAMESPACE_V08, b"urn:iso:std:iso:20022:tech:xsd:" + namespace)
    assert refused(data) == reason


def _with_doctype(doctype: str, body: bytes = V02) -> bytes:
    declaration, _, rest = body.partition(b"\n")
    return declaration + b"\n" + doctype.encode() + b"\n" + rest


def test_an_external_entity_is_refused_before_any_file_is_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-4711")
    doctype = f'<!DOCTYPE Document [<!ENTITY e SYSTEM "file://{secret}">]>'
    data = _with_doctype(doctype, V02.replace(b"Dinner share", b"&e;"))
    with pytest.raises(StatementUnreadable) as caught:
        read_statement(data)
    assert caught.value.message == "the file uses a DTD or XML entities, which Chipin refuses"
    assert "TOP-SECRET" not in repr(caught.value.fields)


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
        '<!DOCTYPE x [<!ENTITY % p SYSTEM "http://127.0.0.1:9/evil.dtd"> %p;]>',
        '<!DOCTYPE x SYSTEM "http://127.0.0.1:9/evil.dtd">',
        "<!DOCTYPE x>",
    ],
)
def test_any_dtd_is_refused(doctype: str) -> None:
    reason = "the file uses a DTD or XML entities, which Chipin refuses"
    assert refused(_with_doctype(doctype)) == reason


def test_a_billion_laughs_is_refused_at_once() -> None:
    entities = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10 if n > 1 else "&lol;" * 10}">'
        for n in range(1, 10)
    ]
    doctype = f"<!DOCTYPE lolz [{''.join(entities)}]>"
    data = _with_doctype(doctype, V02.replace(b"Dinner share", b"&lol9;"))
    started = time.perf_counter()
    assert refused(data) == "the file uses a DTD or XML entities, which Chipin refuses"
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (V02[: len(V02) // 2], "the XML is malformed"),
        (V02.replace(b"Dinner share", b"&nbsp;"), "the XML is malformed"),
        (V02.replace(b"<Stmt>", b"<Other>").replace(b"</Stmt>", b"</Other>"), "holds no statement"),
        (V02.replace(b'"EUR">45.00', b'"EUR">45.001'), "entry 1: the amount '45.001' has more"),
        (V02.replace(b'"EUR">45.00', b'"EUR">NaN'), "entry 1: the amount 'NaN' is not a number"),
        (V02.replace(b'"EUR">45.00', b'"EUR">-45.00'), "entry 1: the amount '-45.00' is not"),
        (V02.replace(b'"EUR">45.00', b'"EUR">1e3'), "entry 1: the amount '1e3' is not a number"),
        (V02.replace(b'"EUR">45.00', b'"EUR">' + b"9" * 20), "entry 1: the amount '9999"),
        (V02.replace(b'Ccy="EUR">45.00', b'Ccy="PLN">45.00'), "entry 1: the currency 'PLN' is"),
        (
            V02.replace(b"<BookgDt>\n          <Dt>2024-03-04", b"<BookgDt><Dt>2024-02-30", 1),
            "entry 1: the date",
        ),
        (
            V02.replace(b"<CdtDbtInd>CRDT</CdtDbtInd>\n        <Sts>BOOK", b"<Sts>BOOK"),
            "entry 1: the ",
        ),
        (V02.replace(b'<Amt Ccy="EUR">10.00</Amt>', b""), "entry 4, transfer 1: a transfer"),
        (b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.053.001.02'/>", "no statement"),
        (b"<Doc xmlns='urn:iso:std:iso:20022:tech:xsd:camt.053.001.02'/>", "the XML is not a"),
    ],
)
def test_a_broken_statement_is_refused_saying_what_is_wrong(data: bytes, reason: str) -> None:
    assert reason in refused(data)


def test_xml_nested_deeper_than_any_statement_is_refused() -> None:
    data = V02.replace(b"<Ustrd>Dinner share", b"<x>" * 64 + b"<Ustrd>Dinner share")
    assert refused(data) == ("the XML is nested deeper than 64 or holds more than 500000 elements")


def test_statements_of_two_accounts_in_one_file_are_refused() -> None:
    head, _, rest = V02.partition(b"<Stmt>")
    stmt, _, tail = rest.partition(b"</Stmt>")

    def two(second: bytes) -> bytes:
        return head + b"<Stmt>" + stmt + b"</Stmt><Stmt>" + second + b"</Stmt>" + tail

    other = stmt.replace(b"DE89370400440532013000", b"DE02120300000000202051")
    assert refused(two(other)) == (
        "the file holds statements of 2 accounts; upload one account's statement"
    )
    assert len(read_statement(two(stmt)).lines) == 16


def test_a_utf16_statement_is_read() -> None:
    data = V08.replace(b'encoding="UTF-8"', b'encoding="UTF-16"').decode().encode("utf-16")
    assert isinstance(read_statement(data), Statement)


@pytest.mark.parametrize(
    ("data", "filename", "reason"),
    [
        (b"", None, "the file is empty"),
        (b" \n\t", None, "the file is empty"),
        (b"%PDF-1.7\n...", "statement.pdf", "this is a PDF; download the statement as"),
        (b"PK\x03\x04rest", "statements.zip", "this is a ZIP archive"),
        (b"Date;Amount;Text\n2024-03-01;12,30;Taxi", "umsaetze.csv", "spreadsheet exports differ"),
        (
            b"<html><body>Login</body></html>",
            None,
            "this is not a CAMT.053, MT940 or OFX statement",
        ),
        (b"\x00\xff\xfe garbage", None, "this is not a CAMT.053, MT940 or OFX statement"),
        (b"<" + b"x" * (MAX_STATEMENT_BYTES + 1), None, "Chipin reads statements up to 5 MB"),
    ],
)
def test_what_is_no_statement_is_refused_saying_what_it_is(
    data: bytes, filename: str | None, reason: str
) -> None:
    assert reason in refused(data, filename)

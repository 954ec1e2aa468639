"""The CAMT.053 reader (ISO 20022 bank-to-customer statement, versions 02 to 13).

Parsed by defusedxml with DTDs, entities and external references forbidden, so an XML bomb
or an XXE file is refused before anything is expanded or fetched. Elements are found by
local name, whatever the namespace prefix. Each `Ntry` is one line, except a batched entry
(several `NtryDtls/TxDtls`), where each transfer becomes its own line with its own amount,
references, remittance texts and payer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as safe_xml

from core.domain.statements import Statement, StatementLine, StatementUnreadable
from gateways.statements.fields import (
    amount_minor,
    calendar_date,
    clean,
    currency_of,
    one_account,
    quoted,
    texts,
)

_ROOT = re.compile(r"\{urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.(0[2-9]|1[0-3])\}Document")
_ISO_DATE = re.compile(r"\s*([0-9]{4})-([0-9]{2})-([0-9]{2})")
_NOT_PROVIDED = "NOTPROVIDED"
MAX_DEPTH = 64
MAX_ELEMENTS = 500_000


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _all(node: Element, path: str) -> list[Element]:
    """The descendants of `node` along `path` ('A/B/C'), matching local names only."""
    found = [node]
    for name in path.split("/"):
        found = [child for parent in found for child in parent if _local(child.tag) == name]
    return found


def _text(node: Element, *paths: str) -> str | None:
    """The first non-empty text along any of `paths`, cleaned."""
    for path in paths:
        for element in _all(node, path):
            text = clean(element.text)
            if text is not None:
                return text
    return None


def _texts(node: Element, path: str) -> list[str]:
    return list(texts(*(element.text for element in _all(node, path))))


class _Bounded(TreeBuilder):
    """A tree builder that refuses a document nested deeper, or holding more elements, than
    any statement does: 5 MB of open tags would otherwise take half a gigabyte."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.elements = 0

    def start(self, tag: str, attrs: dict[str, str], /) -> Element:
        self.depth += 1
        self.elements += 1
        if self.depth > MAX_DEPTH or self.elements > MAX_ELEMENTS:
            raise StatementUnreadable(
                "the XML is nested deeper than {depth} or holds more than {elements} elements",
                depth=MAX_DEPTH,
                elements=MAX_ELEMENTS,
            )
        return super().start(tag, attrs)

    def end(self, tag: str, /) -> Element:
        self.depth -= 1
        return super().end(tag)


def _parse(data: bytes) -> Element:
    parser = safe_xml.XMLParser(target=_Bounded(), forbid_dtd=True)
    try:
        parser.feed(data)
        root: Element = parser.close()
    except DefusedXmlException:
        raise StatementUnreadable(
            "the file uses a DTD or XML entities, which Chipin refuses"
        ) from None
    except (ParseError, LookupError, ValueError) as exc:
        raise StatementUnreadable("the XML is malformed ({reason})", reason=str(exc)[:80]) from None
    if not _ROOT.fullmatch(root.tag):
        raise StatementUnreadable(
            "the XML is not a camt.053 statement of version 02 to 13 (its root is {root})",
            root=quoted(root.tag),
        )
    return root


def _date(entry: Element, where: str) -> date | None:
    raw = _text(entry, "BookgDt/Dt", "BookgDt/DtTm")
    if raw is None:
        return None
    found = _ISO_DATE.match(raw)
    if found is None:
        raise StatementUnreadable(
            "{where}: the booking date {value} is not a date", where=where, value=quoted(raw)
        )
    year, month, day = (int(part) for part in found.groups())
    return calendar_date(year, month, day, where, raw)


def _amount(node: Element, where: str) -> tuple[int, str] | None:
    """The amount and currency of the first `Amt` along the usual paths, or None."""
    for path in ("Amt", "AmtDtls/TxAmt/Amt"):
        for element in _all(node, path):
            cur = currency_of(element.get("Ccy"), where)
            return amount_minor(element.text or "", cur, where), cur.code
    return None


@dataclass(frozen=True, slots=True)
class _Entry:
    """What a line takes from its `Ntry`."""

    booked: bool
    credit: bool
    reversal: bool
    booking_date: date | None
    bank_ref: str | None


def _entry(entry: Element, where: str) -> _Entry:
    status = _text(entry, "Sts", "Sts/Cd", "Sts/Prtry")
    direction = _text(entry, "CdtDbtInd")
    if direction not in ("CRDT", "DBIT"):
        raise StatementUnreadable(
            "{where}: the credit/debit mark {mark} is neither CRDT nor DBIT",
            where=where,
            mark=quoted(direction or ""),
        )
    return _Entry(
        booked=status == "BOOK",
        credit=direction == "CRDT",
        reversal=(_text(entry, "RvslInd") or "").lower() in ("true", "1"),
        booking_date=_date(entry, where),
        bank_ref=_text(entry, "AcctSvcrRef"),
    )


def _line(
    head: _Entry, details: Element | None, amount: tuple[int, str], index: int, extra: list[str]
) -> StatementLine:
    """A line from its entry and, when the entry has them, its transaction details."""
    credit = head.credit
    remittance, refs, ends, party, bank_ref = list(extra), [], [], None, head.bank_ref
    if details is not None:
        mark = _text(details, "CdtDbtInd")
        credit = credit if mark is None else mark == "CRDT"
        remittance = [
            *_texts(details, "RmtInf/Ustrd"),
            *_texts(details, "RmtInf/Strd/AddtlRmtInf"),
            *_texts(details, "AddtlTxInf"),
            *extra,
        ]
        refs = _texts(details, "RmtInf/Strd/CdtrRefInf/Ref")
        ends = [ref for ref in _texts(details, "Refs/EndToEndId") if ref.upper() != _NOT_PROVIDED]
        role = "Dbtr" if credit else "Cdtr"
        party = _text(details, f"RltdPties/{role}/Nm", f"RltdPties/{role}/Pty/Nm")
        bank_ref = _text(details, "Refs/AcctSvcrRef") or bank_ref
    return StatementLine(
        booked=head.booked,
        credit=credit,
        amount_minor=amount[0],
        currency=amount[1],
        booking_date=head.booking_date,
        remittance=tuple(remittance),
        creditor_refs=tuple(refs),
        end_to_end_ids=tuple(ends),
        counterparty=party,
        bank_ref=bank_ref,
        index=index,
        reversal=head.reversal,
    )


def _lines(entries: list[Element]) -> Iterator[StatementLine]:
    index = 0
    for number, entry in enumerate(entries, start=1):
        where = f"entry {number}"
        head = _entry(entry, where)
        own = _amount(entry, where)
        if own is None:
            raise StatementUnreadable("{where}: the entry has no amount (Amt)", where=where)
        details = _all(entry, "NtryDtls/TxDtls")
        if len(details) <= 1:
            extra = _texts(entry, "AddtlNtryInf")
            yield _line(head, details[0] if details else None, own, index, extra)
            index += 1
            continue
        for part, detail in enumerate(details, start=1):
            amount = _amount(detail, f"{where}, transfer {part}")
            if amount is None:
                raise StatementUnreadable(
                    "{where}, transfer {part}: a transfer of a batched entry has no amount",
                    where=where,
                    part=part,
                )
            yield _line(head, detail, amount, index, [])
            index += 1


def read_camt(data: bytes) -> Statement:
    """The statement in a camt.053 file (every `Stmt` of one account); StatementUnreadable
    when the XML is malformed, uses a DTD or entities, or is not a camt.053 statement."""
    root = _parse(data)
    statements = _all(root, "BkToCstmrStmt/Stmt")
    if not statements:
        raise StatementUnreadable("the camt.053 file holds no statement (Stmt)")
    account = one_account([_text(stmt, "Acct/Id/IBAN", "Acct/Id/Othr/Id") for stmt in statements])
    entries = [entry for stmt in statements for entry in _all(stmt, "Ntry")]
    return Statement("camt.053", account, tuple(_lines(entries)))

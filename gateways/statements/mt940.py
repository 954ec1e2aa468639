"""The MT940 reader: SWIFT customer statements, plain or wrapped in SWIFT blocks ({1:…}{4:…-}).

A focused parser of its own, not the `mt940` package: that one joins repeated `:86:` fields
by string concatenation (quadratic: a 2 MB file of them took 6 s), logs each malformed
field's raw text (names, IBANs) at ERROR, raises an open set of exception types without a
line number, and drops the raw `:86:` text once it finds ?-subfields. Here every refusal is
a StatementUnreadable naming the line, and the work is linear in the size of the file.

Each `:61:` is one booked line: C is a credit, D a debit, RC (reversal of a credit, money
out) and RD (reversal of a debit, money in) are reversals. Its `:86:` details are kept raw
(a reference wrapped over two lines is found once whitespace is squeezed) and, in the German
structured form (`166?00…?20…?21…`), split into the purpose (?20–?29, ?60–?63, joined with
nothing between, since banks cut them mid-word), the payer's name (?32, ?33) and the SEPA
keywords in the purpose (EREF+ is the end-to-end id, SVWZ+ the remittance text).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from core.domain.money import Currency
from core.domain.statements import Statement, StatementLine, StatementUnreadable
from gateways.statements.fields import (
    amount_minor,
    calendar_date,
    clean,
    currency_of,
    decode,
    one_account,
    quoted,
    texts,
)

_TAG = re.compile(r":([0-9]{2}[A-Z]?|NS):")
_BALANCE = re.compile(r"[CD][0-9]{6}([A-Za-z]{3})")
_STATEMENT_LINE = re.compile(
    r"(?P<value>[0-9]{6})(?P<entry>[0-9]{4})?(?P<mark>RC|RD|C|D)(?P<funds>[A-Z])?"
    r"(?P<amount>[0-9][0-9,]*)(?P<type>[A-Z][A-Z0-9]{3})?(?P<own>.*?)(?://(?P<bank>.*))?"
)
_STRUCTURED = re.compile(r"[0-9]{3}\?[0-9]{2}")
_SUBFIELD = re.compile(r"\?([0-9]{2})")
_SEPA_KEY = re.compile(
    r"(EREF|KREF|MREF|CRED|DEBT|SVWZ|ABWA|ABWE|IBAN|BIC|PURP|COAM|OAMT|SQTP|ORCR|ORMR|DDAT|MDAT)\+"
)
_PURPOSE = {str(n) for n in range(20, 30)} | {"60", "61", "62", "63"}
_NAME = ("32", "33")
_OPENING = ("60F", "60M", "60")
_NO_REFERENCE = ("NONREF", "NOTPROVIDED")
_HALF_YEAR = timedelta(days=183)


@dataclass
class _Field:
    """A tag and its lines (the first after the tag, then its continuation lines)."""

    tag: str
    number: int
    lines: list[str]


@dataclass
class _Draft:
    """A `:61:` statement line with the currency in force and the `:86:` lines after it."""

    head: _Field
    currency: Currency
    details: list[str] = field(default_factory=list)


def _body(text: str) -> Iterator[tuple[int, str]]:
    """The numbered lines of the statement text: inside the {4: … -} blocks of a SWIFT
    wrapped file, all of a plain one; blank lines and message ends ('-') left out."""
    wrapped = text.lstrip().startswith("{1:")
    inside = not wrapped
    for number, line in enumerate(text.split("\n"), start=1):
        end = line.rstrip()
        if not inside:
            inside = end.endswith("{4:")
        elif end == "-" or end.startswith("-}"):
            inside = not wrapped
        elif end:
            yield number, line  # trailing spaces kept: ?2x subfields are joined as they are


def _fields(text: str) -> list[_Field]:
    found: list[_Field] = []
    for number, line in _body(text):
        tag = _TAG.match(line)
        if tag is not None:
            found.append(_Field(tag[1], number, [line[tag.end() :]]))
        elif found:
            found[-1].lines.append(line)
    return found


def _drafts(fields: list[_Field], accounts: list[str | None]) -> list[_Draft]:
    """The `:61:` lines with their details, noting each statement's `:25:` in `accounts`."""
    drafts: list[_Draft] = []
    cur: Currency | None = None
    open_draft: _Draft | None = None
    for item in fields:
        where = f"line {item.number}"
        if item.tag == "86" and open_draft is not None:
            open_draft.details.extend(item.lines)
            continue
        open_draft = None
        if item.tag == "20":
            cur = None
        elif item.tag == "25":
            accounts.append(clean(" ".join(item.lines)))
        elif item.tag in _OPENING:
            balance = _BALANCE.match(item.lines[0])
            if balance is None:
                raise StatementUnreadable(
                    "{where}: the opening balance {value} is not in the MT940 form",
                    where=where,
                    value=quoted(item.lines[0]),
                )
            cur = currency_of(balance[1], where)
        elif item.tag == "61":
            if cur is None:
                raise StatementUnreadable(
                    "{where}: the statement line comes before an opening balance (:60F:), "
                    "so its currency is unknown",
                    where=where,
                )
            open_draft = _Draft(item, cur)
            drafts.append(open_draft)
    return drafts


def _yymmdd(raw: str, where: str) -> date:
    return calendar_date(2000 + int(raw[:2]), int(raw[2:4]), int(raw[4:]), where, raw)


def _booking_date(entry: str | None, value: date, where: str) -> date:
    """The entry date (MMDD) in the year that puts it nearest the value date."""
    if entry is None:
        return value
    booked = calendar_date(value.year, int(entry[:2]), int(entry[2:]), where, entry)
    if booked - value > _HALF_YEAR:
        return calendar_date(value.year - 1, booked.month, booked.day, where, entry)
    if value - booked > _HALF_YEAR:
        return calendar_date(value.year + 1, booked.month, booked.day, where, entry)
    return booked


@dataclass(frozen=True, slots=True)
class _Details:
    remittance: tuple[str, ...]
    end_to_end_ids: tuple[str, ...]
    counterparty: str | None


def _details(lines: list[str]) -> _Details:
    """The texts of a `:86:` field, raw and, in the structured form, split up."""
    raw = "\n".join(lines)
    joined = "".join(lines)
    if not _STRUCTURED.match(joined):
        return _Details(texts(raw), (), None)
    parts = _SUBFIELD.split(joined)
    subfields = list(zip(parts[1::2], parts[2::2], strict=True))
    purpose = "".join(value for code, value in subfields if code in _PURPOSE)
    name = "".join(value for code, value in subfields if code in _NAME)
    keyed = _SEPA_KEY.split(purpose)
    sepa: dict[str, str] = {}
    for key, value in zip(keyed[1::2], keyed[2::2], strict=True):
        sepa.setdefault(key, value)
    ends = texts(sepa.get("EREF"))
    return _Details(
        texts(sepa.get("SVWZ", purpose), raw),
        tuple(ref for ref in ends if ref.upper() not in _NO_REFERENCE),
        clean(name),
    )


def _line(draft: _Draft, index: int) -> StatementLine:
    where = f"line {draft.head.number}"
    first, *more = draft.head.lines
    found = _STATEMENT_LINE.fullmatch(first)
    if found is None:
        raise StatementUnreadable(
            "{where}: the statement line (:61:) {value} is not in the MT940 form",
            where=where,
            value=quoted(first),
        )
    value = _yymmdd(found["value"], where)
    mark = found["mark"]
    details = _details(draft.details)
    own = [ref for ref in texts(found["own"]) if ref.upper() not in _NO_REFERENCE]
    return StatementLine(
        booked=True,
        credit=mark in ("C", "RD"),
        amount_minor=amount_minor(found["amount"], draft.currency, where, separators=","),
        currency=draft.currency.code,
        booking_date=_booking_date(found["entry"], value, where),
        remittance=details.remittance + texts(*more),
        creditor_refs=(),
        end_to_end_ids=tuple(dict.fromkeys([*details.end_to_end_ids, *own])),
        counterparty=details.counterparty,
        bank_ref=clean(found["bank"]),
        index=index,
        reversal=mark.startswith("R"),
    )


def read_mt940(data: bytes) -> Statement:
    """The statement in an MT940 file (every statement in it, of one account);
    StatementUnreadable naming the line when a field is malformed."""
    text = decode(data, fallback="latin-1").replace("\r\n", "\n").replace("\r", "\n")
    if text.lstrip().startswith("{1:") and "{4:" not in text:
        raise StatementUnreadable("the SWIFT message has no statement text (block {{4:)")
    accounts: list[str | None] = []
    drafts = _drafts(_fields(text), accounts)
    lines = tuple(_line(draft, index) for index, draft in enumerate(drafts))
    return Statement("mt940", one_account(accounts), lines)

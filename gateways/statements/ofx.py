"""The OFX reader: OFX 1.x (SGML, leaf tags left open) and 2.x (XML), by a tokenizer of its own.

Not `ofxparse`: it decodes a file without an ENCODING header as ASCII (a UTF-8 OFX 2 file
with one accented name fails), raises ValueError or LookupError on a malformed header,
calls a deprecated BeautifulSoup method (a warning, an error under this project's tests),
reads amounts loosely (NaN, '1.234,56' guessed) and took 4.7 s on 1.2 MB of open tags.
OFX needs no XML parser: its tags carry no attributes, so a regular expression over
`<TAG>text` tokens reads both versions, in time linear in the file. A DOCTYPE or an
entity declaration is refused outright; character references and the five XML entities
are unescaped. Every `<STMTTRN>` is a posted, so booked, transaction: TRNAMT's sign gives
the direction, in the transaction's CURRENCY if it has one, else the statement's CURDEF.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import date

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

_FORBIDDEN = re.compile(r"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_XML_ENCODING = re.compile(r"<\?xml[^>]{0,200}?encoding\s*=\s*[\"']([^\"']{1,40})[\"']")
_HEADER = re.compile(r"^\s*(ENCODING|CHARSET)\s*:\s*(\S{1,40})", re.IGNORECASE | re.MULTILINE)
_TOKEN = re.compile(r"<(/?)([A-Za-z0-9_.]{1,64})>([^<]*)")
_DATE = re.compile(r"\s*([0-9]{4})([0-9]{2})([0-9]{2})")
_ACCOUNT_FROM = ("BANKACCTFROM", "CCACCTFROM")
_CURRENCIES = ("CURRENCY", "ORIGCURRENCY")


@dataclass
class _Txn:
    """An `<STMTTRN>` being read: where it starts, its leaf values, its currencies."""

    number: int
    line: int
    curdef: str | None
    values: dict[str, str] = field(default_factory=dict)
    currency: str | None = None

    @property
    def where(self) -> str:
        return f"transaction {self.number} (line {self.line})"


@dataclass
class _Reader:
    """The state of one pass over the tokens."""

    curdef: str | None = None
    accounts: list[str | None] = field(default_factory=list)
    txns: list[_Txn] = field(default_factory=list)
    current: _Txn | None = None
    in_account: bool = False
    in_currency: str | None = None
    saw_ofx: bool = False

    def close(self, name: str) -> None:
        if name in ("STMTTRN", "BANKTRANLIST"):
            self.current = None
        elif name in _ACCOUNT_FROM:
            self.in_account = False
        elif name in _CURRENCIES:
            self.in_currency = None

    def open(self, name: str, line: int) -> None:
        self.saw_ofx = self.saw_ofx or name == "OFX"
        if name == "STMTTRN":
            self.current = _Txn(len(self.txns) + 1, line, self.curdef)
            self.txns.append(self.current)
        elif name in ("STMTRS", "CCSTMTRS"):
            self.current, self.curdef = None, None
        elif name in _ACCOUNT_FROM:
            self.in_account = True
        elif name in _CURRENCIES:
            self.in_currency = name

    def leaf(self, name: str, value: str) -> None:
        txn = self.current
        if txn is not None:
            if name == "CURSYM" and self.in_currency == "CURRENCY":
                txn.currency = value
            else:
                txn.values.setdefault(name, value)
        elif name == "CURDEF":
            self.curdef = value
        elif name == "ACCTID" and self.in_account:
            self.accounts.append(clean(value))


def _declared_charset(data: bytes) -> str | None:
    """The charset the XML declaration or the OFX 1 header names, if any."""
    head = data[:4096].decode("latin-1")
    xml = _XML_ENCODING.search(head)
    if xml is not None:
        return xml[1]
    headers = {key.upper(): value for key, value in _HEADER.findall(head.partition("<")[0])}
    if headers.get("ENCODING", "").upper() in ("UTF-8", "UNICODE"):
        return "utf-8"
    return headers.get("CHARSET")


def _read(text: str) -> _Reader:
    reader = _Reader()
    line, last = 1, 0
    for token in _TOKEN.finditer(text):
        line += text.count("\n", last, token.start())
        last = token.start()
        closing, name, value = token[1] == "/", token[2].upper(), token[3]
        if closing:
            reader.close(name)
            continue
        reader.open(name, line)
        if value.strip():
            reader.leaf(name, html.unescape(value.strip()))
    return reader


def _posted(raw: str | None, where: str) -> date | None:
    if raw is None:
        return None
    found = _DATE.match(raw)
    if found is None:
        raise StatementUnreadable(
            "{where}: the date {value} is not a date", where=where, value=quoted(raw)
        )
    year, month, day = (int(part) for part in found.groups())
    return calendar_date(year, month, day, where, raw)


def _line(txn: _Txn, index: int) -> StatementLine:
    where = txn.where
    cur = currency_of(txn.currency or txn.curdef, where)
    raw = txn.values.get("TRNAMT")
    if raw is None:
        raise StatementUnreadable("{where}: the transaction has no amount (TRNAMT)", where=where)
    amount = raw.strip()
    negative = amount.startswith("-")
    digits = amount[1:].lstrip() if amount[:1] in ("+", "-") else amount
    if digits[:1] in (".", ","):
        digits = "0" + digits  # '-.50'
    minor = amount_minor(digits, cur, where, separators=".,")
    name = clean(txn.values.get("NAME"))
    return StatementLine(
        booked=True,
        credit=not negative and minor > 0,
        amount_minor=minor,
        currency=cur.code,
        booking_date=_posted(txn.values.get("DTPOSTED"), where),
        remittance=texts(name, txn.values.get("MEMO")),
        creditor_refs=(),
        end_to_end_ids=texts(txn.values.get("REFNUM")),
        counterparty=name,
        bank_ref=clean(txn.values.get("FITID")),
        index=index,
    )


def read_ofx(data: bytes) -> Statement:
    """The statement in an OFX file (every statement in it, of one account);
    StatementUnreadable when it declares a DTD or entities, or a transaction is malformed."""
    text = decode(data, _declared_charset(data))
    if _FORBIDDEN.search(text):
        raise StatementUnreadable(
            "the file declares a DOCTYPE or XML entities, which Chipin refuses"
        )
    reader = _read(text)
    if not reader.saw_ofx:
        raise StatementUnreadable("the OFX file has no <OFX> body")
    lines = tuple(_line(txn, index) for index, txn in enumerate(reader.txns))
    return Statement("ofx", one_account(reader.accounts), lines)

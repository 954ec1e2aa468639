"""What the statement readers share: decoding text, amounts in minor units, currencies,
dates, clean texts and the one-account rule, each refusing bad input with a clear message."""

from __future__ import annotations

import re
from datetime import date

from core.domain.money import CURRENCIES, MAX_MINOR, Currency
from core.domain.statements import StatementUnreadable
from core.domain.text import storable

#: Character sets a statement may declare (OFX `CHARSET:`, an XML declaration), by the
#: lower-case name as written, to the Python codec; anything else is not trusted to a codec.
_CHARSETS = {
    "1252": "cp1252",
    "cp1252": "cp1252",
    "windows-1252": "cp1252",
    "8859-1": "latin-1",
    "iso-8859-1": "latin-1",
    "iso8859-1": "latin-1",
    "latin-1": "latin-1",
    "latin1": "latin-1",
    "8859-15": "iso8859-15",
    "iso-8859-15": "iso8859-15",
    "utf-8": "utf-8",
    "utf8": "utf-8",
}

#: Digits, then an optional separator and decimals; the length caps keep `int` cheap.
_NUMBER = re.compile(r"([0-9]{1,40})(?:([.,])([0-9]{0,40}))?")


def quoted(text: str) -> str:
    """`text` as it goes into a message: repr'd and cut to 40 characters."""
    return repr(text if len(text) <= 40 else text[:40] + "…")


def decode(data: bytes, declared: str | None = None, fallback: str | None = None) -> str:
    """The text of `data`: UTF-8 (a BOM is dropped), else the declared charset if it is
    one Chipin knows, else the `fallback` codec; StatementUnreadable when none fits."""
    codecs = ["utf-8-sig", _CHARSETS.get((declared or "").strip().lower()), fallback]
    for codec in codecs:
        if codec is None:
            continue
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    raise StatementUnreadable(
        "the text is neither UTF-8 nor in a character set Chipin reads (it declares {charset})",
        charset=quoted(declared or "none"),
    )


def currency_of(code: str | None, where: str) -> Currency:
    """The currency for an ISO 4217 code written in the file, or StatementUnreadable."""
    found = CURRENCIES.get((code or "").strip().upper())
    if found is None:
        raise StatementUnreadable(
            "{where}: the currency {code} is not one Chipin handles ({known})",
            where=where,
            code=quoted(code or ""),
            known=", ".join(sorted(CURRENCIES)),
        )
    return found


def amount_minor(text: str, cur: Currency, where: str, separators: str = ".") -> int:
    """An unsigned amount such as '12.30' (or '12,30' when ',' is among `separators`) in
    minor units of `cur`, exactly: refuses signs, exponents, NaN, more decimals than the
    currency has (trailing zeros aside) and amounts above 2**63-1."""
    raw = text.strip()
    number = _NUMBER.fullmatch(raw)
    if number is None or (number[2] is not None and number[2] not in separators):
        raise StatementUnreadable(
            "{where}: the amount {amount} is not a number", where=where, amount=quoted(raw)
        )
    whole, decimals = number[1], (number[3] or "").rstrip("0")
    if len(decimals) > cur.exponent:
        raise StatementUnreadable(
            "{where}: the amount {amount} has more decimals than {currency} has ({exponent})",
            where=where,
            amount=quoted(raw),
            currency=cur.code,
            exponent=cur.exponent,
        )
    minor = int(whole) * cur.unit + int(decimals.ljust(cur.exponent, "0") or "0")
    if minor > MAX_MINOR:
        raise StatementUnreadable(
            "{where}: the amount {amount} is too large", where=where, amount=quoted(raw)
        )
    return minor


def calendar_date(year: int, month: int, day: int, where: str, raw: str) -> date:
    """The date, or StatementUnreadable quoting `raw` when there is no such day."""
    try:
        return date(year, month, day)
    except ValueError:
        raise StatementUnreadable(
            "{where}: the date {value} is not a date", where=where, value=quoted(raw)
        ) from None


def clean(text: str | None) -> str | None:
    """`text` stripped and storable (no NUL, no lone surrogate), or None when empty."""
    if text is None or not text.strip():
        return None
    return storable(text.strip())


def texts(*values: str | None) -> tuple[str, ...]:
    """The non-empty values, cleaned, in order."""
    return tuple(found for found in map(clean, values) if found is not None)


def one_account(accounts: list[str | None]) -> str | None:
    """The account all statements of a file are for (None if none names one); refuses a
    file that mixes accounts, since its lines would be matched to one payee's account."""
    named = {account for account in accounts if account is not None}
    if len(named) > 1:
        raise StatementUnreadable(
            "the file holds statements of {count} accounts; upload one account's statement",
            count=len(named),
        )
    return named.pop() if named else None

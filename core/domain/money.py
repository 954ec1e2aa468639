"""Money as integer minor units with an ISO 4217 currency; parsing and formatting of user text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from core.domain.errors import InvalidInput, invariant


@dataclass(frozen=True, slots=True)
class Currency:
    code: str
    exponent: int
    symbol: str

    @property
    def unit(self) -> int:
        """Minor units in one major unit (100 for USD, 1 for JPY)."""
        return int(10**self.exponent)


CURRENCIES: dict[str, Currency] = {
    c.code: c
    for c in (
        Currency("USD", 2, "$"),
        Currency("EUR", 2, "€"),
        Currency("GBP", 2, "£"),
        Currency("CNY", 2, "¥"),
        Currency("JPY", 0, "¥"),
        Currency("KRW", 0, "₩"),
        Currency("INR", 2, "₹"),
        Currency("CHF", 2, "CHF "),
        Currency("CAD", 2, "CA$"),
        Currency("AUD", 2, "A$"),
        Currency("SGD", 2, "S$"),
        Currency("HKD", 2, "HK$"),
        Currency("BRL", 2, "R$"),
        Currency("RUB", 2, "₽"),
        Currency("SEK", 2, "kr "),
        Currency("KWD", 3, "KD "),
        Currency("XTR", 0, "⭐"),  # Telegram Stars: paid only through Telegram Payments
    )
}

STARS = "XTR"

#: The largest amount any column holds (a signed 64-bit BIGINT): larger is malformed input.
MAX_MINOR = 2**63 - 1


def currency(code: str) -> Currency:
    """The currency for an ISO 4217 code (case-insensitive), or InvalidInput."""
    found = CURRENCIES.get(code.strip().upper())
    if found is None:
        known = ", ".join(sorted(CURRENCIES))
        raise InvalidInput(
            "currency",
            "unknown currency {code}; use one of {known}",
            code=repr(code[:20]),
            known=known,
        )
    return found


@dataclass(frozen=True, slots=True)
class Money:
    amount_minor: int
    currency: Currency

    def __post_init__(self) -> None:
        invariant(isinstance(self.amount_minor, int), "money amounts are integers")

    def __add__(self, other: Money) -> Money:
        invariant(self.currency == other.currency, "adding money in two currencies")
        return Money(self.amount_minor + other.amount_minor, self.currency)

    def __str__(self) -> str:
        return format_money(self)


def format_money(money: Money) -> str:
    """'12.50 USD', '1,000 JPY'."""
    exp = money.currency.exponent
    sign = "-" if money.amount_minor < 0 else ""
    major, minor = divmod(abs(money.amount_minor), money.currency.unit)
    text = f"{major:,}"
    if exp:
        text += f".{minor:0{exp}d}"
    return f"{sign}{text} {money.currency.code}"


def to_decimal(money: Money) -> Decimal:
    return Decimal(money.amount_minor).scaleb(-money.currency.exponent)


_AMOUNT = re.compile(r"^(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?$")


def parse_amount(text: str, cur: Currency, max_minor: int, field: str = "amount") -> Money:
    """Parse user text such as '240', '240.50' or '1,240.50' into Money.

    Refuses (InvalidInput naming `field`) negative, zero, NaN, infinities, exponents,
    more decimals than the currency has and amounts above `max_minor`; never rounds.
    """
    raw = text.strip()
    if not raw:
        raise InvalidInput(field, "the amount is missing")
    if raw.startswith("-"):
        raise InvalidInput(field, "the amount must be positive")
    if not _AMOUNT.match(raw):
        raise InvalidInput(
            field, "{value} is not an amount; write it like 240 or 240.50", value=repr(raw[:20])
        )
    try:
        value = Decimal(raw.replace(",", ""))
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only valid decimals
        raise InvalidInput(field, "{value} is not an amount", value=repr(raw[:20])) from exc
    decimals = -int(value.as_tuple().exponent)
    if decimals > cur.exponent:
        if cur.exponent == 0:
            raise InvalidInput(
                field, "{currency} has no decimals; write a whole amount", currency=cur.code
            )
        raise InvalidInput(
            field,
            "{currency} has at most {decimals} decimals",
            currency=cur.code,
            decimals=cur.exponent,
        )
    amount_minor = int(value.scaleb(cur.exponent))
    if amount_minor <= 0:
        raise InvalidInput(field, "the amount must be more than zero")
    if amount_minor > max_minor:
        limit = format_money(Money(max_minor, cur))
        raise InvalidInput(field, "the amount is above the limit of {limit}", limit=limit)
    return Money(amount_minor, cur)

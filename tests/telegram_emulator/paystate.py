"""The emulator's records of Telegram Payments: invoices, pre-checkout queries, charges, refunds."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from tests.telegram_emulator.state import JSON

STARS = "XTR"


@dataclass(slots=True)
class Invoice:
    """What an invoice message asks, and what the bot alone knows of it."""

    title: str
    description: str
    payload: str
    currency: str
    total_amount: int
    provider_token: str
    start_parameter: str = ""
    paid: bool = False

    def message_json(self) -> JSON:
        return {
            "title": self.title,
            "description": self.description,
            "start_parameter": self.start_parameter,
            "currency": self.currency,
            "total_amount": self.total_amount,
        }


@dataclass(slots=True)
class PreCheckout:
    id: str
    user_id: int
    chat_id: int
    message_id: int
    asked_at: float
    answer: tuple[bool, str | None] | None = None


@dataclass(slots=True)
class Charge:
    charge_id: str
    user_id: int
    currency: str
    total_amount: int
    payload: str
    refunded: bool = False


@dataclass(slots=True)
class Payments:
    """The payment side of one emulated world (reset with it)."""

    invoices: dict[tuple[int, int], Invoice] = field(default_factory=dict)
    queries: dict[str, PreCheckout] = field(default_factory=dict)
    charges: dict[str, Charge] = field(default_factory=dict)
    refunds: list[JSON] = field(default_factory=list)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

"""The inline numeric keypad for passwords: buttons send one key each, never the password."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.views.callbacks import PIN_DIGIT_PREFIX
from core.usecases.pins import PIN_LENGTH

DELETE = "x"


def digit_rows(prefix: str) -> list[list[InlineKeyboardButton]]:
    """1 2 3 / 4 5 6 / 7 8 9, each button's data `prefix` and its digit."""
    return [
        [InlineKeyboardButton(str(d), callback_data=f"{prefix}{d}") for d in range(r, r + 3)]
        for r in (1, 4, 7)
    ]


def keypad() -> InlineKeyboardMarkup:
    """1–9, then ⌫ 0; the password is complete (and checked) at its sixth digit."""
    rows = digit_rows(PIN_DIGIT_PREFIX)
    rows.append(
        [
            InlineKeyboardButton("⌫", callback_data=f"{PIN_DIGIT_PREFIX}{DELETE}"),
            InlineKeyboardButton("0", callback_data=f"{PIN_DIGIT_PREFIX}0"),
        ]
    )
    return InlineKeyboardMarkup(rows)


@dataclass(slots=True)
class PinEntry:
    """Digits typed so far in one keypad flow; kept in memory only, never logged or sent."""

    # "pay", "set", "set_again", "change_old", "change_new", "change_again", "passkey"
    purpose: str
    token: str | None = None
    digits: str = ""
    first: str | None = field(default=None, repr=False)  # the new password, entered once
    old: str | None = field(default=None, repr=False)
    link: str | None = field(default=None, repr=False)  # a passkey page token, once made
    shown_at: float = float("-inf")  # when the message's dots were last brought up to date
    # What to do once the password is verified, instead of paying `token` (binding a code)
    then: Callable[[], Awaitable[None]] | None = None

    def __repr__(self) -> str:  # never show digits in logs or tracebacks
        return f"PinEntry(purpose={self.purpose!r}, entered={len(self.digits)})"

    def press(self, key: str) -> bool:
        """Apply one key; True when six digits are in."""
        if key == DELETE:
            self.digits = self.digits[:-1]
        elif key.isascii() and key.isdigit() and len(key) == 1 and len(self.digits) < PIN_LENGTH:
            self.digits += key
        return len(self.digits) == PIN_LENGTH

    def take(self) -> str:
        """The complete password, clearing it from the entry."""
        pin, self.digits = self.digits, ""
        return pin

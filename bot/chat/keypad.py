"""The inline numeric keypad for passwords: buttons send one key each, never the password."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.views.callbacks import PIN_DIGIT_PREFIX
from core.domain.dialogs.pin import DELETE

__all__ = ["DELETE", "digit_rows", "keypad"]


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

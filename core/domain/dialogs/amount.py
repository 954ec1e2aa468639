"""The amount a payer pays to a static code: typed on a keypad (or as text), then OK."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from core.domain.dialogs.machine import Dialog, DialogKind, Machine, advance
from core.domain.money import Currency

OK, DELETE, POINT = "ok", "x", "."
MAX_TYPED = 12
STALE_S = 15 * 60  # text this long after the scan is not taken as an amount


class AmountState(StrEnum):
    TYPING = "typing"
    SUBMITTING = "submitting"  # the amount's order is being made: a second OK is refused
    DONE = "done"  # the order is made, or the code takes nothing: the dialog is deleted


class AmountEvent(StrEnum):
    KEY = "key"  # a digit, the point or ⌫
    SUBMITTED = "submitted"  # OK, or the amount as text
    BAD_AMOUNT = "bad_amount"  # refused: typed again
    MADE = "made"  # the one-part order is made: the payment password follows
    GONE = "gone"  # stale, or the code no longer takes payments, or too many starts


S, E = AmountState, AmountEvent
TABLE: dict[tuple[AmountState, AmountEvent], AmountState] = {
    (S.TYPING, E.KEY): S.TYPING,
    (S.TYPING, E.SUBMITTED): S.SUBMITTING,
    (S.TYPING, E.GONE): S.DONE,
    (S.SUBMITTING, E.BAD_AMOUNT): S.TYPING,
    (S.SUBMITTING, E.MADE): S.DONE,
    (S.SUBMITTING, E.GONE): S.DONE,
}
MACHINE = Machine(DialogKind.AMOUNT, AmountState, AmountEvent, TABLE)


@dataclass(frozen=True, slots=True, kw_only=True)
class AmountDialog(Dialog[AmountState]):
    kind: ClassVar[DialogKind] = DialogKind.AMOUNT
    token: str  # the code's
    currency: Currency
    started_at: float  # on the bot's monotonic clock
    typed: str = ""
    shown_at: float = float("-inf")

    def stale(self, now: float) -> bool:
        """Asked too long ago: later text is not taken as an amount."""
        return now - self.started_at > STALE_S

    def press(self, key: str) -> AmountDialog:
        """One key; past MAX_TYPED characters, a second point, or not a key: no change."""
        typed = self.typed
        if key == DELETE:
            typed = typed[:-1]
        elif len(typed) >= MAX_TYPED:
            pass
        elif key == POINT and POINT not in typed and self.currency.exponent > 0:
            typed = (typed or "0") + POINT
        elif key.isascii() and key.isdigit() and len(key) == 1:
            typed += key
        return advance(MACHINE, self, AmountEvent.KEY, typed=typed)

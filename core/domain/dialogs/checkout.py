"""Choosing how to pay: after the payment password, one button per payment method."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from core.domain.dialogs.machine import Dialog, DialogKind, Machine


class CheckoutState(StrEnum):
    CHOOSING = "choosing"  # the methods are shown for `token`
    DONE = "done"  # one was picked: the dialog is deleted


class CheckoutEvent(StrEnum):
    PICKED = "picked"  # a method of the order, pressed for `token`


TABLE: dict[tuple[CheckoutState, CheckoutEvent], CheckoutState] = {
    (CheckoutState.CHOOSING, CheckoutEvent.PICKED): CheckoutState.DONE,
}
MACHINE = Machine(DialogKind.CHECKOUT, CheckoutState, CheckoutEvent, TABLE)


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckoutDialog(Dialog[CheckoutState]):
    """The order the payer verified for, until they pick a method (a press for another order
    is refused: its data names the order)."""

    kind: ClassVar[DialogKind] = DialogKind.CHECKOUT
    token: str

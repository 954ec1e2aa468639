"""The order's password, typed as text in the private chat (and deleted from it at once)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from core.domain.dialogs.machine import Dialog, DialogKind, Machine


class OrderPasswordState(StrEnum):
    ASKED = "asked"  # the next text is the password
    CHECKING = "checking"  # a password is being checked: later text is not one
    DONE = "done"  # a part was held, or refused: the dialog is deleted


class OrderPasswordEvent(StrEnum):
    TYPED = "typed"
    WRONG = "wrong"  # asked again
    SETTLED = "settled"  # held, or refused for another reason


S, E = OrderPasswordState, OrderPasswordEvent
TABLE: dict[tuple[OrderPasswordState, OrderPasswordEvent], OrderPasswordState] = {
    (S.ASKED, E.TYPED): S.CHECKING,
    (S.CHECKING, E.WRONG): S.ASKED,
    (S.CHECKING, E.SETTLED): S.DONE,
}
MACHINE = Machine(DialogKind.ORDER_PASSWORD, OrderPasswordState, OrderPasswordEvent, TABLE)


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderPasswordDialog(Dialog[OrderPasswordState]):
    """What the payer chose so far, while the bot asks the order's password."""

    kind: ClassVar[DialogKind] = DialogKind.ORDER_PASSWORD
    token: str
    gateway: str | None = None

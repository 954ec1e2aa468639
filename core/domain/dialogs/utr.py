"""A UPI claim's UTR: a payer who paid by UPI types the 12-digit reference their bank gave the
payment, as text; one that is not 12 digits is asked for again."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from core.domain.dialogs.machine import Dialog, DialogKind, Machine


class UtrState(StrEnum):
    ASKED = "asked"  # the next text is the UTR
    CLAIMING = "claiming"  # a UTR is being checked: later text is not one
    DONE = "done"  # claimed, or refused for another reason: the dialog is deleted


class UtrEvent(StrEnum):
    TYPED = "typed"
    BAD = "bad"  # not 12 digits: asked again
    SETTLED = "settled"  # claimed, or refused (the hold ran out, the order ended)


U, UE = UtrState, UtrEvent
TABLE: dict[tuple[UtrState, UtrEvent], UtrState] = {
    (U.ASKED, UE.TYPED): U.CLAIMING,
    (U.CLAIMING, UE.BAD): U.ASKED,
    (U.CLAIMING, UE.SETTLED): U.DONE,
}
MACHINE = Machine(DialogKind.UTR, UtrState, UtrEvent, TABLE)


@dataclass(frozen=True, slots=True, kw_only=True)
class UtrDialog(Dialog[UtrState]):
    """A payer who paid by UPI is asked for the 12-digit UTR their bank gave the payment."""

    kind: ClassVar[DialogKind] = DialogKind.UTR
    token: str  # the order's

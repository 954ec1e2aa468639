"""Moving a code: /codes' Move asks for the printed code to move it to, as text."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from core.domain.dialogs.machine import Dialog, DialogKind, Machine


class MoveState(StrEnum):
    ASKED = "asked"  # the next text names the code to move to
    DONE = "done"  # moved or refused: the dialog is deleted


class MoveEvent(StrEnum):
    TYPED = "typed"


TABLE: dict[tuple[MoveState, MoveEvent], MoveState] = {
    (MoveState.ASKED, MoveEvent.TYPED): MoveState.DONE,
}
MACHINE = Machine(DialogKind.MOVE, MoveState, MoveEvent, TABLE)


@dataclass(frozen=True, slots=True, kw_only=True)
class MoveDialog(Dialog[MoveState]):
    kind: ClassVar[DialogKind] = DialogKind.MOVE
    short: str  # the short id of the code being moved

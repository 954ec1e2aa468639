"""Buttons that ask for a second press (the progress message's Cancel, /holds' Release):
a first press waits for the second one for a while, then is forgotten.

One dialog per user holds every button waiting; the table is over one button's state.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from core.domain.dialogs.machine import Dialog, DialogKind, Machine


class ConfirmState(StrEnum):
    IDLE = "idle"  # not pressed, or pressed too long ago
    AWAITING = "awaiting"  # pressed once: the next press confirms
    CONFIRMED = "confirmed"  # pressed twice in time: the action is done


class ConfirmEvent(StrEnum):
    PRESS = "press"
    EXPIRE = "expire"  # the window passed


S, E = ConfirmState, ConfirmEvent
TABLE: dict[tuple[ConfirmState, ConfirmEvent], ConfirmState] = {
    (S.IDLE, E.PRESS): S.AWAITING,
    (S.AWAITING, E.PRESS): S.CONFIRMED,
    (S.AWAITING, E.EXPIRE): S.IDLE,
}
MACHINE = Machine(DialogKind.CONFIRM, ConfirmState, ConfirmEvent, TABLE)


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfirmDialog(Dialog[ConfirmState]):
    """The user's buttons pressed once, with when (on the bot's monotonic clock)."""

    kind: ClassVar[DialogKind] = DialogKind.CONFIRM
    state: ConfirmState = ConfirmState.AWAITING
    waiting: tuple[tuple[str, float], ...] = ()

    def state_of(self, button: str) -> ConfirmState:
        return S.AWAITING if any(b == button for b, _ in self.waiting) else S.IDLE


def press(
    dialog: ConfirmDialog | None, button: str, now: float, window_s: float
) -> tuple[ConfirmDialog, ConfirmState]:
    """`button` pressed at `now`: the dialog after it (first presses older than `window_s`
    expired), and the button's new state, CONFIRMED for a second press in time."""
    current = dialog or ConfirmDialog(version=0)
    # EXPIRE: a first press older than the window takes its button back to IDLE
    waiting = [(b, at) for b, at in current.waiting if now - at <= window_s]
    kept = ConfirmDialog(version=current.version, waiting=tuple(waiting))
    state = MACHINE.next(kept.state_of(button), E.PRESS)
    if state == S.CONFIRMED:
        waiting = [(b, at) for b, at in waiting if b != button]
    else:
        waiting.append((button, now))
    return ConfirmDialog(version=current.version + 1, waiting=tuple(waiting)), state

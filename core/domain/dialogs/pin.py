"""The payment-password keypad: pay, set, change, or confirm before adding a passkey.

Each state is a step the keypad is at (all of them ENTERING digits but DONE); a complete
password's outcome, told by the engine, is the event that moves the dialog on.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from core.domain.dialogs.machine import Dialog, DialogKind, Machine, advance

DELETE = "x"  # the keypad's ⌫


class PinState(StrEnum):
    PAY = "pay"  # the payment password, to pay `token` (or to go on with `after`)
    SET = "set"  # a first password, typed once
    SET_AGAIN = "set_again"  # ... and again
    CHANGE_OLD = "change_old"  # the current password, before a change
    CHANGE_NEW = "change_new"  # the new one, typed once
    CHANGE_AGAIN = "change_again"  # ... and again
    PASSKEY = "passkey"  # the password, before a passkey is added
    DONE = "done"  # over: the dialog is deleted


class PinEvent(StrEnum):
    KEY = "key"  # a digit or ⌫, the password not complete
    ACCEPTED = "accepted"  # a new password typed once, good enough
    TOO_EASY = "too_easy"  # a new password refused as trivial: choose again
    MISMATCH = "mismatch"  # the second typing differs from the first
    VERIFIED = "verified"  # the password checked (or set, or changed)
    WRONG = "wrong"  # a wrong password, tries left
    LOCKED = "locked"  # too many wrong tries
    BY_PASSKEY = "by_passkey"  # the payment was verified on the passkey page instead


class After(StrEnum):
    """What follows a verified password besides paying `token`."""

    PAY = "pay"  # pay the order `token` (nothing if there is none)
    BIND_CODE = "bind_code"  # bind the code of the user's binding dialog


P, K = PinState, PinEvent
_ENTERING = [s for s in P if s != P.DONE]
TABLE: dict[tuple[PinState, PinEvent], PinState] = {
    **{(s, K.KEY): s for s in _ENTERING},
    **{(s, K.LOCKED): P.DONE for s in _ENTERING},
    (P.PAY, K.VERIFIED): P.DONE,
    (P.PAY, K.WRONG): P.PAY,
    (P.PAY, K.BY_PASSKEY): P.DONE,
    (P.SET, K.ACCEPTED): P.SET_AGAIN,
    (P.SET, K.TOO_EASY): P.SET,
    (P.SET_AGAIN, K.VERIFIED): P.DONE,
    (P.SET_AGAIN, K.MISMATCH): P.SET,
    (P.SET_AGAIN, K.TOO_EASY): P.SET,
    (P.CHANGE_OLD, K.VERIFIED): P.CHANGE_NEW,
    (P.CHANGE_OLD, K.WRONG): P.CHANGE_OLD,
    (P.CHANGE_NEW, K.ACCEPTED): P.CHANGE_AGAIN,
    (P.CHANGE_NEW, K.TOO_EASY): P.CHANGE_NEW,
    (P.CHANGE_AGAIN, K.VERIFIED): P.DONE,
    (P.CHANGE_AGAIN, K.MISMATCH): P.CHANGE_NEW,
    (P.CHANGE_AGAIN, K.TOO_EASY): P.CHANGE_NEW,
    (P.CHANGE_AGAIN, K.WRONG): P.CHANGE_AGAIN,
    (P.PASSKEY, K.VERIFIED): P.DONE,
    (P.PASSKEY, K.WRONG): P.PASSKEY,
}
MACHINE = Machine(DialogKind.PIN, PinState, PinEvent, TABLE)


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class PinDialog(Dialog[PinState]):
    """Digits typed so far in one keypad flow; kept by the dialog store only, never logged."""

    kind: ClassVar[DialogKind] = DialogKind.PIN
    token: str | None = None  # the order paid for
    after: After = After.PAY
    digits: str = ""
    first: str | None = None  # the new password, typed once
    old: str | None = None  # the current password, verified before a change
    link: str | None = None  # a passkey page token, once made
    shown_at: float = float("-inf")  # when the message's dots were last brought up to date

    def __repr__(self) -> str:  # never show digits in logs or tracebacks
        return f"PinDialog(state={self.state!r}, entered={len(self.digits)}, v{self.version})"

    @property
    def entering(self) -> bool:
        return self.state != PinState.DONE

    def press(self, key: str, length: int) -> PinDialog:
        """One key (a digit, or DELETE); a key past `length` digits, or not a key, is ignored."""
        digits = self.digits
        if key == DELETE:
            digits = digits[:-1]
        elif key.isascii() and key.isdigit() and len(key) == 1 and len(digits) < length:
            digits += key
        return advance(MACHINE, self, PinEvent.KEY, digits=digits)

"""The generic dialog: a state, a version for compare-and-set, and a declared transition table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, ClassVar, Generic, TypeVar

DONE = "done"  # the value of every dialog's last state: a dialog that reaches it is deleted

S = TypeVar("S", bound=StrEnum)
E = TypeVar("E", bound=StrEnum)


class DialogKind(StrEnum):
    """Which dialog: a user has at most one of each kind under way."""

    PIN = "pin"  # the payment-password keypad
    CHECKOUT = "checkout"  # choosing how to pay
    ORDER_PASSWORD = "order_password"  # noqa: S105 (a name) the order's password, typed as text
    BINDING = "binding"  # binding a printed code, question by question
    MOVE = "move"  # moving a code to another printed one
    AMOUNT = "amount"  # the amount paid to a static code
    PASSKEY_CHECK = "passkey_check"  # a passkey page opened for a payment
    CONFIRM = "confirm"  # buttons waiting for their second press (Cancel, Release)
    UTR = "utr"  # the UTR of a UPI transfer, typed as text
    METHOD = "method"  # adding a receiving method, field by field


class Refused(Exception):
    """The event has no transition from the dialog's state: a stale, forged, out-of-order or
    double press. Nothing changed; the handler answers as for an expired button."""

    def __init__(self, kind: DialogKind, state: StrEnum, event: StrEnum) -> None:
        super().__init__(f"{kind}: no transition from {state} on {event}")
        self.kind, self.state, self.event = kind, state, event


@dataclass(frozen=True, slots=True)
class Machine(Generic[S, E]):
    """A dialog's states, events and transitions; whatever the table lacks is refused."""

    kind: DialogKind
    states: type[S]
    events: type[E]
    table: Mapping[tuple[S, E], S]

    def next(self, state: S, event: E) -> S:
        found = self.table.get((state, event))
        if found is None:
            raise Refused(self.kind, state, event)
        return found

    def allows(self, state: S, event: E) -> bool:
        return (state, event) in self.table


@dataclass(frozen=True, slots=True, kw_only=True)
class Dialog(Generic[S]):
    """One dialog of one user: immutable; each change is a new value with the next version.

    The store keeps a dialog only if the version it holds is the one before (compare-and-set),
    so of two presses read at the same version only the first is taken.
    """

    kind: ClassVar[DialogKind]
    state: S
    version: int = 1

    @property
    def over(self) -> bool:
        return self.state == DONE


D = TypeVar("D", bound=Dialog[Any])


def advance(machine: Machine[Any, E], dialog: D, event: E, **changes: Any) -> D:
    """The dialog after `event` (its next state, the next version, `changes`), or Refused."""
    state = machine.next(dialog.state, event)
    return replace(dialog, state=state, version=dialog.version + 1, **changes)

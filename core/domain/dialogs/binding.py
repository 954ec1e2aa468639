"""Binding a printed code: its kind, then its price or goal, its title, the collector's
name, and the payment password; each answer is checked as it comes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from core.domain.codes import CodeKind, CodeSpec
from core.domain.dialogs.machine import Dialog, DialogKind, Machine


class BindingState(StrEnum):
    KIND = "kind"  # the kind buttons are shown
    PRICE = "price"  # a fixed price's amount is asked
    GOAL = "goal"  # a fund's goal (and deadline) is asked
    TITLE = "title"
    NAME = "name"  # the collector's name: typed, or the user's own pressed
    PIN = "pin"  # the payment password, on the keypad
    DONE = "done"  # bound, or refused: the dialog is deleted


class BindingEvent(StrEnum):
    FIXED = "fixed"  # kind buttons
    FUND = "fund"
    TIP_OR_DONATION = "tip_or_donation"
    PRICE_GIVEN = "price_given"
    GOAL_GIVEN = "goal_given"
    TITLE_GIVEN = "title_given"
    NAME_GIVEN = "name_given"
    VERIFIED = "verified"  # the payment password is right: bind


S, E = BindingState, BindingEvent
TABLE: dict[tuple[BindingState, BindingEvent], BindingState] = {
    (S.KIND, E.FIXED): S.PRICE,
    (S.KIND, E.FUND): S.GOAL,
    (S.KIND, E.TIP_OR_DONATION): S.TITLE,
    (S.PRICE, E.PRICE_GIVEN): S.TITLE,
    (S.GOAL, E.GOAL_GIVEN): S.TITLE,
    (S.TITLE, E.TITLE_GIVEN): S.NAME,
    (S.NAME, E.NAME_GIVEN): S.PIN,
    (S.PIN, E.VERIFIED): S.DONE,
}
MACHINE = Machine(DialogKind.BINDING, BindingState, BindingEvent, TABLE)
TYPED_ANSWERS = frozenset({S.PRICE, S.GOAL, S.TITLE, S.NAME})  # states that take text


def kind_event(kind: CodeKind) -> BindingEvent:
    """The kind button's event."""
    if kind == CodeKind.FIXED:
        return BindingEvent.FIXED
    if kind == CodeKind.FUND:
        return BindingEvent.FUND
    return BindingEvent.TIP_OR_DONATION


@dataclass(frozen=True, slots=True, kw_only=True)
class BindingDialog(Dialog[BindingState]):
    """A binding being set up in the payee's private chat."""

    kind: ClassVar[DialogKind] = DialogKind.BINDING
    token: str
    label: str
    code_kind: str = ""
    amount: str | None = None
    goal: str | None = None
    deadline_text: str | None = None
    spec: CodeSpec | None = None
    name: str | None = None  # the collector's name, once given

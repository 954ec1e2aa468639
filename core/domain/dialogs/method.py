"""Adding a receiving method (/methods): its kind's fields asked one by one (core.domain.methods
KIND_FIELDS), an optional one skippable, a refused one asked again."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from core.domain.dialogs.machine import Dialog, DialogKind, Machine, advance
from core.domain.methods import KIND_FIELDS
from core.domain.model import MethodKind

OPTIONAL_FIELDS = frozenset({"bic"})  # may be skipped (a SEPA BIC, optional inside the EEA)


class MethodState(StrEnum):
    ASKING = "asking"  # the next text (or Skip, for an optional field) answers `field`
    SAVING = "saving"  # every field is in: the method is being added
    DONE = "done"  # added, or refused for good: the dialog is deleted


class MethodEvent(StrEnum):
    ANSWERED = "answered"  # a field typed (or skipped); another follows
    LAST = "last"  # the last field missing typed (or skipped)
    REFUSED = "refused"  # a field refused: asked again
    SAVED = "saved"  # added (or refused for good: one of this kind exists already)


M, ME = MethodState, MethodEvent
TABLE: dict[tuple[MethodState, MethodEvent], MethodState] = {
    (M.ASKING, ME.ANSWERED): M.ASKING,
    (M.ASKING, ME.LAST): M.SAVING,
    (M.SAVING, ME.REFUSED): M.ASKING,
    (M.SAVING, ME.SAVED): M.DONE,
}
MACHINE = Machine(DialogKind.METHOD, MethodState, MethodEvent, TABLE)


@dataclass(frozen=True, slots=True, kw_only=True)
class MethodDialog(Dialog[MethodState]):
    """A payee adding a method of `method`'s kind: `answers` so far, `field` asked now."""

    kind: ClassVar[DialogKind] = DialogKind.METHOD
    method: MethodKind
    field: str
    answers: tuple[tuple[str, str], ...] = ()

    @property
    def given(self) -> dict[str, str | None]:
        """What the payee typed, as core.usecases.methods.add_method takes it."""
        return dict(self.answers)

    def missing(self) -> list[str]:
        """The fields not answered yet, in the order they are asked."""
        done = {name for name, _ in self.answers}
        return [f for f in KIND_FIELDS[self.method] if f not in done]

    def answer(self, value: str) -> MethodDialog:
        """`field` answered ('' skips an optional one): the next missing field is asked, or
        the dialog is SAVING once none is."""
        answers = tuple((k, v) for k, v in self.answers if k != self.field)
        answers += ((self.field, value),)
        done = {name for name, _ in answers}
        left = [f for f in KIND_FIELDS[self.method] if f not in done]
        if not left:
            return advance(MACHINE, self, MethodEvent.LAST, answers=answers)
        return advance(MACHINE, self, MethodEvent.ANSWERED, answers=answers, field=left[0])

    def refused(self, field: str) -> MethodDialog:
        """The method was refused for `field`: it is asked again (the others are kept)."""
        asked = field if field in KIND_FIELDS[self.method] else KIND_FIELDS[self.method][0]
        answers = tuple((k, v) for k, v in self.answers if k != asked)
        return advance(MACHINE, self, MethodEvent.REFUSED, answers=answers, field=asked)


def start_method(kind: MethodKind) -> MethodDialog:
    """A new method dialog asking its kind's first field."""
    return MethodDialog(state=MethodState.ASKING, method=kind, field=KIND_FIELDS[kind][0])

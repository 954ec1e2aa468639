"""A passkey check opened from the chat: the page verifies the payer, and the payment goes on
from there, unless the payer went on with the keypad meanwhile."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from core.domain.dialogs.machine import Dialog, DialogKind, Machine


class PasskeyCheckState(StrEnum):
    OPEN = "open"  # the page link is out
    BY_PASSWORD = "by_password"  # noqa: S105 (a name) the keypad verified this payment meanwhile
    DONE = "done"  # the page verified: the dialog is deleted


class PasskeyCheckEvent(StrEnum):
    PASSWORD_VERIFIED = "password_verified"  # noqa: S105 (a name, not a password)
    PAGE_VERIFIED = "page_verified"


S, E = PasskeyCheckState, PasskeyCheckEvent
TABLE: dict[tuple[PasskeyCheckState, PasskeyCheckEvent], PasskeyCheckState] = {
    (S.OPEN, E.PASSWORD_VERIFIED): S.BY_PASSWORD,
    (S.OPEN, E.PAGE_VERIFIED): S.DONE,
    (S.BY_PASSWORD, E.PAGE_VERIFIED): S.DONE,
}
MACHINE = Machine(DialogKind.PASSKEY_CHECK, PasskeyCheckState, PasskeyCheckEvent, TABLE)


@dataclass(frozen=True, slots=True)
class Presser:
    """Who opened the check, as Telegram named them: the payment goes on as them."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PasskeyCheckDialog(Dialog[PasskeyCheckState]):
    kind: ClassVar[DialogKind] = DialogKind.PASSKEY_CHECK
    order_token: str
    presser: Presser

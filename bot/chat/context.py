"""What every handler needs: BotDeps in bot_data (engine, settings, board, ports), who is who."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import SecretStr
from telegram import Bot, Message, User
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes
from telegram.helpers import create_deep_linked_url

from bot.chat.board import ProgressBoard
from bot.views.callbacks import DEPS_KEY
from bot.views.i18n import Translator, language_for, translator
from core.domain.model import OrderPost, SubOrder
from core.domain.money import Currency, currency
from core.domain.payers import telegram_payer, telegram_user_id
from core.domain.text import storable
from core.ports.invoices import Invoices
from core.usecases.engine import Engine
from core.usecases.ledger import Receipt

log = logging.getLogger(__name__)

CONFIRM_S = 30.0  # a button that asks for a second press (Cancel, Release) waits this long


class ReceiptDocuments(Protocol):
    """A receipt as the JSON its payer keeps, with Chipin's certificate chain (trust.receipts).

    Defined here, by its user: a receipt is a use case's result, which ports may not name.
    """

    def document(self, receipt: Receipt) -> dict[str, Any]: ...


class ChatSettings(Protocol):
    """What the bot reads of the settings; bot.app.settings.Settings has it all."""

    @property
    def telegram_bot_token(self) -> SecretStr | None: ...
    @property
    def telegram_base_url(self) -> str | None: ...
    @property
    def currency(self) -> str: ...
    @property
    def base_url(self) -> str: ...
    def max_amount_minor(self) -> int: ...


@dataclass
class BotDeps:
    engine: Engine
    settings: ChatSettings
    bot: Bot  # its username is known once the Application is initialised
    board: ProgressBoard | None = None
    pending_splits: dict[int, Any] = field(default_factory=dict)  # payee id -> PendingSplit
    # first presses of Cancel (order id) and Release (/holds), waiting for the second one
    first_presses: dict[tuple[str, int], float] = field(default_factory=dict)
    undelivered: dict[int, list[str]] = field(default_factory=dict)  # user id -> messages
    invoices: Invoices | None = None  # Telegram Payments; None when the gateway is off
    # receipts' proof files; None while the ledger has no authority (heads are not signed)
    receipts: ReceiptDocuments | None = None

    def pressed_again(self, key: tuple[str, int]) -> bool:
        """True for the second press of `key` (a button, a user) within CONFIRM_S; otherwise
        this press is the first. First presses older than that are forgotten here."""
        now = time.monotonic()
        fresh = {k: at for k, at in self.first_presses.items() if now - at <= CONFIRM_S}
        self.first_presses = fresh
        if fresh.pop(key, None) is not None:
            return True
        fresh[key] = now
        return False

    def deep_link(self, payload: str) -> str:
        return create_deep_linked_url(self.bot.username, payload)

    @property
    def currency(self) -> Currency:
        return currency(self.settings.currency)


def deps(context: ContextTypes.DEFAULT_TYPE) -> BotDeps:
    found = context.application.bot_data.get(DEPS_KEY)
    if not isinstance(found, BotDeps):
        raise RuntimeError("the bot was started without its dependencies")
    return found


def tr(user: User | None) -> Translator:
    return translator(user.language_code if user else None)


def lang_of(user: User | None) -> str:
    return language_for(user.language_code if user else None)


def payer_ref(user: User) -> str:
    return telegram_payer(user.id)


def aliases(user: User) -> list[str]:
    found = [payer_ref(user)]
    if user.username:
        found.append("@" + user.username.lower())
    return found


def assignee_label(payee_name: str | None) -> Callable[[SubOrder], str | None]:
    """How a named part shows in the chat: '@ann', or the payee's name for 'me' ('tg:<id>')."""

    def label(sub: SubOrder) -> str | None:
        if telegram_user_id(sub.assignee) is None:
            return sub.assignee
        return payee_name or "me"

    return label


def payee_name(posts: Sequence[OrderPost]) -> str:
    """The payee's display name, as kept with the order's posts ('' if none)."""
    return next((p.payee_name for p in posts if p.payee_name), "")


def display_name(user: User) -> str:
    """How the user is named to others; storable (core.domain.text) even when Telegram's name is
    not:
    a payment update is never refused for it (bot.chat.unreadable lets those through)."""
    return storable(user.full_name or (f"@{user.username}" if user.username else f"#{user.id}"))


def user_data(context: ContextTypes.DEFAULT_TYPE) -> dict[object, object]:
    data = context.user_data
    if data is None:
        raise RuntimeError("user_data is not available for this update")
    return data


async def add_done_line(message: object, line: str) -> None:
    """A pressed button's message says what was done, below what it said (best effort)."""
    if not isinstance(message, Message) or not message.text_html:
        return
    try:
        await message.edit_text(f"{message.text_html}\n\n{line}", parse_mode=ParseMode.HTML)
    except TelegramError as exc:
        log.debug("message not edited: %s", exc)


def in_own_private_chat(message: object, user: User) -> bool:
    """A button acts only on a message in the presser's own private chat with the bot.

    Callback data is chosen by the client: a forged one can come on any message the user
    sees (a group's progress message), so the message must be theirs.
    """
    return isinstance(message, Message) and message.chat.id == user.id

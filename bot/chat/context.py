"""What every handler needs, kept in the Application's bot_data: engine, settings, board."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from telegram import Bot, Message, User
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes
from telegram.helpers import create_deep_linked_url

from bot.app.settings import Settings
from bot.chat.board import ProgressBoard
from bot.views.i18n import Translator, language_for, translator
from core.domain.model import OrderPost, SubOrder
from core.domain.money import Currency, currency
from core.domain.payers import telegram_payer, telegram_user_id
from core.domain.text import storable
from core.usecases.engine import Engine

log = logging.getLogger(__name__)

KEY = "chipin"
CONFIRM_S = 30.0  # a button that asks for a second press (Cancel, Release) waits this long
LANG_KEY = "lang"  # in user_data: the user's language, for messages sent outside an update


@dataclass
class BotDeps:
    engine: Engine
    settings: Settings
    bot: Bot  # its username is known once the Application is initialised
    board: ProgressBoard | None = None
    pending_splits: dict[int, Any] = field(default_factory=dict)  # payee id -> PendingSplit
    # first presses of Cancel (order id) and Release (/holds), waiting for the second one
    first_presses: dict[tuple[str, int], float] = field(default_factory=dict)
    undelivered: dict[int, list[str]] = field(default_factory=dict)  # user id -> messages
    # Chipin's certificate chain (root CA, then signing certificates) for receipts' proof
    # files; None while the ledger has no authority (heads are not signed)
    chain_pem: Callable[[], str] | None = None

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
    found = context.application.bot_data.get(KEY)
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

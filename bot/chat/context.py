"""What every handler needs: BotDeps in bot_data (engine, settings, board, ports), who is who."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import SecretStr
from telegram import Bot, Message, User
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes
from telegram.helpers import create_deep_linked_url

from bot.chat.board import ProgressBoard
from bot.views.callbacks import DEPS_KEY
from bot.views.i18n import Translator, language_for, translator
from core.domain.dialogs.confirm import ConfirmDialog, ConfirmState, press
from core.domain.model import OrderPost, SubOrder
from core.domain.money import Currency, currency
from core.domain.payers import telegram_payer, telegram_user_id
from core.domain.text import storable
from core.ports.dialogs import DialogStore, load
from core.ports.invoices import Invoices
from core.usecases.engine import Engine
from core.usecases.ledger import Receipt

if TYPE_CHECKING:  # the relay renders with the handlers' helpers, which import this module
    from bot.chat.postman import Postman
    from bot.chat.relay import Relay

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
    dialogs: DialogStore  # every private-chat dialog (core.domain.dialogs), compare-and-set
    board: ProgressBoard | None = None
    pending_splits: dict[int, Any] = field(default_factory=dict)  # payee id -> PendingSplit
    # the outbox's workers (bot.chat.relay, bot.chat.postman): started by start_outbox
    relay: Relay | None = None
    postman: Postman | None = None
    invoices: Invoices | None = None  # Telegram Payments; None when the gateway is off
    # receipts' proof files; None while the ledger has no authority (heads are not signed)
    receipts: ReceiptDocuments | None = None

    async def pressed_again(self, user_id: int, button: str) -> bool:
        """True for the user's second press of `button` within CONFIRM_S; otherwise this
        press is the first (core.domain.dialogs.confirm). A press that loses a concurrent
        write counts as a first one."""
        current = await load(self.dialogs, user_id, ConfirmDialog)
        after, state = press(current, button, time.monotonic(), CONFIRM_S)
        if not after.waiting:  # nothing waits any more: the dialog goes
            kept = await self.dialogs.delete(user_id, after.kind, after.version - 1)
        else:
            kept = await self.dialogs.put(user_id, after)
        return kept and state == ConfirmState.CONFIRMED

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

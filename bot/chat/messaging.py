"""Meeting a user: who sent or pressed what, and where; a private message or a group hint."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import (
    CallbackQuery,
    Message,
    Update,
    User,
)
from telegram.constants import ChatType, ParseMode
from telegram.ext import ContextTypes

from bot.chat.context import BotDeps, deps, in_own_private_chat, lang_of, payer_ref, tr, user_data
from bot.views.callbacks import LANG_KEY
from bot.views.i18n import Translator
from bot.views.texts import common as texts
from core.domain.model import PayeeId

log = logging.getLogger(__name__)


def is_private(update: Update) -> bool:
    return update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE


async def private_sender(update: Update) -> tuple[User, Message] | None:
    """Who sent a private-chat command, and their message; None when there is nobody to
    answer, or when it was sent in a group (which is told so there)."""
    user, msg = update.effective_user, update.effective_message
    if user is None or msg is None:
        return None
    if not is_private(update):
        await msg.reply_text(texts.private_only(tr(user)), parse_mode=ParseMode.HTML)
        return None
    return user, msg


async def private_payee(
    update: Update, context: ContextTypes.DEFAULT_TYPE
) -> tuple[User, Message, PayeeId] | None:
    """`private_sender`, and the payee the sender is (made on first use)."""
    sender = await private_sender(update)
    if sender is None:
        return None
    user, msg = sender
    return user, msg, await deps(context).engine.payee_named(payer_ref(user))


def opened_by(
    update: Update, context: ContextTypes.DEFAULT_TYPE
) -> tuple[User, Message, Translator, BotDeps] | None:
    """Who opened a link to the bot, their message, their texts and the bot's deps; their
    language is kept for the messages sent them later. None when there is nobody to answer."""
    user, msg = update.effective_user, update.effective_message
    if user is None or msg is None:
        return None
    user_data(context)[LANG_KEY] = lang_of(user)
    return user, msg, tr(user), deps(context)


async def own_press(update: Update) -> tuple[User, str] | None:
    """A button press, answered: the presser and the button's data; None unless the button
    is on a message in the presser's own private chat."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not query.data:
        return None
    await query.answer()
    if not in_own_private_chat(query.message, user):
        return None
    return user, query.data


@dataclass(frozen=True, slots=True)
class PayeePress:
    """A payee's button on a message in their own private chat, not answered yet."""

    query: CallbackQuery
    t: Translator
    payee_id: PayeeId
    data: str


async def payee_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> PayeePress | None:
    """The press of a button only an order's payee may use; pressed anywhere but in the
    presser's own private chat, it gets the payee-only alert (and None)."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not query.data:
        return None
    t = tr(user)
    if not in_own_private_chat(query.message, user):
        await query.answer(texts.payee_only_alert(t), show_alert=True)
        return None
    payee_id = await deps(context).engine.payee_named(payer_ref(user))
    return PayeePress(query, t, payee_id, query.data)


def language_of(context: ContextTypes.DEFAULT_TYPE, user_id: int) -> str | None:
    """The language the user last spoke to the bot in (kept in memory only)."""
    found = context.application.user_data.get(user_id, {}).get(LANG_KEY)
    return found if isinstance(found, str) else None

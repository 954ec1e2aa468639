"""Reaching a user: private-chat checks, a private message or a group hint, their language."""

from __future__ import annotations

import logging
from functools import partial

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User
from telegram.constants import ChatType, ParseMode
from telegram.error import Forbidden, TelegramError
from telegram.ext import ContextTypes

from bot.chat.context import deps, tr
from bot.chat.resend import may_resend, resend_later
from bot.views.callbacks import LANG_KEY
from bot.views.i18n import translator
from bot.views.texts import common as texts

log = logging.getLogger(__name__)

MAX_KEPT = 20  # private messages kept for a user who has not started the bot yet


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


def language_of(context: ContextTypes.DEFAULT_TYPE, user_id: int) -> str | None:
    """The language the user last spoke to the bot in (kept in memory only)."""
    found = context.application.user_data.get(user_id, {}).get(LANG_KEY)
    return found if isinstance(found, str) else None


async def dm_or_hint(
    context: ContextTypes.DEFAULT_TYPE,
    user_id: int,
    name: str,
    text: str,
    chats: list[int],
    group_lang: str | None = None,
    *,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> bool:
    """Send privately; if the user never started the bot, say so in the group with a button.

    The hint is in the group's language; a message kept for later loses its buttons.
    """
    try:
        await context.bot.send_message(
            user_id, text, parse_mode=ParseMode.HTML, reply_markup=reply_markup
        )
        return True
    except Forbidden:
        log.info("a user cannot be messaged privately yet; hinting in %d chats", len(chats))
        kept = deps(context).undelivered.setdefault(user_id, [])
        kept[:] = [*kept, text][-MAX_KEPT:]  # handed over when they press Start
    except TelegramError as exc:
        log.warning("a private message failed: %s", exc)
        if may_resend(exc):
            send = partial(
                context.bot.send_message,
                user_id,
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=reply_markup,
            )
            resend_later(context, send, "a private message")
        return False
    d = deps(context)
    t = translator(group_lang)
    button = InlineKeyboardButton(texts.open_bot_label(t), url=d.deep_link("hello"))
    for chat_id in chats:
        try:
            await context.bot.send_message(
                chat_id,
                texts.cannot_dm(t, name),
                parse_mode=ParseMode.HTML,
                reply_markup=InlineKeyboardMarkup([[button]]),
            )
        except TelegramError as exc:
            log.warning("chat %s: hint not sent: %s", chat_id, exc)
    return False

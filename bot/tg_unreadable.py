"""Updates holding text no store can hold (core.text): told plainly, handled no further.

Telegram's updates are JSON, and JSON can carry a lone UTF-16 surrogate (`"\\ud800"`):
a password, a /split title or an amount typed with one would fail deep in a hash or a
database driver and reach the user as "something went wrong". This handler runs first,
before every other one, and stops such an update there. A payment is the exception: the
money has moved, so it always goes on to the engine (the names in it are made storable).
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot import texts
from bot.tg_deps import tr
from core.text import first_unstorable

log = logging.getLogger(__name__)

GROUP = -1  # before the handlers of group 0 and up


async def refuse_unreadable(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop an update with unstorable text anywhere in it; say so where someone is asking."""
    message = update.effective_message
    if update.pre_checkout_query is not None or (
        message is not None and message.successful_payment is not None
    ):
        return
    where = first_unstorable(update.to_dict())
    if where is None:
        return
    # the path names Telegram's own fields ('message', 'text'), never what was typed
    log.info("update %s refused: text that cannot be stored at %s", update.update_id, where)
    try:
        await _tell(update)
    except TelegramError as exc:
        log.debug("could not tell the user their text was refused: %s", exc)
    raise ApplicationHandlerStop


async def _tell(update: Update) -> None:
    """An alert on a button; a reply to a command in a group; in a private chat, the message
    is deleted (it may be a password typed with a slip) and the user asked again."""
    text = texts.unreadable(tr(update.effective_user))
    query, message = update.callback_query, update.effective_message
    if query is not None:
        await query.answer(text, show_alert=True)
        return
    if message is None or update.edited_message is not None:
        return
    if message.chat.type == ChatType.PRIVATE:
        try:
            await message.delete()
        except TelegramError:
            log.debug("could not delete a refused message")
        await message.get_bot().send_message(message.chat.id, text)
    elif (message.text or "").startswith("/"):
        await message.reply_text(text)

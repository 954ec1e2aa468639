"""Updates holding text no store can hold (core.domain.text): told plainly, handled no further.

Telegram's updates are JSON, and JSON can carry a lone UTF-16 surrogate (`"\\ud800"`):
a password, a /split title or an amount typed with one would fail deep in a hash or a
database driver and reach the user as "something went wrong". This handler runs first,
before every other one, and stops such an update there. Only what a user types or sends is
checked (a message's text or caption, a button's data, an inline query): names Telegram
gives (a user's, a chat's) are made storable where they are kept (bot.chat.context), so a user
whose profile name holds such a character can still use the bot. A payment always goes on
to the engine: the money has moved.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.chat.context import tr
from bot.views.texts import common as texts
from core.domain.text import is_storable

log = logging.getLogger(__name__)

GROUP = -1  # before the handlers of group 0 and up


async def refuse_unreadable(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop an update with unstorable text anywhere in it; say so where someone is asking."""
    message = update.effective_message
    if update.pre_checkout_query is not None or (
        message is not None and message.successful_payment is not None
    ):
        return
    where = next((field for field, text in _typed(update) if not is_storable(text)), None)
    if where is None:
        return
    # the field's name, never what was typed
    log.info("update %s refused: text that cannot be stored in its %s", update.update_id, where)
    try:
        await _tell(update)
    except TelegramError as exc:
        log.debug("could not tell the user their text was refused: %s", exc)
    raise ApplicationHandlerStop


def _typed(update: Update) -> list[tuple[str, str]]:
    """What the user typed or sent, by field: the text the handlers parse and may store."""
    found: list[tuple[str, str]] = []
    message = update.effective_message
    if message is not None:
        found += [("text", message.text or ""), ("caption", message.caption or "")]
    if update.callback_query is not None:
        found.append(("callback data", update.callback_query.data or ""))
    if update.inline_query is not None:
        found.append(("inline query", update.inline_query.query))
    return found


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

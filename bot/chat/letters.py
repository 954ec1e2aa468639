"""Letters (core.domain.outbox) as the bot writes them: a message to a group, or a private
message with a hint in the groups for a person who never started the bot."""

from __future__ import annotations

from dataclasses import replace

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import ContextTypes

from bot.chat.context import deps
from bot.views.i18n import translator
from bot.views.texts import common as texts
from core.domain.outbox import Letter


def letter(
    chat_id: int,
    text: str,
    kind: str,
    markup: InlineKeyboardMarkup | None = None,
    *,
    reply_to: int | None = None,
) -> Letter:
    return Letter(chat_id, text, kind, markup.to_json() if markup else None, reply_to=reply_to)


def dm_letter(
    context: ContextTypes.DEFAULT_TYPE,
    user_id: int,
    name: str,
    text: str,
    kind: str,
    chats: list[int],
    group_lang: str | None = None,
    *,
    markup: InlineKeyboardMarkup | None = None,
) -> Letter:
    """A private message; if the person never started the bot, the groups get a hint in
    their language with a button that opens it, and the message waits for their /start."""
    t = translator(group_lang)
    button = InlineKeyboardButton(texts.open_bot_label(t), url=deps(context).deep_link("hello"))
    hint = InlineKeyboardMarkup([[button]])
    fallback = tuple(letter(c, texts.cannot_dm(t, name), "hint", hint) for c in chats)
    return replace(letter(user_id, text, kind, markup), fallback=fallback)

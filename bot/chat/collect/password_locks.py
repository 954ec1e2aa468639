"""An order's password under attack: the payee is told in private, with a button that clears
the locks (core.usecases.tries); only the order's payee, in their own chat, can press it."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.chat.context import add_done_line, deps
from bot.chat.letters import dm_letter
from bot.chat.messaging import language_of, payee_press
from bot.views.callbacks import CLEAR_LOCKS_PREFIX
from bot.views.i18n import translator
from bot.views.texts import common as texts
from bot.views.texts import payee as texts_payee
from core.domain.errors import NotFound
from core.domain.events import PasswordUnderAttack
from core.domain.outbox import Letter
from core.domain.payers import telegram_user_id

log = logging.getLogger(__name__)


async def letters_of(
    context: ContextTypes.DEFAULT_TYPE, event: PasswordUnderAttack
) -> list[Letter]:
    """The payee is told in private, with the button that clears the locks."""
    d = deps(context)
    view = await d.engine.order_view(event.order_id)
    payee = await d.engine.payee(view.order.payee_id) if view is not None else None
    payee_id = telegram_user_id(payee.name) if payee is not None else None
    if view is None or payee_id is None:
        log.warning(
            "order %s: its password is under attack; its payee is not on Telegram", event.order_id
        )
        return []
    posts = await d.engine.posts_of(event.order_id)
    group_lang = posts[0].lang if posts else None
    t = translator(language_of(context, payee_id) or group_lang)
    text = texts_payee.password_under_attack(t, view.order.title, event.failures, event.since)
    button = InlineKeyboardButton(
        texts_payee.clear_locks_label(t), callback_data=CLEAR_LOCKS_PREFIX + event.order_id
    )
    name = next((p.payee_name for p in posts if p.payee_name), "")
    chats = [p.chat_id for p in posts]
    markup = InlineKeyboardMarkup([[button]])
    return [dm_letter(context, payee_id, name, text, "attack", chats, group_lang, markup=markup)]


async def on_clear(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """'Clear the locks': only the order's payee, on the message in their private chat."""
    press = await payee_press(update, context)
    if press is None:
        return
    query, t, engine = press.query, press.t, deps(context).engine
    try:
        await engine.clear_password_locks(
            press.data.removeprefix(CLEAR_LOCKS_PREFIX), press.payee_id
        )
    except NotFound:
        await query.answer(texts.payee_only_alert(t), show_alert=True)
        return
    await query.answer(texts_payee.locks_cleared_alert(t))
    await add_done_line(query.message, texts_payee.locks_cleared(t))

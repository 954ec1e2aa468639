"""/holds in private: who holds parts of the payee's open orders now, and releasing one.

A Release button needs a second press within 30 s, as Cancel does.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.chat.context import BotDeps, deps, in_own_private_chat, payer_ref, tr
from bot.chat.messaging import private_payee
from bot.views.callbacks import RELEASE_PREFIX
from bot.views.i18n import Translator
from bot.views.texts import common as texts
from bot.views.texts import holds as texts_holds
from core.domain.errors import NotFound, NotHeld
from core.domain.model import PayeeId, SubOrderState
from core.usecases.deps import OrderView

log = logging.getLogger(__name__)

MAX_BUTTONS = 30  # release buttons under one listing; the text counts the rest
TEXT_BUDGET = 3800  # one Telegram message holds 4096 characters


async def holds(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/holds: the payee's open orders whose parts are held, one Release button per part."""
    sender = await private_payee(update, context)
    if sender is None:
        return
    user, msg, payee_id = sender
    t, d = tr(user), deps(context)
    text, markup = await _listing(d, t, payee_id)
    await msg.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def _listing(
    d: BotDeps, t: Translator, payee_id: PayeeId
) -> tuple[str, InlineKeyboardMarkup | None]:
    views = await d.engine.held_orders(payee_id)
    if not views:
        return texts_holds.holds_empty(t), None
    now = datetime.now(UTC)
    lines = [texts_holds.holds_header(t)]
    size, left = len(lines[0]), 0
    rows: list[list[InlineKeyboardButton]] = []
    for view in views:
        held = [s for s in view.subs if s.state == SubOrderState.RESERVED]
        order_line = texts_holds.order_line(t, view.order)
        for n, sub in enumerate(held):
            line = texts_holds.held_line(t, view.order, sub, now)
            if size + len(line) + len(order_line) > TEXT_BUDGET or len(rows) >= MAX_BUTTONS:
                left += len(held) - n
                break
            if n == 0:
                lines += ["", order_line]
                size += len(order_line) + 2
            lines.append(line)
            size += len(line) + 1
            label = texts_holds.release_label(t, view.order, sub)
            data = f"{RELEASE_PREFIX}{view.order.id}:{sub.idx}"
            rows.append([InlineKeyboardButton(label, callback_data=data)])
    if left:
        lines.append(texts_holds.more_held(t, left))
    return "\n".join(lines), InlineKeyboardMarkup(rows)


async def on_release(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A Release button: only in the payee's own private chat, only for their own order."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not query.data:
        return
    t, d = tr(user), deps(context)
    order_id, _, idx_text = query.data.removeprefix(RELEASE_PREFIX).rpartition(":")
    payee_id = await d.engine.payee_named(payer_ref(user))
    view = await d.engine.order_view(order_id) if idx_text.isdigit() else None
    if (
        not in_own_private_chat(query.message, user)
        or view is None
        or view.order.payee_id != payee_id
    ):
        await query.answer(texts.payee_only_alert(t), show_alert=True)
        return
    if await _confirmed(query, d, t, view, int(idx_text)):
        await _release(query, d, t, view, int(idx_text))


async def _confirmed(
    query: CallbackQuery, d: BotDeps, t: Translator, view: OrderView, idx: int
) -> bool:
    """The second press within 30 s; the first one names who would lose the part."""
    sub = next((s for s in view.subs if s.idx == idx), None)
    if sub is None or sub.state != SubOrderState.RESERVED:
        await query.answer(texts_holds.not_held_alert(t), show_alert=True)
        return False
    if not d.pressed_again((f"{RELEASE_PREFIX}{view.order.id}:{idx}", query.from_user.id)):
        await query.answer(texts_holds.release_confirm_alert(t, view.order, sub), show_alert=True)
        return False
    return True


async def _release(
    query: CallbackQuery, d: BotDeps, t: Translator, view: OrderView, idx: int
) -> None:
    try:
        await d.engine.release_part(view.order.id, idx, view.order.payee_id)
    except (NotHeld, NotFound):
        await query.answer(texts_holds.not_held_alert(t), show_alert=True)
        return
    await query.answer(texts_holds.released_alert(t, idx + 1))
    text, markup = await _listing(d, t, view.order.payee_id)
    if isinstance(query.message, Message):
        try:
            await query.message.edit_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
        except TelegramError as exc:
            log.debug("holds list not edited: %s", exc)

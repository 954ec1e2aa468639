"""What the chats see when money moves: progress edits, receipts, the completion announcement."""

from __future__ import annotations

import logging
from functools import partial

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import ChatMigrated, TelegramError
from telegram.ext import ContextTypes

from bot.chat.codes import events as tg_code_events
from bot.chat.context import deps
from bot.chat.messaging import dm_or_hint, language_of
from bot.chat.notify import EngineEvents
from bot.chat.records import proof_button
from bot.chat.resend import may_resend, resend_later
from bot.views.callbacks import REFUNDED_PREFIX
from bot.views.i18n import translator
from bot.views.texts import common as texts
from bot.views.texts import payee as texts_payee
from bot.views.texts import payer as texts_payer
from bot.views.texts import payments as texts_payments
from core.domain.errors import NotFound
from core.domain.events import DomainEvent, HoldReleased, OrderClosed, RefundOwed, SubOrderPaid
from core.domain.ledger.entries import LedgerEntry
from core.domain.ledger.figures import receipt_id_of
from core.domain.model import OrderState
from core.domain.money import Money
from core.domain.payers import telegram_user_id
from core.usecases.engine import Engine

log = logging.getLogger(__name__)


async def on_events(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A batch of domain events from the engine (a custom update on the update queue)."""
    if not isinstance(update, EngineEvents):
        return
    board = deps(context).board
    touched: dict[str, None] = {}
    for event in update.events:
        touched[event.order_id] = None
        try:
            await _tell(context, event)
        except Exception:
            log.exception("order %s: telling the chats about an event failed", event.order_id)
    if board is not None:
        for order_id in touched:
            await board.touch(order_id)


async def _tell(context: ContextTypes.DEFAULT_TYPE, event: DomainEvent) -> None:
    if await tg_code_events.tell(context, event):
        return
    if isinstance(event, SubOrderPaid):
        await _receipt(context, event)
    elif isinstance(event, OrderClosed):
        await _closed(context, event)
    elif isinstance(event, RefundOwed):
        await _refund_owed(context, event)
    elif isinstance(event, HoldReleased) and event.by_payee:
        await _hold_let_go(context, event)


async def _hold_let_go(context: ContextTypes.DEFAULT_TYPE, event: HoldReleased) -> None:
    """Tell a bot payer that the payee let their hold go (a lapsed hold says nothing)."""
    user_id = telegram_user_id(event.payer_ref)
    view = await deps(context).engine.order_view(event.order_id) if user_id else None
    if user_id is None or view is None:
        return
    posts = await deps(context).engine.posts_of(event.order_id)
    group_lang = posts[0].lang if posts else None
    t = translator(language_of(context, user_id) or group_lang)
    sub = next((s for s in view.subs if s.id == event.sub_order_id), None)
    name = (sub.payer_name if sub else None) or f"#{user_id}"
    text = texts_payer.hold_released_by_payee(t, view.order.title)
    await dm_or_hint(context, user_id, name, text, [p.chat_id for p in posts], group_lang)


async def _receipt(context: ContextTypes.DEFAULT_TYPE, event: SubOrderPaid) -> None:
    user_id = telegram_user_id(event.payer_ref)
    if user_id is None:
        return  # not a bot payer (or a malformed reference): nobody to message
    d = deps(context)
    view = await d.engine.order_view(event.order_id)
    posts = await d.engine.posts_of(event.order_id)
    if view is None:
        return
    t = translator(language_of(context, user_id) or (posts[0].lang if posts else None))
    entry = await _receipt_entry(d.engine, event)
    rid = receipt_id_of(entry) if entry is not None else None
    text = texts_payer.receipt(
        t,
        title=view.order.title,
        amount=Money(event.amount_minor, view.order.currency),
        paid_at=event.at,
        receipt_id=rid or event.sub_order_id,
        leaf_index=entry.index if rid is not None and entry is not None else None,
    )
    button = proof_button(t, event.payment_id) if rid is not None else None
    markup = InlineKeyboardMarkup([[button]]) if button is not None else None
    sub = next((s for s in view.subs if s.id == event.sub_order_id), None)
    name = (sub.payer_name if sub else None) or f"#{user_id}"
    chats = [p.chat_id for p in posts]
    lang = posts[0].lang if posts else None
    await dm_or_hint(context, user_id, name, text, chats, lang, reply_markup=markup)


async def _receipt_entry(engine: Engine, event: SubOrderPaid) -> LedgerEntry | None:
    """The ledger entry of the payer's paid part (what the receipt names), if there is one."""
    if not event.payment_id:
        return None
    try:
        entry, _ = await engine.receipt_entry(event.payment_id, payer_ref=event.payer_ref)
    except NotFound:
        log.warning("order %s: no ledger entry for a paid part's receipt", event.order_id)
        return None
    return entry


async def _closed(context: ContextTypes.DEFAULT_TYPE, event: OrderClosed) -> None:
    d = deps(context)
    view = await d.engine.order_view(event.order_id)
    if view is None:
        return
    if await d.engine.code_binding_of(event.order_id) is not None:
        return  # a payment to a static code: tg_code_events told the payee
    posts = await d.engine.posts_of(event.order_id)
    t = translator(posts[0].lang if posts else None)
    order = view.order
    if event.state == OrderState.COMPLETED:
        for post in posts:
            await _send(context, post.chat_id, texts_payee.completed_announcement(t, order))
    payers = [s.payer_name or "" for s in view.subs if s.state == "paid" and s.payer_name]
    payee = await d.engine.payee(order.payee_id)
    payee_id = telegram_user_id(payee.name if payee is not None else None)
    if payee_id is not None:
        totals = texts_payee.payee_totals(t, order, payers)
        payee_name = next((p.payee_name for p in posts if p.payee_name), "")
        chats = [p.chat_id for p in posts]
        lang = posts[0].lang if posts else None
        await dm_or_hint(context, payee_id, payee_name, totals, chats, lang)


async def _refund_owed(context: ContextTypes.DEFAULT_TYPE, event: RefundOwed) -> None:
    """The payee must give a payment back by hand: tell them (with the button that says it
    is done) and tell the payer who will."""
    d = deps(context)
    view = await d.engine.order_view(event.order_id)
    payee = await d.engine.payee(view.order.payee_id) if view is not None else None
    payee_id = telegram_user_id(payee.name if payee is not None else None)
    if view is None or payee_id is None:
        log.warning("order %s: a refund is owed, and its payee is not on Telegram", event.order_id)
        return
    posts = await d.engine.posts_of(event.order_id)
    group_lang = posts[0].lang if posts else None
    amount = texts.show_money(event.amount_minor, event.currency)
    t = translator(language_of(context, payee_id) or group_lang)
    payer = event.payer_name or texts_payments.someone(t)
    text = texts_payments.owed_to_payee(t, payer, amount, view.order.title, event.reason)
    button = InlineKeyboardButton(
        texts_payments.refunded_label(t), callback_data=REFUNDED_PREFIX + event.payment_id
    )
    chats = [p.chat_id for p in posts]
    markup = InlineKeyboardMarkup([[button]])
    name = next((p.payee_name for p in posts if p.payee_name), "")
    await dm_or_hint(context, payee_id, name, text, chats, group_lang, reply_markup=markup)
    payer_id = telegram_user_id(event.payer_ref)
    if payer_id is None:
        return
    tp = translator(language_of(context, payer_id) or group_lang)
    told = texts_payments.owed_to_payer(tp, amount, view.order.title, name, event.reason)
    await dm_or_hint(context, payer_id, payer, told, chats, group_lang)


async def _send(context: ContextTypes.DEFAULT_TYPE, chat_id: int, text: str) -> None:
    """Send to a group; one that became a supergroup meanwhile gets it at its new id."""
    try:
        await context.bot.send_message(chat_id, text, parse_mode=ParseMode.HTML)
    except ChatMigrated as exc:
        await deps(context).engine.migrate_chat(chat_id, exc.new_chat_id)
        await _send(context, exc.new_chat_id, text)
    except TelegramError as exc:
        log.warning("chat %s: message not sent: %s", chat_id, exc)
        if may_resend(exc):
            send = partial(context.bot.send_message, chat_id, text, parse_mode=ParseMode.HTML)
            resend_later(context, send, f"chat {chat_id} announcement")

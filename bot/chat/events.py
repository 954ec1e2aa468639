"""What the chats are told when money moves: receipts, the completion announcement, the
payee's totals, refunds owed, holds let go, reminders, transfers claimed and denied, a payee's
Stripe account changing state; each event from the outbox becomes letters
(core.domain.outbox), which bot.chat.postman sends."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import ContextTypes

from bot.chat.codes import events as tg_code_events
from bot.chat.collect import password_locks as tg_password_locks
from bot.chat.collect import payee as tg_payee
from bot.chat.collect import payouts as tg_payouts
from bot.chat.collect import transfers as tg_transfers
from bot.chat.context import deps, payee_name
from bot.chat.letters import dm_letter, letter
from bot.chat.messaging import language_of
from bot.chat.notify import EngineEvents
from bot.chat.pay import transfer as tg_transfer
from bot.chat.records import proof_button
from bot.views.callbacks import REFUNDED_PREFIX
from bot.views.i18n import Translator, translator
from bot.views.texts import common as texts
from bot.views.texts import payee as texts_payee
from bot.views.texts import payer as texts_payer
from bot.views.texts import payments as texts_payments
from bot.views.texts import records as texts_records
from bot.views.texts import transfers as texts_transfers
from core.domain.errors import NotFound
from core.domain.events import (
    ClaimCutShort,
    DomainEvent,
    HoldReleased,
    OrderClosed,
    PasswordUnderAttack,
    PayoutAccountChanged,
    RefundOwed,
    ReminderDue,
    SubOrderPaid,
    TransferClaimed,
    TransferDenied,
)
from core.domain.ledger.entries import LedgerEntry
from core.domain.ledger.figures import receipt_id_of
from core.domain.model import DIRECT_KINDS, OrderState
from core.domain.money import Money
from core.domain.outbox import Letter
from core.domain.payers import telegram_user_id
from core.usecases.engine import Engine

log = logging.getLogger(__name__)


async def on_events(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Domain events just committed (the queue notifier): the relay looks at the outbox now,
    and the orders' progress messages are refreshed (a hold taken has no letter, but shows)."""
    if not isinstance(update, EngineEvents):
        return
    d = deps(context)
    if d.relay is not None:
        d.relay.wake()
    if d.board is not None:
        for order_id in dict.fromkeys(o for e in update.events for o in touched(e)):
            await d.board.touch(order_id)
    await tg_code_events.refresh_funds(context, update.events)


async def letters_of(context: ContextTypes.DEFAULT_TYPE, event: DomainEvent) -> list[Letter]:
    """What the chats are told of one event from the outbox (bot.chat.relay sends them)."""
    found = await tg_code_events.tell(context, event)
    if found is not None:
        return found
    if isinstance(event, SubOrderPaid):
        return await _receipt(context, event)
    if isinstance(event, OrderClosed):
        return await _closed(context, event)
    if isinstance(event, RefundOwed):
        return await _refund_owed(context, event)
    if isinstance(event, HoldReleased) and event.by_payee:
        return await _hold_let_go(context, event)
    if isinstance(event, PasswordUnderAttack):
        return await tg_password_locks.letters_of(context, event)
    if isinstance(event, ReminderDue):
        return await tg_payee.reminder_letters(context, event)
    if isinstance(event, TransferClaimed | ClaimCutShort):
        return await tg_transfers.claim_letters(context, event)
    if isinstance(event, TransferDenied):
        return await tg_transfer.denied_letters(context, event)
    if isinstance(event, PayoutAccountChanged):
        return await tg_payouts.changed_letters(context, event)
    return []


def touched(event: DomainEvent) -> tuple[str, ...]:
    """The orders whose progress messages an event may change: its own; for a payee's
    payout account, the open orders whose card parts pay into it (it is no order's)."""
    if isinstance(event, PayoutAccountChanged):
        return event.orders
    return (event.order_id,)


async def _hold_let_go(context: ContextTypes.DEFAULT_TYPE, event: HoldReleased) -> list[Letter]:
    """Tell a bot payer that the payee let their hold go (a lapsed hold says nothing)."""
    user_id = telegram_user_id(event.payer_ref)
    view = await deps(context).engine.order_view(event.order_id) if user_id else None
    if user_id is None or view is None:
        return []
    posts = await deps(context).engine.posts_of(event.order_id)
    group_lang = posts[0].lang if posts else None
    t = translator(language_of(context, user_id) or group_lang)
    sub = next((s for s in view.subs if s.id == event.sub_order_id), None)
    name = (sub.payer_name if sub else None) or f"#{user_id}"
    text = texts_payer.hold_released_by_payee(t, view.order.title)
    chats = [p.chat_id for p in posts]
    return [dm_letter(context, user_id, name, text, "hold released", chats, group_lang)]


async def _receipt(context: ContextTypes.DEFAULT_TYPE, event: SubOrderPaid) -> list[Letter]:
    user_id = telegram_user_id(event.payer_ref)
    if user_id is None:
        return []  # not a bot payer (or a malformed reference): nobody to message
    d = deps(context)
    view = await d.engine.order_view(event.order_id)
    posts = await d.engine.posts_of(event.order_id)
    if view is None:
        return []
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
        settled=_settled_line(t, event, entry, payee_name(posts)),
    )
    button = proof_button(t, event.payment_id) if rid is not None else None
    markup = InlineKeyboardMarkup([[button]]) if button is not None else None
    sub = next((s for s in view.subs if s.id == event.sub_order_id), None)
    name = (sub.payer_name if sub else None) or f"#{user_id}"
    chats = [p.chat_id for p in posts]
    lang = posts[0].lang if posts else None
    return [dm_letter(context, user_id, name, text, "receipt", chats, lang, markup=markup)]


def _settled_line(
    t: Translator, event: SubOrderPaid, entry: LedgerEntry | None, payee: str
) -> str | None:
    """How the money went: by card into the payee's own account (with the platform's fee
    apart), or as the payment's method and settlement say."""
    into_account = (
        texts_records.receipt_account_line(t, entry, payee) if entry is not None else None
    )
    return into_account or texts_transfers.receipt_line(t, event.method, event.settled)


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


async def _closed(context: ContextTypes.DEFAULT_TYPE, event: OrderClosed) -> list[Letter]:
    d = deps(context)
    view = await d.engine.order_view(event.order_id)
    if view is None:
        return []
    if await d.engine.code_binding_of(event.order_id) is not None:
        return []  # a payment to a static code: tg_code_events told the payee
    posts = await d.engine.posts_of(event.order_id)
    t = translator(posts[0].lang if posts else None)
    order = view.order
    out: list[Letter] = []
    if event.state == OrderState.COMPLETED:
        text = texts_payee.completed_announcement(t, order)
        out += [letter(post.chat_id, text, "announcement") for post in posts]
    payers = [s.payer_name or "" for s in view.subs if s.state == "paid" and s.payer_name]
    payee = await d.engine.payee(order.payee_id)
    payee_id = telegram_user_id(payee.name if payee is not None else None)
    if payee_id is not None:
        totals = texts_payee.payee_totals(t, order, payers)
        payee_name = next((p.payee_name for p in posts if p.payee_name), "")
        chats = [p.chat_id for p in posts]
        lang = posts[0].lang if posts else None
        out.append(dm_letter(context, payee_id, payee_name, totals, "totals", chats, lang))
    return out


async def _refund_owed(context: ContextTypes.DEFAULT_TYPE, event: RefundOwed) -> list[Letter]:
    """The payee must give a payment back by hand: tell them (with the button that says it
    is done) and tell the payer who will."""
    d = deps(context)
    view = await d.engine.order_view(event.order_id)
    payee = await d.engine.payee(view.order.payee_id) if view is not None else None
    payee_id = telegram_user_id(payee.name if payee is not None else None)
    if view is None or payee_id is None:
        log.warning("order %s: a refund is owed, and its payee is not on Telegram", event.order_id)
        return []
    posts = await d.engine.posts_of(event.order_id)
    group_lang = posts[0].lang if posts else None
    amount = texts.show_money(event.amount_minor, event.currency)
    t = translator(language_of(context, payee_id) or group_lang)
    payer = event.payer_name or texts_payments.someone(t)
    direct = event.gateway in DIRECT_KINDS  # only the payee can return a transfer to them
    title = view.order.title
    text = texts_payments.owed_to_payee(t, payer, amount, title, event.reason, event.gateway)
    label = texts_transfers.returned_label(t) if direct else texts_payments.refunded_label(t)
    button = InlineKeyboardButton(label, callback_data=REFUNDED_PREFIX + event.payment_id)
    chats = [p.chat_id for p in posts]
    markup = InlineKeyboardMarkup([[button]])
    name = next((p.payee_name for p in posts if p.payee_name), "")
    out = [
        dm_letter(context, payee_id, name, text, "refund owed", chats, group_lang, markup=markup)
    ]
    payer_id = telegram_user_id(event.payer_ref)
    if payer_id is None:
        return out
    tp = translator(language_of(context, payer_id) or group_lang)
    told = texts_payments.owed_to_payer(tp, amount, title, name, event.reason, event.gateway)
    out.append(dm_letter(context, payer_id, payer, told, "refund owed", chats, group_lang))
    return out

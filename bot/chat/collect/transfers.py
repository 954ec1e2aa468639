"""The payee's side of transfers straight to them: claims to decide, /claims, /returns.

A payer's claim comes with Received / Not received; /claims lists the claims still waiting,
and /returns the money to give back by hand.

Every button acts only in the payee's own private chat, on their own transfers; a decision
edits its message to say what was decided, and a second press changes nothing and says so.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.chat.context import add_done_line, deps, payee_name, tr
from bot.chat.letters import dm_letter
from bot.chat.messaging import language_of, payee_press, private_payee
from bot.views.callbacks import CLAIM_MISSING_PREFIX, CLAIM_RECEIVED_PREFIX, REFUNDED_PREFIX
from bot.views.i18n import Translator, translator
from bot.views.texts import common as texts
from bot.views.texts import payments as texts_payments
from bot.views.texts import transfers as texts_transfers
from core.domain.errors import Conflict, NotAllowed, NotFound, NotHeld
from core.domain.events import ClaimCutShort, TransferClaimed
from core.domain.model import SubOrderState
from core.domain.outbox import Letter
from core.domain.payers import telegram_user_id
from core.usecases.payments.transfers import Claim, OwedReturn

log = logging.getLogger(__name__)

LISTED = 10  # claims or returns sent as messages by one command; the rest are counted

T = TypeVar("T")


def decision_buttons(t: Translator, reference: str, order_id: str) -> InlineKeyboardMarkup:
    """Received / Not received: each names the transfer and its order."""
    tail = f"{reference}:{order_id}"
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    texts_transfers.received_label(t), callback_data=CLAIM_RECEIVED_PREFIX + tail
                ),
                InlineKeyboardButton(
                    texts_transfers.missing_label(t), callback_data=CLAIM_MISSING_PREFIX + tail
                ),
            ]
        ]
    )


def _payer(t: Translator, name: str | None) -> str:
    return name or texts_payments.someone(t)


async def claim_letters(
    context: ContextTypes.DEFAULT_TYPE, event: TransferClaimed | ClaimCutShort
) -> list[Letter]:
    """A payer says they paid by transfer, or the order ended while such a claim waited:
    the payee is asked to check and decide (and, cut short, the payer is told)."""
    d = deps(context)
    view = await d.engine.order_view(event.order_id)
    payee = await d.engine.payee(view.order.payee_id) if view is not None else None
    payee_id = telegram_user_id(payee.name if payee is not None else None)
    if view is None or payee_id is None:
        log.warning(
            "order %s: a transfer was claimed, and its payee is not on Telegram", event.order_id
        )
        return []
    posts = await d.engine.posts_of(event.order_id)
    group_lang = posts[0].lang if posts else None
    t = translator(language_of(context, payee_id) or group_lang)
    amount = texts.show_money(event.amount_minor, view.order.currency.code)
    payer, title = _payer(t, event.payer_name), view.order.title
    about = {
        "payer": payer,
        "amount": amount,
        "method": event.method,
        "title": title,
        "reference": event.reference,
    }
    if isinstance(event, TransferClaimed):
        what, text = "transfer claimed", texts_transfers.claim(t, **about, utr=event.utr)
    else:
        what, text = "claim cut short", texts_transfers.cut_short(t, **about)
    markup = decision_buttons(t, event.reference, event.order_id)
    chats = [p.chat_id for p in posts]
    name = payee_name(posts)
    letters = [dm_letter(context, payee_id, name, text, what, chats, group_lang, markup=markup)]
    payer_id = telegram_user_id(event.payer_ref)
    if isinstance(event, ClaimCutShort) and payer_id is not None:
        tp = translator(language_of(context, payer_id) or group_lang)
        told = texts_transfers.cut_short_to_payer(
            tp,
            texts.show_money(event.amount_minor, view.order.currency.code),
            title,
            name,
            event.reference,
        )
        letters.append(dm_letter(context, payer_id, f"#{payer_id}", told, what, chats, group_lang))
    return letters


async def on_decision(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Received / Not received, under a claim: only the payee of its order, and only while
    it waits; Received also after the order ended with the claim waiting (the money is then
    the payee's to return by hand). Any other press changes nothing and says so."""
    press = await payee_press(update, context)
    if press is None:
        return
    query, t, engine = press.query, press.t, deps(context).engine
    received = press.data.startswith(CLAIM_RECEIVED_PREFIX)
    prefix = CLAIM_RECEIVED_PREFIX if received else CLAIM_MISSING_PREFIX
    reference, _, order_id = press.data.removeprefix(prefix).partition(":")
    view = await engine.order_view(order_id) if order_id else None
    if view is None or view.order.payee_id != press.payee_id:
        await query.answer(texts.payee_only_alert(t), show_alert=True)
        return
    sub = next((s for s in view.subs if s.checkout_ref == reference), None)
    waiting = sub is not None and sub.state == SubOrderState.CLAIMED
    cut_short = sub is not None and sub.state == SubOrderState.CLOSED
    if sub is None or not (waiting or cut_short):
        await query.answer(texts_transfers.decided_alert(t), show_alert=True)
        return
    try:
        if received:
            payment = await engine.confirm_transfer(press.payee_id, reference)
            line, alert = texts_transfers.confirmed(t, payment), texts_transfers.confirmed_alert(t)
        else:
            await engine.deny_transfer(press.payee_id, reference)
            payer = _payer(t, sub.payer_name)
            line, alert = texts_transfers.denied(t, payer), texts_transfers.denied_alert(t)
    except (NotFound, NotHeld, NotAllowed, Conflict):  # decided meanwhile
        await query.answer(texts_transfers.decided_alert(t), show_alert=True)
        return
    await query.answer(alert)
    await add_done_line(query.message, line)


async def claims(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/claims: the transfers payers say they made, oldest first, each with its buttons."""
    sender = await private_payee(update, context)
    if sender is None:
        return
    user, msg, payee_id = sender
    t, d = tr(user), deps(context)
    found = await d.engine.claims_of(payee_id)

    def shown(claim: Claim) -> tuple[str, InlineKeyboardMarkup]:
        markup = decision_buttons(t, claim.transfer.reference, claim.order.id)
        return _claim_text(t, claim), markup

    texts_of = (texts_transfers.claims_empty, texts_transfers.claims_header)
    await _listed(msg, t, found, shown, *texts_of, texts_transfers.claims_more)


def _claim_text(t: Translator, claim: Claim) -> str:
    transfer = claim.transfer
    return texts_transfers.claim(
        t,
        payer=_payer(t, transfer.payer_name),
        amount=texts.show_money(transfer.amount_minor, transfer.currency),
        method=transfer.kind.value,
        title=claim.order.title,
        reference=transfer.reference,
        utr=transfer.utr,
    )


async def returns(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/returns: money the payee must give back by hand, each with its Returned button
    (bot.chat.pay.payments.on_refunded marks it)."""
    sender = await private_payee(update, context)
    if sender is None:
        return
    user, msg, payee_id = sender
    t, d = tr(user), deps(context)
    owed = await d.engine.owed_returns(payee_id)

    def shown(owing: OwedReturn) -> tuple[str, InlineKeyboardMarkup]:
        p = owing.payment
        button = InlineKeyboardButton(
            texts_transfers.returned_label(t), callback_data=REFUNDED_PREFIX + p.id
        )
        return texts_transfers.owed_line(t, p, owing.order_title), InlineKeyboardMarkup([[button]])

    texts_of = (texts_transfers.returns_empty, texts_transfers.returns_header)
    await _listed(msg, t, owed, shown, *texts_of, texts_transfers.returns_more)


async def _listed(
    msg: Message,
    t: Translator,
    items: Sequence[T],
    shown: Callable[[T], tuple[str, InlineKeyboardMarkup]],
    empty: Callable[[Translator], str],
    header: Callable[[Translator, int], str],
    more: Callable[[Translator, int], str],
) -> None:
    """A list as messages: a header, the first LISTED items each with its buttons, then how
    many more there are; or that there is nothing."""
    if not items:
        await msg.reply_text(empty(t))
        return
    await msg.reply_text(header(t, len(items)), parse_mode=ParseMode.HTML)
    for item in items[:LISTED]:
        text, markup = shown(item)
        await msg.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
    if len(items) > LISTED:
        await msg.reply_text(more(t, len(items) - LISTED))

"""Telegram Payments in the bot: the invoice, the pre-checkout answer, the payment itself,
Stars refunds, and the payee's button for a refund Telegram cannot make.

Logs name orders and sub-orders, never a charge id beside a user id, nor the provider token.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Bot, LabeledPrice, PreCheckoutQuery, Update, User
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ContextTypes

from bot.chat.context import (
    add_done_line,
    deps,
    display_name,
    payee_name,
    payer_ref,
    tr,
)
from bot.chat.messaging import payee_press
from bot.views.callbacks import REFUNDED_PREFIX
from bot.views.i18n import Translator
from bot.views.texts import common as texts
from bot.views.texts import payments as texts_payments
from core.domain.errors import GatewayFinal, GatewayRetryable, NotAllowed, NotFound
from core.domain.model import PaymentStatus
from core.usecases.deps import Outcome, Reservation
from core.usecases.payments.prechecks import Precheck, Verdict

log = logging.getLogger(__name__)

GATEWAY = "telegram"
PRECHECK_BUDGET_S = 8.0  # Telegram waits 10 s for the answer; leave room to send it
_ALREADY_REFUNDED = "CHARGE_ALREADY_REFUNDED"


class StarRefunder:
    """refundStarPayment through the bot, its errors translated for the gateway.

    The composition root builds the bot (its Bot API client) first and gives this to the
    telegram gateway (the StarRefunds port of core.ports.invoices) when it builds it.
    """

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def __call__(self, user_id: int, charge_id: str) -> None:
        try:
            await self._bot.refund_star_payment(user_id, charge_id)
        except BadRequest as exc:
            if _ALREADY_REFUNDED.lower() in exc.message.lower():
                return  # a retry after a lost answer: the Stars went back the first time
            raise GatewayFinal(f"refundStarPayment refused: {exc.message[:100]}") from exc
        except Forbidden as exc:
            raise GatewayFinal("refundStarPayment forbidden") from exc
        except TelegramError as exc:  # network trouble, timeouts, flood control
            raise GatewayRetryable(f"refundStarPayment failed: {type(exc).__name__}") from exc


# ---- the invoice ----


async def send_invoice(context: ContextTypes.DEFAULT_TYPE, user: User, res: Reservation) -> None:
    """The held part's invoice, in the payer's private chat only, for exactly the part."""
    gw, t = deps(context).invoices, tr(user)
    ref = res.sub.checkout_ref
    if gw is None or ref is None:
        await context.bot.send_message(user.id, texts.try_later(t))
        return
    order = res.order
    payee = payee_name(await deps(context).engine.posts_of(order.id))
    await context.bot.send_invoice(
        chat_id=user.id,
        title=texts_payments.invoice_title_plain(order.title),
        description=texts_payments.invoice_description_plain(t, order.title, payee),
        payload=ref,
        currency=order.currency.code,
        prices=[LabeledPrice(texts_payments.price_label_plain(t), res.sub.amount_minor)],
        provider_token=gw.provider_token_for(order.currency.code),
    )
    log.info("order %s: invoice sent for sub-order %s", order.id, res.sub.id)


# ---- before Telegram charges ----


async def on_pre_checkout(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer within 10 s: yes only for this payer's own, still held part of an open order,
    at exactly its amount and currency. Settlement checks it all again."""
    query = update.pre_checkout_query
    if query is None:
        return
    try:
        refusal = await asyncio.wait_for(_refusal(context, query), PRECHECK_BUDGET_S)
    except Exception:  # an answer is owed whatever happened: say no, nothing is charged
        log.exception("pre-checkout check failed")
        refusal = texts.try_later(tr(query.from_user))
    await query.answer(ok=refusal is None, error_message=refusal)


async def _refusal(context: ContextTypes.DEFAULT_TYPE, query: PreCheckoutQuery) -> str | None:
    """Why Telegram must not take this money (plain text), or None to let it."""
    t, gw = tr(query.from_user), deps(context).invoices
    invoice = gw.read_payload(query.invoice_payload) if gw is not None else None
    if invoice is None:
        log.warning("pre-checkout for a payload Chipin did not make")
        return texts_payments.precheck_refusal_plain(t, Verdict.UNKNOWN, "")
    check = await deps(context).engine.precheck(
        GATEWAY,
        query.invoice_payload,
        payer_ref(query.from_user),
        query.total_amount,
        query.currency,
        invoice.sub_order_id,
    )
    if check.ok:
        return None
    log.info("pre-checkout refused for sub-order %s: %s", invoice.sub_order_id, check.verdict)
    return _plain_refusal(t, check)


def _plain_refusal(t: Translator, check: Precheck) -> str:
    title = check.order.title if check.order is not None else ""
    return texts_payments.precheck_refusal_plain(t, check.verdict, title, check.state)


# ---- the money came in ----


async def on_successful_payment(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Telegram took the money: settle it through the engine, once per charge id."""
    msg, user = update.effective_message, update.effective_user
    paid = msg.successful_payment if msg is not None else None
    if paid is None or user is None:
        return
    gw = deps(context).invoices
    if gw is None:
        log.error("a Telegram payment arrived, but the telegram gateway is not enabled")
        return
    event = await gw.payment_event(
        charge_id=paid.telegram_payment_charge_id,
        payload=paid.invoice_payload,
        amount_minor=paid.total_amount,
        currency=paid.currency,
        user_id=user.id,
        payer_ref=payer_ref(user),
        payer_name=display_name(user),
    )
    try:
        outcome = await deps(context).engine.apply_event(event)
    except Exception:
        # The money is taken: never say "nothing was charged". The gateway wrote the charge
        # down, so reconciliation (every CHIPIN_RECONCILE_S) settles it.
        log.exception("Telegram charge %s could not be settled yet", event.payment_ref)
        await context.bot.send_message(user.id, texts_payments.payment_recording(tr(user)))
        return
    if outcome == Outcome.REFUNDING:
        await _tell_late_payer(context, user, event.payment_ref)


async def _tell_late_payer(context: ContextTypes.DEFAULT_TYPE, user: User, charge_id: str) -> None:
    """Money that could not count goes back by itself (Stars); a refund the payee owes is
    told by the RefundOwed event instead (bot.chat.events)."""
    d = deps(context)
    payment = await d.engine.payment_of(GATEWAY, charge_id)
    if payment is None or payment.status == PaymentStatus.REFUND_OWED:
        return
    view = await d.engine.order_view(payment.order_id) if payment.order_id else None
    title = view.order.title if view is not None else ""
    amount = texts.show_money(payment.amount_minor, payment.currency)
    text = texts_payments.late_refunding(tr(user), amount, title, payment.reason)
    await context.bot.send_message(user.id, text, parse_mode=ParseMode.HTML)


# ---- a refund the payee owes ----


async def on_refunded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """ "Refunded it": the payee says they gave an owed payment back. Only the order's payee,
    and only on the message in their own private chat."""
    press = await payee_press(update, context)
    if press is None:
        return
    query, t, engine = press.query, press.t, deps(context).engine
    try:
        await engine.mark_refunded(press.data.removeprefix(REFUNDED_PREFIX), press.payee_id)
    except (NotFound, NotAllowed) as exc:
        owed_elsewhere = "status" in exc.fields
        alert = texts_payments.nothing_owed_alert(t) if owed_elsewhere else None
        await query.answer(alert or texts.payee_only_alert(t), show_alert=True)
        return
    await query.answer(texts_payments.marked_refunded_alert(t))
    await add_done_line(query.message, texts_payments.marked_refunded(t))

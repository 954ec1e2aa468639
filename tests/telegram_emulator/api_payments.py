"""Telegram Payments: sendInvoice, answerPreCheckoutQuery, refundStarPayment, and the payer's side.

A user pays an invoice message (`pay`): the bot gets a `pre_checkout_query`, must answer
within 10 s, and only on ok=True the chat gets the `successful_payment` message. Stars
(XTR) need an empty provider token and one price; other currencies need a provider token.
"""

from __future__ import annotations

import dataclasses
import re
import time
from typing import Any

from tests.telegram_emulator.api_messages import Handler, check_markup
from tests.telegram_emulator.params import Params
from tests.telegram_emulator.paystate import STARS, Charge, Invoice, Payments, PreCheckout
from tests.telegram_emulator.state import JSON, Chat, ControlError, Record, User, bad_request
from tests.telegram_emulator.world import World

ANSWER_WITHIN_S = 10.0
TITLE_MAX = 32
DESCRIPTION_MAX = 255
PAYLOAD_MAX_BYTES = 128
# The usual currencies of Telegram Payments (core.telegram.org/bots/payments), and Stars.
CURRENCIES = frozenset(
    {
        "AED",
        "AUD",
        "BRL",
        "CAD",
        "CHF",
        "CNY",
        "CZK",
        "DKK",
        "EUR",
        "GBP",
        "HKD",
        "IDR",
        "ILS",
        "INR",
        "JPY",
        "KRW",
        "KWD",
        "MXN",
        "NOK",
        "NZD",
        "PHP",
        "PLN",
        "RUB",
        "SEK",
        "SGD",
        "THB",
        "TRY",
        "TWD",
        "UAH",
        "USD",
        "ZAR",
        "XTR",
    }
)
QUERY_ID_INVALID = "Bad Request: QUERY_ID_INVALID"


# ---- Bot API methods ----


async def send_invoice(world: World, p: Params) -> JSON:
    chat = world.target(p.need_str("chat_id"))
    invoice = _invoice(p)
    markup = check_markup(p.json_("reply_markup"), inline_only=True)
    world.admit(chat)
    record = world.add_record(
        chat, world.bot.id, media={"invoice": invoice.message_json()}, reply_markup=markup
    )
    world.payments.invoices[(chat.id, record.message_id)] = invoice
    return world.message_json(record)


def _invoice(p: Params) -> Invoice:
    title, description = p.str_("title") or "", p.str_("description") or ""
    if not 1 <= len(title) <= TITLE_MAX:
        raise bad_request("INVOICE_TITLE_INVALID")
    if not 1 <= len(description) <= DESCRIPTION_MAX:
        raise bad_request("INVOICE_DESCRIPTION_INVALID")
    payload = p.str_("payload") or ""
    if not 1 <= len(payload.encode()) <= PAYLOAD_MAX_BYTES:
        raise bad_request("INVOICE_PAYLOAD_INVALID")
    currency = p.str_("currency") or ""
    if currency not in CURRENCIES:
        raise bad_request("CURRENCY_INVALID")
    token = p.str_("provider_token") or ""
    if (currency == STARS) == bool(token):
        raise bad_request("PAYMENT_PROVIDER_INVALID")
    total = _total(p.json_("prices"), stars=currency == STARS)
    start = p.str_("start_parameter") or ""
    if start and not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", start):
        raise bad_request("START_PARAM_INVALID")
    return Invoice(title, description, payload, currency, total, token, start)


def _total(prices: Any, *, stars: bool) -> int:
    if not isinstance(prices, list) or not prices:
        raise bad_request("can't parse prices JSON object")
    if stars and len(prices) != 1:
        raise bad_request("STARS_INVOICE_INVALID")  # Stars: exactly one price
    total = 0
    for price in prices:
        amount = price.get("amount") if isinstance(price, dict) else None
        label = price.get("label") if isinstance(price, dict) else None
        if not isinstance(label, str) or not label or not isinstance(amount, int):
            raise bad_request("can't parse prices JSON object")
        total += amount
    if total <= 0:
        raise bad_request("CURRENCY_TOTAL_AMOUNT_INVALID")
    return total


async def answer_pre_checkout_query(world: World, p: Params) -> bool:
    query = world.payments.queries.get(p.need_str("pre_checkout_query_id"))
    ok = p.bool_("ok")
    error = p.str_("error_message")
    if query is None or query.answer is not None:
        raise bad_request(QUERY_ID_INVALID)
    if time.time() - query.asked_at > ANSWER_WITHIN_S:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    if not ok and not error:
        raise bad_request("ERROR_MESSAGE_EMPTY")  # required when ok is False
    query.answer = (ok, None if ok else error)
    world.signal.fire()
    return True


async def refund_star_payment(world: World, p: Params) -> bool:
    book = world.payments
    charge = book.charges.get(p.need_str("telegram_payment_charge_id"))
    user_id = p.need_int("user_id")
    if charge is None or charge.user_id != user_id or charge.currency != STARS:
        raise bad_request("CHARGE_NOT_FOUND")
    if charge.refunded:
        raise bad_request("CHARGE_ALREADY_REFUNDED")
    charge.refunded = True
    book.refunds.append({"user_id": user_id, "charge_id": charge.charge_id, "at": time.time()})
    world.signal.fire()
    return True


HANDLERS: dict[str, Handler] = {
    "sendInvoice": send_invoice,
    "answerPreCheckoutQuery": answer_pre_checkout_query,
    "refundStarPayment": refund_star_payment,
}


# ---- the payer's side (control) ----


async def pay(world: World, who: User, chat: Chat, message_id: int, timeout_s: float) -> JSON:
    """`who` presses Pay on the invoice message: ask the bot, then pay only on its yes.

    Returns {"ok", "error_message", "charge_id", "message_id"} (the successful_payment
    message's id). Each invoice message is paid at most once; a forwarded copy is its own.
    """
    book = world.payments
    invoice = book.invoices.get((chat.id, message_id))
    if invoice is None:
        raise ControlError(f"message {message_id} in chat {chat.id} is not an invoice")
    if invoice.paid:
        raise ControlError(f"invoice {message_id} in chat {chat.id} is paid already")
    query = PreCheckout(f"pcq{next(book.ids)}", who.id, chat.id, message_id, time.time())
    book.queries[query.id] = query
    world.updates.push("pre_checkout_query", _query_json(who, invoice, query))
    answered = await world.signal.wait_until(lambda: query.answer, timeout_s)
    if answered is None:
        return {"ok": False, "error_message": None, "charge_id": None, "message_id": None}
    ok, error = answered
    if not ok:
        return {"ok": False, "error_message": error, "charge_id": None, "message_id": None}
    invoice.paid = True
    charge = _charge(book, who, invoice)
    record = _successful_payment(world, chat, who, invoice, charge)
    return {"ok": True, "error_message": None, "charge_id": charge.charge_id,
            "message_id": record.message_id}  # fmt: skip


def _query_json(who: User, invoice: Invoice, query: PreCheckout) -> JSON:
    return {
        "id": query.id,
        "from": who.to_json(),
        "currency": invoice.currency,
        "total_amount": invoice.total_amount,
        "invoice_payload": invoice.payload,
    }


def _charge(book: Payments, who: User, invoice: Invoice) -> Charge:
    n = next(book.ids)
    charge_id = f"stxEmu{n:010d}" if invoice.currency == STARS else f"tgEmu{n:010d}"
    charge = Charge(charge_id, who.id, invoice.currency, invoice.total_amount, invoice.payload)
    book.charges[charge_id] = charge
    return charge


def _successful_payment(
    world: World, chat: Chat, who: User, invoice: Invoice, charge: Charge
) -> Record:
    paid = {
        "currency": invoice.currency,
        "total_amount": invoice.total_amount,
        "invoice_payload": invoice.payload,
        "telegram_payment_charge_id": charge.charge_id,
        "provider_payment_charge_id": ""
        if invoice.currency == STARS
        else f"prov_{charge.charge_id}",
    }
    record = world.add_record(chat, who.id, extra={"successful_payment": paid})
    world.updates.push("message", world.message_json(record))
    return record


def forward(world: World, who: User, source: Chat, message_id: int, target: Chat) -> int:
    """`who` forwards a bot message into `target`. A forwarded invoice keeps a Pay button
    (anyone who sees it can pay) unless it was sent with a start_parameter: then the copy
    has a link to the bot with it instead, as on Telegram."""
    original = world.records.get((source.id, message_id))
    if original is None or original.deleted:
        raise ControlError(f"no message {message_id} in chat {source.id}")
    invoice = world.payments.invoices.get((source.id, message_id))
    markup = original.reply_markup
    if invoice is not None and invoice.start_parameter:
        link = f"https://t.me/{world.bot.username}?start={invoice.start_parameter}"
        markup = {"inline_keyboard": [[{"text": "Pay", "url": link}]]}
    origin = {"type": "user", "sender_user": world.bot.to_json(), "date": original.date}
    copy = world.add_record(
        target,
        who.id,
        text=original.text,
        caption=original.caption,
        media=dict(original.media),
        reply_markup=markup,
        extra={"forward_origin": origin},
    )
    if invoice is not None and not invoice.start_parameter:
        world.payments.invoices[(target.id, copy.message_id)] = dataclasses.replace(
            invoice, paid=False
        )
    return copy.message_id

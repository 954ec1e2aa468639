"""The payer's private chat: the order behind a deep link, the password keypad, the checkout."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.chat.context import (
    aliases,
    deps,
    in_own_private_chat,
    payee_name,
    payer_ref,
    tr,
    user_data,
)
from bot.chat.keypad import PinEntry, keypad
from bot.chat.messaging import opened_by
from bot.chat.pay.checkout import after_verified, due_for
from bot.chat.pay.passkey import offer_check, offer_enrolment, send_enrol_link, went_on_by_password
from bot.views.callbacks import PAY_PREFIX, PIN_DIGIT_PREFIX, PIN_KEY
from bot.views.i18n import Translator
from bot.views.texts import common as texts
from bot.views.texts import passkey as texts_passkey
from bot.views.texts import payer as texts_payer
from core.domain.errors import (
    InvalidInput,
    LockedOut,
    NotFound,
    WrongPassword,
)
from core.domain.model import OrderState, SubOrderState
from core.domain.money import Money
from core.usecases.deps import OrderView
from core.usecases.engine import Engine
from core.usecases.pins import check_pin

log = logging.getLogger(__name__)

DOTS_EVERY_S = 2.0


def _now() -> datetime:
    return datetime.now(UTC)


async def show_order(update: Update, context: ContextTypes.DEFAULT_TYPE, token: str) -> None:
    """A deep link opened the bot: show the order with a Pay button (or why not to pay)."""
    opened = opened_by(update, context)
    if opened is None:
        return
    user, msg, t, d = opened
    try:
        view = await d.engine.public_order(token)
    except NotFound:
        await msg.reply_text(texts_payer.order_not_found(t), parse_mode=ParseMode.HTML)
        return
    payee = payee_name(await d.engine.posts_of(view.order.id))
    refusal = _card_refusal(t, view, user, payee)
    if refusal is not None:
        await msg.reply_text(refusal, parse_mode=ParseMode.HTML)
        return
    order = view.order
    card = texts_payer.order_card(
        t,
        payee=payee or "Chipin",
        title=order.title,
        due=Money(due_for(view, user), order.currency),
        slots_left=order.n - order.paid_count,
        n=order.n,
        deadline=order.expires_at,
        now=_now(),
        has_password=order.has_password,
        mode=order.mode,
    )
    button = InlineKeyboardButton(texts.pay_label(t), callback_data=PAY_PREFIX + token)
    await msg.reply_text(
        card, parse_mode=ParseMode.HTML, reply_markup=InlineKeyboardMarkup([[button]])
    )


def _card_refusal(t: Translator, view: OrderView, user: User, payee: str) -> str | None:
    """Why this user cannot pay, told before any password is asked; None if they can."""
    order = view.order
    if order.state != OrderState.OPEN:
        return texts_payer.order_closed(t, order.title, order.state.value)
    ref = payer_ref(user)
    if any(s.payer_ref == ref and s.state == SubOrderState.PAID for s in view.subs):
        return texts_payer.already_paid(t, order.title)
    named = {s.assignee for s in view.subs if s.assignee}
    if named and named.isdisjoint(aliases(user)):
        return texts_payer.not_for_you(t, order.title, payee)
    return None


async def on_pay(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Pay pressed: ask for the payment password (or to set one first)."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not query.data:
        return
    await query.answer()
    t, d, token = tr(user), deps(context), query.data.removeprefix(PAY_PREFIX)
    try:
        view = await d.engine.public_order(token)
    except NotFound:
        await context.bot.send_message(user.id, texts_payer.order_not_found(t))
        return
    # The card may be old (the order closed since) or forwarded: refuse before the keypad.
    refusal = _card_refusal(t, view, user, payee_name(await d.engine.posts_of(view.order.id)))
    if refusal is not None:
        await context.bot.send_message(user.id, refusal, parse_mode=ParseMode.HTML)
        return
    await start_keypad(context, user, query.message, token=token)


async def start_keypad(
    context: ContextTypes.DEFAULT_TYPE,
    user: User,
    message: object,
    *,
    token: str | None = None,
    change: bool = False,
    then: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Open a keypad flow in the private chat: pay, set, or change the payment password;
    `then` runs once the password is verified (or first set), instead of paying `token`."""
    t, d = tr(user), deps(context)
    has_pin = await d.engine.has_pin(payer_ref(user))
    if change and has_pin:
        entry, text = PinEntry("change_old"), texts_payer.pin_change_old(t)
    elif has_pin:
        entry, text = PinEntry("pay", token=token, then=then), texts_payer.pin_enter(t)
    else:
        entry, text = PinEntry("set", token=token, then=then), texts_payer.pin_set(t)
    user_data(context)[PIN_KEY] = entry
    await context.bot.send_message(user.id, text, reply_markup=keypad())
    if entry.purpose == "pay" and token:
        await offer_check(context, user, token)


async def on_key(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """One keypad key: update the dots; at six digits, act on the password."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not query.data:
        return
    entry = user_data(context).get(PIN_KEY)
    t = tr(user)
    if not in_own_private_chat(query.message, user):  # forged data on a group message
        await query.answer()
        return
    if not isinstance(entry, PinEntry):
        await query.answer(texts.try_later(t), show_alert=True)
        return
    complete = entry.press(query.data.removeprefix(PIN_DIGIT_PREFIX))
    # The dots show at once in the button's answer; the message's own dots follow at most
    # once every 2 s, so fast typing stays within Telegram's per-chat flood limit.
    await query.answer(texts_payer.pin_dots(len(entry.digits)))
    if complete:
        await _complete(context, user, query.message, entry)
    elif time.monotonic() - entry.shown_at >= DOTS_EVERY_S:
        entry.shown_at = time.monotonic()
        await _edit(query.message, _prompt(t, entry), keyboard=True)


_PROMPTS = {
    "pay": texts_payer.pin_enter,
    "set": texts_payer.pin_set,
    "set_again": texts_payer.pin_repeat,
    "change_old": texts_payer.pin_change_old,
    "change_new": texts_payer.pin_change_new,
    "change_again": texts_payer.pin_repeat,
    "passkey": texts_passkey.enrol_pin,
}


def _prompt(t: Translator, entry: PinEntry) -> str:
    """The keypad message for this step, with one dot per digit typed (never the digits)."""
    return _PROMPTS[entry.purpose](t, len(entry.digits))


async def _edit(message: object, text: str, *, keyboard: bool) -> None:
    if not isinstance(message, Message):
        return
    try:
        await message.edit_text(text, reply_markup=keypad() if keyboard else None)
    except TelegramError as exc:
        log.debug("keypad edit skipped: %s", exc)


async def _complete(
    context: ContextTypes.DEFAULT_TYPE, user: User, message: object, entry: PinEntry
) -> None:
    """Six digits are in: take the next step of the flow, or say what went wrong."""
    t, d = tr(user), deps(context)
    pin = entry.take()
    entry.shown_at = time.monotonic()  # this step edits the message: dots wait a second
    try:
        text, keypad_stays = await _step(d.engine, payer_ref(user), entry, pin, t)
    except WrongPassword as exc:
        tries = int(exc.fields.get("tries_left", 0))
        await _edit(message, texts_payer.pin_wrong(t, tries), keyboard=True)
        return
    except LockedOut as exc:
        user_data(context).pop(PIN_KEY, None)
        until = exc.fields.get("until")
        if isinstance(until, datetime):
            text = texts_payer.pin_locked(t, until, _now())
        else:
            text = texts_payer.too_many_tries(t, int(exc.fields.get("retry_after_s", 60)))
        await _edit(message, text, keyboard=False)
        return
    except InvalidInput as exc:  # a password too easy to guess: choose again
        entry.first = None
        entry.purpose = "change_new" if entry.purpose.startswith("change") else "set"
        await _edit(message, texts.reason(t, exc) + "\n\n" + _ask(t, entry), keyboard=True)
        return
    await _edit(message, text, keyboard=keypad_stays)
    if keypad_stays:
        return
    user_data(context).pop(PIN_KEY, None)
    if entry.purpose == "passkey" and entry.link:
        await send_enrol_link(context, user, entry.link)
        return
    if entry.purpose == "set_again":
        await offer_enrolment(context, user)
    if entry.token and entry.purpose == "pay":
        went_on_by_password(context, entry.token)
    if entry.then is not None and entry.purpose in ("pay", "set_again"):
        await entry.then()
    elif entry.token and entry.purpose in ("pay", "set_again"):
        await after_verified(context, user, entry.token)


def _ask(t: Translator, entry: PinEntry) -> str:
    return (
        texts_payer.pin_change_new(t) if entry.purpose == "change_new" else texts_payer.pin_set(t)
    )


async def _step(
    engine: Engine, ref: str, entry: PinEntry, pin: str, t: Translator
) -> tuple[str, bool]:
    """One complete password: what the message says next, and whether the keypad stays.

    A new password is typed twice (set, or change after the old one) and must not be
    trivial; the engine checks the old one and the payment password against its hashes.
    """
    if entry.purpose in ("set", "change_new"):
        check_pin(pin)
        entry.first = pin
        entry.purpose = "set_again" if entry.purpose == "set" else "change_again"
        return texts_payer.pin_repeat(t), True
    if entry.purpose in ("set_again", "change_again"):
        if pin != entry.first:
            entry.first = None
            entry.purpose = "set" if entry.purpose == "set_again" else "change_new"
            return texts_payer.pin_mismatch(t), True
        if entry.purpose == "set_again":
            await engine.set_pin(ref, pin)
            return texts_payer.pin_set_done(t), False
        await engine.change_pin(ref, entry.old or "", pin)
        return texts_payer.pin_changed(t), False
    if entry.purpose == "passkey":  # the password is checked as the page link is made
        entry.link = await engine.open_enrolment(ref, pin)
        return "✅", False
    if entry.purpose == "change_old":
        await engine.verify_pin(ref, pin)
        entry.old, entry.purpose = pin, "change_new"
        return texts_payer.pin_change_new(t), True
    await engine.verify_pin(ref, pin)
    return "✅", False

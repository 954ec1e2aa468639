"""The payer's private chat: the order behind a deep link, the password keypad, the checkout."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.chat.codes.binding import bind_verified
from bot.chat.context import (
    aliases,
    deps,
    in_own_private_chat,
    payee_name,
    payer_ref,
    tr,
)
from bot.chat.keypad import keypad
from bot.chat.messaging import opened_by
from bot.chat.pay.checkout import after_verified, due_for
from bot.chat.pay.passkey import offer_check, offer_enrolment, send_enrol_link, went_on_by_password
from bot.views.callbacks import PAY_PREFIX, PIN_DIGIT_PREFIX
from bot.views.i18n import Translator
from bot.views.texts import common as texts
from bot.views.texts import passkey as texts_passkey
from bot.views.texts import payer as texts_payer
from bot.views.texts import payouts as texts_payouts
from core.domain.dialogs.machine import Refused, advance
from core.domain.dialogs.pin import MACHINE as PIN_MACHINE
from core.domain.dialogs.pin import After, PinDialog, PinEvent, PinState
from core.domain.errors import (
    InvalidInput,
    LockedOut,
    NotFound,
    WrongPassword,
)
from core.domain.model import OrderState, SubOrderState
from core.domain.money import Money
from core.ports.dialogs import begin, load, save
from core.usecases.deps import OrderView
from core.usecases.engine import Engine
from core.usecases.pins import PIN_LENGTH, check_pin

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
    paused = await d.engine.card_paused(order)
    if paused is not None:
        card = f"{card}\n{texts_payouts.paused_line(t, paused)}"
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
    after: After = After.PAY,
) -> None:
    """Open a keypad dialog in the private chat: pay, set, or change the payment password;
    `after` says what follows once the password is verified (or first set)."""
    t, d = tr(user), deps(context)
    has_pin = await d.engine.has_pin(payer_ref(user))
    if change and has_pin:
        dialog, text = PinDialog(state=PinState.CHANGE_OLD), texts_payer.pin_change_old(t)
    elif has_pin:
        dialog = PinDialog(state=PinState.PAY, token=token, after=after)
        text = texts_payer.pin_enter(t)
    else:
        dialog = PinDialog(state=PinState.SET, token=token, after=after)
        text = texts_payer.pin_set(t)
    await begin(d.dialogs, user.id, dialog)
    await context.bot.send_message(user.id, text, reply_markup=keypad())
    if dialog.state == PinState.PAY and token:
        await offer_check(context, user, token)


async def on_key(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """One keypad key: update the dots; at six digits, act on the password. A key with no
    keypad dialog ENTERING (stale, forged, or raced by another press) is refused."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not query.data:
        return
    t, d = tr(user), deps(context)
    if not in_own_private_chat(query.message, user):  # forged data on a group message
        await query.answer()
        return
    dialog = await load(d.dialogs, user.id, PinDialog)
    if dialog is None or not dialog.entering:
        await query.answer(texts.try_later(t), show_alert=True)
        return
    pressed = dialog.press(query.data.removeprefix(PIN_DIGIT_PREFIX), PIN_LENGTH)
    typed, now = pressed.digits, time.monotonic()
    # The dots show at once in the button's answer; the message's own dots follow at most
    # once every 2 s, so fast typing stays within Telegram's per-chat flood limit.
    complete, show = len(typed) == PIN_LENGTH, now - pressed.shown_at >= DOTS_EVERY_S
    if complete:  # the password leaves the dialog; this step edits the message itself
        pressed = replace(pressed, digits="", shown_at=now)
    elif show:
        pressed = replace(pressed, shown_at=now)
    if await save(d.dialogs, user.id, pressed) is None:
        await query.answer(texts.try_later(t), show_alert=True)
        return
    await query.answer(texts_payer.pin_dots(len(typed)))
    if complete:
        await _complete(context, user, query.message, pressed, typed)
    elif show:
        await _edit(query.message, _prompt(t, pressed), keyboard=True)


_PROMPTS = {
    PinState.PAY: texts_payer.pin_enter,
    PinState.SET: texts_payer.pin_set,
    PinState.SET_AGAIN: texts_payer.pin_repeat,
    PinState.CHANGE_OLD: texts_payer.pin_change_old,
    PinState.CHANGE_NEW: texts_payer.pin_change_new,
    PinState.CHANGE_AGAIN: texts_payer.pin_repeat,
    PinState.PASSKEY: texts_passkey.enrol_pin,
}


def _prompt(t: Translator, dialog: PinDialog) -> str:
    """The keypad message for this step, with one dot per digit typed (never the digits)."""
    return _PROMPTS[dialog.state](t, len(dialog.digits))


async def _edit(message: object, text: str, *, keyboard: bool) -> None:
    if not isinstance(message, Message):
        return
    try:
        await message.edit_text(text, reply_markup=keypad() if keyboard else None)
    except TelegramError as exc:
        log.debug("keypad edit skipped: %s", exc)


async def _move(
    context: ContextTypes.DEFAULT_TYPE, user: User, dialog: PinDialog, event: PinEvent, **data: Any
) -> PinDialog | None:
    """The dialog after `event`, kept (or deleted when done); None if refused or stale."""
    try:
        moved = advance(PIN_MACHINE, dialog, event, **data)
    except Refused as exc:
        log.warning("keypad: %s", exc)
        await deps(context).dialogs.delete(user.id, dialog.kind, dialog.version)
        return None
    return await save(deps(context).dialogs, user.id, moved)


async def _complete(
    context: ContextTypes.DEFAULT_TYPE, user: User, message: object, dialog: PinDialog, pin: str
) -> None:
    """Six digits are in: take the next step of the flow, or say what went wrong."""
    t, d = tr(user), deps(context)
    try:
        text, keypad_stays, event, data = await _step(d.engine, payer_ref(user), dialog, pin, t)
    except WrongPassword as exc:
        if await _move(context, user, dialog, PinEvent.WRONG) is not None:
            tries = int(exc.fields.get("tries_left", 0))
            await _edit(message, texts_payer.pin_wrong(t, tries), keyboard=True)
        return
    except LockedOut as exc:
        await _move(context, user, dialog, PinEvent.LOCKED)
        await _edit(message, _locked_text(t, exc), keyboard=False)
        return
    except InvalidInput as exc:  # a password too easy to guess: choose again
        again = await _move(context, user, dialog, PinEvent.TOO_EASY, first=None)
        if again is not None:
            await _edit(message, texts.reason(t, exc) + "\n\n" + _ask(t, again), keyboard=True)
        return
    if await _move(context, user, dialog, event, **data) is None:
        await _edit(message, texts.try_later(t), keyboard=False)
        return
    await _edit(message, text, keyboard=keypad_stays)
    if not keypad_stays:
        await _done(context, user, dialog, data.get("link"))


def _locked_text(t: Translator, exc: LockedOut) -> str:
    until = exc.fields.get("until")
    if isinstance(until, datetime):
        return texts_payer.pin_locked(t, until, _now())
    return texts_payer.too_many_tries(t, int(exc.fields.get("retry_after_s", 60)))


async def _done(
    context: ContextTypes.DEFAULT_TYPE, user: User, dialog: PinDialog, link: str | None
) -> None:
    """The keypad dialog is over (`dialog` as it was at its last step): what follows it."""
    was = dialog.state
    if was == PinState.PASSKEY and link:
        await send_enrol_link(context, user, link)
        return
    if was == PinState.SET_AGAIN:
        await offer_enrolment(context, user)
    if dialog.token and was == PinState.PAY:
        await went_on_by_password(context, user, dialog.token)
    if was not in (PinState.PAY, PinState.SET_AGAIN):
        return
    if dialog.after == After.BIND_CODE:
        await bind_verified(context, user)
    elif dialog.token:
        await after_verified(context, user, dialog.token)


def _ask(t: Translator, dialog: PinDialog) -> str:
    if dialog.state == PinState.CHANGE_NEW:
        return texts_payer.pin_change_new(t)
    return texts_payer.pin_set(t)


async def _step(
    engine: Engine, ref: str, dialog: PinDialog, pin: str, t: Translator
) -> tuple[str, bool, PinEvent, dict[str, str | None]]:
    """One complete password: what the message says next, whether the keypad stays, the
    dialog's event and what it keeps.

    A new password is typed twice (set, or change after the old one) and must not be
    trivial; the engine checks the old one and the payment password against its hashes.
    """
    state = dialog.state
    if state in (PinState.SET, PinState.CHANGE_NEW):
        check_pin(pin)
        return texts_payer.pin_repeat(t), True, PinEvent.ACCEPTED, {"first": pin}
    if state in (PinState.SET_AGAIN, PinState.CHANGE_AGAIN):
        if pin != dialog.first:
            return texts_payer.pin_mismatch(t), True, PinEvent.MISMATCH, {"first": None}
        if state == PinState.SET_AGAIN:
            await engine.set_pin(ref, pin)
            return texts_payer.pin_set_done(t), False, PinEvent.VERIFIED, {}
        await engine.change_pin(ref, dialog.old or "", pin)
        return texts_payer.pin_changed(t), False, PinEvent.VERIFIED, {}
    if state == PinState.PASSKEY:  # the password is checked as the page link is made
        link = await engine.open_enrolment(ref, pin)
        return "✅", False, PinEvent.VERIFIED, {"link": link}
    if state == PinState.CHANGE_OLD:
        await engine.verify_pin(ref, pin)
        return texts_payer.pin_change_new(t), True, PinEvent.VERIFIED, {"old": pin}
    await engine.verify_pin(ref, pin)
    return "✅", False, PinEvent.VERIFIED, {}

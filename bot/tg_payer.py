"""The payer's private chat: the order behind a deep link, the password keypad, the checkout."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot import texts, texts_payer
from bot.i18n import Translator
from bot.tg_deps import (
    LANG_KEY,
    BotDeps,
    aliases,
    deps,
    display_name,
    lang_of,
    payee_name,
    payer_ref,
    tr,
)
from bot.tg_keypad import KEY_PREFIX, PinEntry, keypad
from core.deps import OrderView
from core.engine import Engine
from core.errors import (
    AlreadyPaid,
    DomainError,
    GatewayError,
    InvalidInput,
    LockedOut,
    NotAllowed,
    NotFound,
    OrderClosed,
    OrderFull,
    WrongPassword,
)
from core.model import OrderState, SubOrderState
from core.money import Money
from core.verifying import check_pin

log = logging.getLogger(__name__)

PAY_PREFIX = "pay:"
DOTS_EVERY_S = 2.0
PIN_KEY = "pin"
ORDER_PW_KEY = "order_pw"


def _now() -> datetime:
    return datetime.now(UTC)


async def show_order(update: Update, context: ContextTypes.DEFAULT_TYPE, token: str) -> None:
    """A deep link opened the bot: show the order with a Pay button (or why not to pay)."""
    user, msg = update.effective_user, update.effective_message
    if user is None or msg is None:
        return
    t, d = tr(user), deps(context)
    _user_data(context)[LANG_KEY] = lang_of(user)
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
        due=Money(_due(view, user), order.currency),
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


def _due(view: OrderView, user: User) -> int:
    """The part the engine would hold for this user: theirs if named, else the first open one.

    The engine takes the lowest-numbered open part it may (core reserve_one), so with
    uneven shares the card shows exactly what the checkout will ask.
    """
    names = set(aliases(user))
    held = next((s for s in view.subs if s.payer_ref == payer_ref(user)), None)
    if held is not None:
        return held.amount_minor
    open_ = [s for s in view.subs if s.state == SubOrderState.AVAILABLE]
    mine = [s for s in open_ if s.assignee in names] or [s for s in open_ if s.assignee is None]
    return (mine or list(view.subs))[0].amount_minor


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
) -> None:
    """Open a keypad flow in the private chat: pay, set, or change the payment password."""
    t, d = tr(user), deps(context)
    has_pin = await d.engine.has_pin(payer_ref(user))
    if change and has_pin:
        entry, text = PinEntry("change_old"), texts_payer.pin_change_old(t)
    elif has_pin:
        entry, text = PinEntry("pay", token=token), texts_payer.pin_enter(t)
    else:
        entry, text = PinEntry("set", token=token), texts_payer.pin_set(t)
    _user_data(context)[PIN_KEY] = entry
    await context.bot.send_message(user.id, text, reply_markup=keypad())


def _in_own_private_chat(message: object, user: User) -> bool:
    """Keypad keys act only on the keypad in the presser's own private chat with the bot."""
    return isinstance(message, Message) and message.chat.id == user.id


def _user_data(context: ContextTypes.DEFAULT_TYPE) -> dict[object, object]:
    data = context.user_data
    if data is None:
        raise RuntimeError("user_data is not available for this update")
    return data


async def on_key(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """One keypad key: update the dots; at six digits, act on the password."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not query.data:
        return
    entry = _user_data(context).get(PIN_KEY)
    t = tr(user)
    if not _in_own_private_chat(query.message, user):  # forged data on a group message
        await query.answer()
        return
    if not isinstance(entry, PinEntry):
        await query.answer(texts.try_later(t), show_alert=True)
        return
    complete = entry.press(query.data.removeprefix(KEY_PREFIX))
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
        _user_data(context).pop(PIN_KEY, None)
        until = exc.fields.get("until")
        if isinstance(until, datetime):
            text = texts_payer.pin_locked(t, until, _now())
        else:
            text = texts.esc(exc.message)
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
    _user_data(context).pop(PIN_KEY, None)
    if entry.token and entry.purpose in ("pay", "set_again"):
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
    if entry.purpose == "change_old":
        await engine.verify_pin(ref, pin)
        entry.old, entry.purpose = pin, "change_new"
        return texts_payer.pin_change_new(t), True
    await engine.verify_pin(ref, pin)
    return "✅", False


async def after_verified(context: ContextTypes.DEFAULT_TYPE, user: User, token: str) -> None:
    """The payer is verified: ask for the order password if it has one, else reserve."""
    d = deps(context)
    try:
        view = await d.engine.public_order(token)
    except NotFound:
        await context.bot.send_message(user.id, texts_payer.order_not_found(tr(user)))
        return
    if view.order.has_password:
        _user_data(context)[ORDER_PW_KEY] = token
        text = texts_payer.order_password_prompt(tr(user), view.order.title)
        await context.bot.send_message(user.id, text, parse_mode=ParseMode.HTML)
        return
    await reserve(context, user, token, None)


async def on_private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Text in the private chat: the order password, if one was asked for. True if used."""
    user, msg = update.effective_user, update.effective_message
    token = _user_data(context).pop(ORDER_PW_KEY, None)
    if user is None or msg is None or not isinstance(token, str):
        return False
    password = msg.text or ""
    try:
        await msg.delete()  # the password does not stay in the chat
    except TelegramError:
        log.debug("could not delete the order password message")
    await reserve(context, user, token, password)
    return True


async def reserve(
    context: ContextTypes.DEFAULT_TYPE, user: User, token: str, password: str | None
) -> None:
    """Hold a part for the payer and send the checkout button."""
    t, d = tr(user), deps(context)
    _user_data(context)[LANG_KEY] = lang_of(user)
    try:
        res = await d.engine.reserve(
            token, payer_ref(user), password, payer_name=display_name(user), aliases=aliases(user)
        )
    except WrongPassword:
        _user_data(context)[ORDER_PW_KEY] = token
        await context.bot.send_message(user.id, texts_payer.order_password_wrong(t))
        return
    except (DomainError, GatewayError) as exc:
        await context.bot.send_message(
            user.id, await _refusal(d, t, token, exc), parse_mode=ParseMode.HTML
        )
        return
    due = Money(res.sub.amount_minor, res.order.currency)
    text = texts_payer.reserved(
        t, title=res.order.title, due=due, hold_until=res.sub.hold_until or _now(), now=_now()
    )
    markup = None
    if res.sub.checkout_url:
        button = InlineKeyboardButton(texts_payer.checkout_label(t, due), url=res.sub.checkout_url)
        markup = InlineKeyboardMarkup([[button]])
    await context.bot.send_message(user.id, text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def _refusal(d: BotDeps, t: Translator, token: str, exc: Exception) -> str:
    try:
        order = (await d.engine.public_order(token)).order
    except DomainError:
        return texts_payer.order_not_found(t)
    title = order.title
    if isinstance(exc, AlreadyPaid):
        return texts_payer.already_paid(t, title)
    if isinstance(exc, OrderFull):
        return texts_payer.order_full(t, title)
    if isinstance(exc, OrderClosed):
        return texts_payer.order_closed(t, title, str(exc.fields.get("state", "closed")))
    if isinstance(exc, NotAllowed):
        return texts_payer.not_for_you(t, title, payee_name(await d.engine.posts_of(order.id)))
    if isinstance(exc, LockedOut):
        return texts.esc(exc.message)
    return texts.try_later(t)

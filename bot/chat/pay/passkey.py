"""Passkeys in the private chat: /passkey lists, adds and removes them; a payer with one may
confirm a payment with fingerprint / face on the page, and the payment goes on from there.

The page's success reaches the bot as a PayerVerified event (engine -> notifier -> update
queue); the bot then does what it does after a correct payment password (after_verified).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User, WebAppInfo
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes

from bot.chat.context import (
    BotDeps,
    aliases,
    deps,
    in_own_private_chat,
    payer_ref,
    tr,
    user_data,
)
from bot.chat.keypad import PinEntry, keypad
from bot.chat.messaging import own_press, private_sender
from bot.chat.notify import EngineEvents
from bot.chat.pay.checkout import after_verified, refusal_text
from bot.views.callbacks import (
    LANG_KEY,
    PASSKEY_ADD_DATA,
    PASSKEY_CHECK_KEY,
    PASSKEY_CHECK_PREFIX,
    PASSKEY_REMOVE_PREFIX,
    PIN_KEY,
)
from bot.views.i18n import Translator, translator
from bot.views.texts import passkey as texts_passkey
from bot.views.texts import payer as texts_payer
from core.domain.errors import DomainError, LockedOut, NotAllowed
from core.domain.passkeys import MAX_PASSKEYS, PayerVerified
from core.domain.payers import telegram_user_id

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PendingCheck:
    """A passkey check opened from the chat: which order, and who (to go on as them)."""

    order_token: str
    user: User
    by_password: bool = False  # the payer went on with the keypad meanwhile


def went_on_by_password(context: ContextTypes.DEFAULT_TYPE, order_token: str) -> None:
    """The keypad verified this payment: a page check still open for it must not go on too."""
    data = user_data(context)
    pending = data.get(PASSKEY_CHECK_KEY)
    if isinstance(pending, PendingCheck) and pending.order_token == order_token:
        data[PASSKEY_CHECK_KEY] = replace(pending, by_password=True)


async def passkey(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/passkey: the payer's passkeys, with buttons to remove one or add this phone."""
    sender = await private_sender(update)
    if sender is None:
        return
    user, msg = sender
    t = tr(user)
    if not deps(context).engine.passkeys_on:
        await msg.reply_text(texts_passkey.unavailable(t))
        return
    text, markup = await _listing(deps(context), t, user)
    await msg.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def _listing(d: BotDeps, t: Translator, user: User) -> tuple[str, InlineKeyboardMarkup]:
    keys = await d.engine.passkeys_of(payer_ref(user))
    rows = [
        [
            InlineKeyboardButton(
                texts_passkey.remove_label(t, n), callback_data=PASSKEY_REMOVE_PREFIX + k.id
            )
        ]
        for n, k in enumerate(keys, start=1)
    ]
    rows.append([InlineKeyboardButton(texts_passkey.add_label(t), callback_data=PASSKEY_ADD_DATA)])
    return texts_passkey.listing(t, keys), InlineKeyboardMarkup(rows)


async def on_add(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Add fingerprint / face: the payment password first, on the keypad."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    await query.answer()
    if not in_own_private_chat(query.message, user):
        return
    t, d = tr(user), deps(context)
    ref = payer_ref(user)
    if not d.engine.passkeys_on:
        text = texts_passkey.unavailable(t)
    elif not await d.engine.has_pin(ref):
        text = texts_passkey.need_pin(t)
    elif len(await d.engine.passkeys_of(ref)) >= MAX_PASSKEYS:
        text = texts_passkey.too_many(t)
    else:
        user_data(context)[PIN_KEY] = PinEntry("passkey")
        await context.bot.send_message(user.id, texts_passkey.enrol_pin(t), reply_markup=keypad())
        return
    await context.bot.send_message(user.id, text)


async def on_remove(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Remove one passkey; the list is shown again."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not query.data:
        return
    t, d = tr(user), deps(context)
    if not in_own_private_chat(query.message, user):
        await query.answer()
        return
    passkey_id = query.data.removeprefix(PASSKEY_REMOVE_PREFIX)
    keys = await d.engine.passkeys_of(payer_ref(user))
    found = next((k for k in keys if k.id == passkey_id), None)
    if found is None or not await d.engine.remove_passkey(payer_ref(user), passkey_id):
        await query.answer(texts_passkey.gone(t), show_alert=True)
        return
    await query.answer(texts_passkey.removed(t, found.device_name))
    text, markup = await _listing(d, t, user)
    if isinstance(query.message, Message):
        try:
            await query.message.edit_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
        except TelegramError as exc:
            log.debug("passkey list not edited: %s", exc)


async def send_enrol_link(context: ContextTypes.DEFAULT_TYPE, user: User, link: str) -> None:
    """The payment password was right: the page that enrols this phone."""
    t, d = tr(user), deps(context)
    button = _page_button(d, texts_passkey.add_label(t), link)
    markup = InlineKeyboardMarkup([[button]])
    await context.bot.send_message(user.id, texts_passkey.enrol_link(t), reply_markup=markup)


async def offer_enrolment(context: ContextTypes.DEFAULT_TYPE, user: User) -> None:
    """After the payment password is set: a button to add fingerprint / face too."""
    if not deps(context).engine.passkeys_on:
        return
    t = tr(user)
    button = InlineKeyboardButton(texts_passkey.add_label(t), callback_data=PASSKEY_ADD_DATA)
    await context.bot.send_message(
        user.id, texts_passkey.offer_enrolment(t), reply_markup=InlineKeyboardMarkup([[button]])
    )


async def offer_check(context: ContextTypes.DEFAULT_TYPE, user: User, token: str) -> None:
    """Under the payment keypad, for a payer with a passkey: fingerprint / face instead."""
    d = deps(context)
    if not d.engine.passkeys_on or not await d.engine.passkeys_of(payer_ref(user)):
        return
    t = tr(user)
    button = InlineKeyboardButton(
        texts_passkey.check_label(t), callback_data=PASSKEY_CHECK_PREFIX + token
    )
    await context.bot.send_message(
        user.id, texts_passkey.offer_check(t), reply_markup=InlineKeyboardMarkup([[button]])
    )


async def on_check(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Fingerprint / face pressed: a one-time page link for this payer and their part."""
    pressed = await own_press(update)
    if pressed is None:
        return
    user, data = pressed
    t, d, token = tr(user), deps(context), data.removeprefix(PASSKEY_CHECK_PREFIX)
    if not d.engine.passkeys_on:
        await context.bot.send_message(user.id, texts_passkey.unavailable(t))
        return
    try:
        link = await d.engine.open_passkey_check(payer_ref(user), token, aliases(user))
    except NotAllowed:
        await context.bot.send_message(user.id, texts_passkey.no_passkey(t))
        return
    except LockedOut as exc:
        until = exc.fields.get("until")
        text = (
            texts_payer.pin_locked(t, until, datetime.now(UTC))
            if isinstance(until, datetime)
            else texts_payer.too_many_tries(t, int(exc.fields.get("retry_after_s", 60)))
        )
        await context.bot.send_message(user.id, text)
        return
    except DomainError as exc:
        text = await refusal_text(d, t, token, exc)
        await context.bot.send_message(user.id, text, parse_mode=ParseMode.HTML)
        return
    user_data(context)[PASSKEY_CHECK_KEY] = PendingCheck(token, user)
    button = _page_button(d, texts_passkey.page_label(t), link)
    await context.bot.send_message(
        user.id, texts_passkey.check_link(t), reply_markup=InlineKeyboardMarkup([[button]])
    )


async def on_verified(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Engine events (a second handler group): a payer passed a passkey check on the page."""
    if not isinstance(update, EngineEvents):
        return
    for event in update.events:
        if isinstance(event, PayerVerified) and telegram_user_id(event.payer_ref) is not None:
            try:
                await _go_on(context, event)
            except Exception:
                log.exception("order %s: going on after a passkey check failed", event.order_id)


async def _go_on(context: ContextTypes.DEFAULT_TYPE, event: PayerVerified) -> None:
    """Exactly what follows a correct payment password, in the payer's own context."""
    user_id = telegram_user_id(event.payer_ref)
    if user_id is None:
        return
    app: Application = context.application  # type: ignore[type-arg]
    theirs = ContextTypes.DEFAULT_TYPE(app, chat_id=user_id, user_id=user_id)
    data = user_data(theirs)
    pending = data.pop(PASSKEY_CHECK_KEY, None)
    lang = data.get(LANG_KEY)
    t = translator(lang if isinstance(lang, str) else None)
    if not isinstance(pending, PendingCheck) or pending.order_token != event.order_token:
        await context.bot.send_message(user_id, texts_passkey.verified_late(t))
        return
    if pending.by_password:
        await context.bot.send_message(user_id, texts_passkey.verified_after_password(t))
        return
    entry = data.get(PIN_KEY)
    if isinstance(entry, PinEntry) and entry.token == event.order_token:
        data.pop(PIN_KEY, None)  # the keypad of this payment is not needed any more
    await context.bot.send_message(user_id, texts_passkey.verified(t))
    await after_verified(theirs, pending.user, event.order_token)


def _page_button(d: BotDeps, label: str, link: str) -> InlineKeyboardButton:
    """The page, as a Mini App where Telegram allows one (https only), else a browser link."""
    url = f"{d.settings.base_url.rstrip('/')}/verify/{link}"
    if url.startswith("https://"):
        return InlineKeyboardButton(label, web_app=WebAppInfo(url))
    return InlineKeyboardButton(label, url=url)

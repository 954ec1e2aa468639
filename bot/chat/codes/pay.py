"""The payer scans a static code: who collects and what for, the amount (keypad or text),
then the usual payment password, payment-mode choice and checkout of a one-part order."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import datetime, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.chat.context import deps, in_own_private_chat, tr, user_data
from bot.chat.keypad import digit_rows
from bot.chat.messaging import opened_by
from bot.chat.pay.payer import start_keypad
from bot.views.callbacks import CODE_AMOUNT_PREFIX, CODE_BIND_PREFIX, CODE_STARTS_KEY
from bot.views.i18n import Translator
from bot.views.texts import codes as texts_codes
from bot.views.texts import common as texts
from core.domain.codes import CodeKind
from core.domain.dialogs.amount import (
    DELETE,
    MACHINE,
    OK,
    POINT,
    AmountDialog,
    AmountEvent,
    AmountState,
)
from core.domain.dialogs.machine import DialogKind, advance
from core.domain.errors import InvalidInput, NotFound
from core.domain.money import Money, format_money, parse_amount, to_decimal
from core.ports.dialogs import begin, load, save
from core.usecases.codes import CodeInactive

log = logging.getLogger(__name__)

CODE_PAYLOAD = "s_"  # the deep link of a static code: /start s_<token>
EDIT_EVERY_S = 2.0
# Each amount sent makes an order row (and a ledger entry once it expires): a payer may
# start this many code payments in a window, so a script cannot make them without end.
MAX_STARTS = 10
STARTS_WINDOW = timedelta(hours=1)


def amount_keypad() -> InlineKeyboardMarkup:
    rows = digit_rows(CODE_AMOUNT_PREFIX)
    rows.append(
        [
            InlineKeyboardButton(POINT, callback_data=f"{CODE_AMOUNT_PREFIX}{POINT}"),
            InlineKeyboardButton("0", callback_data=f"{CODE_AMOUNT_PREFIX}0"),
            InlineKeyboardButton("⌫", callback_data=f"{CODE_AMOUNT_PREFIX}{DELETE}"),
        ]
    )
    rows.append([InlineKeyboardButton("OK ✅", callback_data=f"{CODE_AMOUNT_PREFIX}{OK}")])
    return InlineKeyboardMarkup(rows)


async def show_code(update: Update, context: ContextTypes.DEFAULT_TYPE, token: str) -> None:
    """A static code was scanned: its card and the amount keypad, or why it takes nothing."""
    opened = opened_by(update, context)
    if opened is None:
        return
    user, msg, t, d = opened
    try:
        card = await d.engine.code_card(token)
    except NotFound:
        await msg.reply_text(texts_codes.no_code(t))
        return
    except CodeInactive as exc:
        await d.dialogs.delete(user.id, DialogKind.AMOUNT)
        await _inactive(msg, t, token, str(exc.fields.get("state", "")), context)
        return
    spec = card.spec
    now = d.engine.deps.clock.now()
    text = texts_codes.payer_card(t, card.collector, spec, card.raised_minor, card.payments, now)
    fixed = spec.fixed_minor if spec.kind == CodeKind.FIXED else None
    price = Money(fixed, spec.currency) if fixed is not None else None
    entry = AmountDialog(
        state=AmountState.TYPING,
        token=token,
        currency=spec.currency,
        started_at=time.monotonic(),
        typed=str(to_decimal(price)) if price is not None else "",
    )
    await begin(d.dialogs, user.id, entry)
    if price is not None:
        label = texts_codes.pay_fixed_label(t, price)
        button = InlineKeyboardButton(label, callback_data=f"{CODE_AMOUNT_PREFIX}{OK}")
        markup = InlineKeyboardMarkup([[button]])
        await msg.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
        return
    await msg.reply_text(text, parse_mode=ParseMode.HTML)
    prompt = texts_codes.ask_amount(t, "", spec.currency.code)
    await msg.reply_text(prompt, parse_mode=ParseMode.HTML, reply_markup=amount_keypad())


async def _inactive(
    msg: Message, t: Translator, token: str, state: str, context: ContextTypes.DEFAULT_TYPE
) -> None:
    if state != "unbound":
        await msg.reply_text(texts_codes.inactive(t, state), parse_mode=ParseMode.HTML)
        return
    code = await deps(context).engine.find_code(token)
    button = InlineKeyboardButton(texts_codes.bind_label(t), callback_data=CODE_BIND_PREFIX + token)
    await msg.reply_text(
        texts_codes.unbound_offer(t, code.label),
        parse_mode=ParseMode.HTML,
        reply_markup=InlineKeyboardMarkup([[button]]),
    )


async def on_amount_key(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """One key of the amount keypad; OK submits the amount. A key with no amount dialog
    TYPING (stale, forged, a second OK) is refused."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not query.data:
        return
    d = deps(context)
    entry = await load(d.dialogs, user.id, AmountDialog)
    typing = entry is not None and entry.state == AmountState.TYPING
    if not in_own_private_chat(query.message, user) or entry is None or not typing:
        await query.answer(texts.try_later(tr(user)), show_alert=True)
        return
    key = query.data.removeprefix(CODE_AMOUNT_PREFIX)
    if key == OK:
        await query.answer()
        await submit(context, user, query.message, entry, entry.typed)
        return
    pressed, now = entry.press(key), time.monotonic()
    show = now - pressed.shown_at >= EDIT_EVERY_S and isinstance(query.message, Message)
    if show:
        pressed = replace(pressed, shown_at=now)
    if await save(d.dialogs, user.id, pressed) is None:
        await query.answer(texts.try_later(tr(user)), show_alert=True)
        return
    await query.answer(pressed.typed or "…")
    if show and isinstance(query.message, Message):
        prompt = texts_codes.ask_amount(tr(user), pressed.typed, pressed.currency.code)
        try:
            await query.message.edit_text(
                prompt, parse_mode=ParseMode.HTML, reply_markup=amount_keypad()
            )
        except TelegramError as exc:
            log.debug("amount keypad edit skipped: %s", exc)


async def on_private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Text in the private chat while an amount is asked for: that amount. True if used."""
    user, msg = update.effective_user, update.effective_message
    if user is None or msg is None:
        return False
    d = deps(context)
    entry = await load(d.dialogs, user.id, AmountDialog)
    if entry is None or entry.state != AmountState.TYPING:
        return False
    if entry.stale(time.monotonic()):
        await save(d.dialogs, user.id, advance(MACHINE, entry, AmountEvent.GONE))
        return False
    await submit(context, user, msg, entry, msg.text or "")
    return True


async def submit(
    context: ContextTypes.DEFAULT_TYPE,
    user: User,
    message: object,
    entry: AmountDialog,
    text: str,
) -> None:
    """Make the one-part order for the amount, then ask for the payment password."""
    t, d = tr(user), deps(context)
    submitting = await save(d.dialogs, user.id, advance(MACHINE, entry, AmountEvent.SUBMITTED))
    if submitting is None:  # a second OK, or text, came first
        return
    now = d.engine.deps.clock.now()
    starts = _recent_starts(context, now)
    if len(starts) >= MAX_STARTS:
        await save(d.dialogs, user.id, advance(MACHINE, submitting, AmountEvent.GONE))
        text = texts_codes.too_many_starts(t, starts[0] + STARTS_WINDOW, now)
        await context.bot.send_message(user.id, text)
        return
    try:
        amount = parse_amount(text, entry.currency, d.engine.deps.config.max_amount_minor)
        view = await d.engine.pay_code(entry.token, amount)
    except InvalidInput as exc:
        again = advance(MACHINE, submitting, AmountEvent.BAD_AMOUNT, typed="")
        await save(d.dialogs, user.id, again)
        text = texts.bad_input(t, exc) + "\n\n" + texts_codes.ask_amount(t, "", entry.currency.code)
        await context.bot.send_message(
            user.id, text, parse_mode=ParseMode.HTML, reply_markup=amount_keypad()
        )
        return
    except (CodeInactive, NotFound) as exc:
        await save(d.dialogs, user.id, advance(MACHINE, submitting, AmountEvent.GONE))
        await context.bot.send_message(user.id, _gone_text(t, exc))
        return
    await save(d.dialogs, user.id, advance(MACHINE, submitting, AmountEvent.MADE))
    starts.append(now)
    log.info("code payment: order %s for %s", view.order.id, format_money(amount))
    await start_keypad(context, user, message, token=view.order.token)


def _gone_text(t: Translator, exc: CodeInactive | NotFound) -> str:
    if isinstance(exc, CodeInactive):
        return texts_codes.inactive(t, str(exc.fields.get("state", "")))
    return texts_codes.no_code(t)


def _recent_starts(context: ContextTypes.DEFAULT_TYPE, now: datetime) -> list[datetime]:
    """When this payer started code payments within the window (the list kept for them)."""
    kept = user_data(context).get(CODE_STARTS_KEY)
    starts = [s for s in kept if s > now - STARTS_WINDOW] if isinstance(kept, list) else []
    user_data(context)[CODE_STARTS_KEY] = starts
    return starts

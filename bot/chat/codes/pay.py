"""The payer scans a static code: who collects and what for, the amount (keypad or text),
then the usual payment password, payment-mode choice and checkout of a one-part order."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.chat.context import deps, in_own_private_chat, tr, user_data
from bot.chat.keypad import digit_rows
from bot.chat.messaging import opened_by
from bot.chat.pay.payer import start_keypad
from bot.views.callbacks import (
    CODE_AMOUNT_KEY,
    CODE_AMOUNT_PREFIX,
    CODE_BIND_PREFIX,
    CODE_STARTS_KEY,
)
from bot.views.i18n import Translator
from bot.views.texts import codes as texts_codes
from bot.views.texts import common as texts
from core.domain.codes import CodeKind
from core.domain.errors import InvalidInput, NotFound
from core.domain.money import Currency, Money, format_money, parse_amount, to_decimal
from core.usecases.codes import CodeInactive

log = logging.getLogger(__name__)

CODE_PAYLOAD = "s_"  # the deep link of a static code: /start s_<token>
OK, DELETE, POINT = "ok", "x", "."
MAX_TYPED = 12
STALE_S = 15 * 60
EDIT_EVERY_S = 2.0
# Each amount sent makes an order row (and a ledger entry once it expires): a payer may
# start this many code payments in a window, so a script cannot make them without end.
MAX_STARTS = 10
STARTS_WINDOW = timedelta(hours=1)


@dataclass(slots=True)
class AmountEntry:
    """The amount a payer is typing for a code; kept in memory only."""

    token: str
    currency: Currency
    typed: str = ""
    shown_at: float = float("-inf")
    started_at: float = field(default_factory=time.monotonic)

    @property
    def stale(self) -> bool:
        """Asked too long ago: later text is not taken as an amount."""
        return time.monotonic() - self.started_at > STALE_S

    def press(self, key: str) -> None:
        if key == DELETE:
            self.typed = self.typed[:-1]
        elif len(self.typed) >= MAX_TYPED:
            return
        elif key == POINT and POINT not in self.typed and self.currency.exponent > 0:
            self.typed = (self.typed or "0") + POINT
        elif key.isascii() and key.isdigit() and len(key) == 1:
            self.typed += key


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
    _user, msg, t, d = opened
    try:
        card = await d.engine.code_card(token)
    except NotFound:
        await msg.reply_text(texts_codes.no_code(t))
        return
    except CodeInactive as exc:
        await _inactive(msg, t, token, str(exc.fields.get("state", "")), context)
        return
    spec = card.spec
    now = d.engine.deps.clock.now()
    text = texts_codes.payer_card(t, card.collector, spec, card.raised_minor, card.payments, now)
    entry = AmountEntry(token, spec.currency)
    user_data(context)[CODE_AMOUNT_KEY] = entry
    if spec.kind == CodeKind.FIXED and spec.fixed_minor is not None:
        price = Money(spec.fixed_minor, spec.currency)
        entry.typed = str(to_decimal(price))
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
    user_data(context).pop(CODE_AMOUNT_KEY, None)
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
    """One key of the amount keypad; OK submits the amount."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not query.data:
        return
    entry = user_data(context).get(CODE_AMOUNT_KEY)
    if not in_own_private_chat(query.message, user) or not isinstance(entry, AmountEntry):
        await query.answer(texts.try_later(tr(user)), show_alert=True)
        return
    key = query.data.removeprefix(CODE_AMOUNT_PREFIX)
    if key == OK:
        await query.answer()
        await submit(context, user, query.message, entry, entry.typed)
        return
    entry.press(key)
    await query.answer(entry.typed or "…")
    if time.monotonic() - entry.shown_at >= EDIT_EVERY_S and isinstance(query.message, Message):
        entry.shown_at = time.monotonic()
        prompt = texts_codes.ask_amount(tr(user), entry.typed, entry.currency.code)
        try:
            await query.message.edit_text(
                prompt, parse_mode=ParseMode.HTML, reply_markup=amount_keypad()
            )
        except TelegramError as exc:
            log.debug("amount keypad edit skipped: %s", exc)


async def on_private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Text in the private chat while an amount is asked for: that amount. True if used."""
    user, msg = update.effective_user, update.effective_message
    entry = user_data(context).get(CODE_AMOUNT_KEY)
    if user is None or msg is None or not isinstance(entry, AmountEntry):
        return False
    if entry.stale:
        user_data(context).pop(CODE_AMOUNT_KEY, None)
        return False
    await submit(context, user, msg, entry, msg.text or "")
    return True


async def submit(
    context: ContextTypes.DEFAULT_TYPE,
    user: User,
    message: object,
    entry: AmountEntry,
    text: str,
) -> None:
    """Make the one-part order for the amount, then ask for the payment password."""
    t, d = tr(user), deps(context)
    now = d.engine.deps.clock.now()
    starts = _recent_starts(context, now)
    if len(starts) >= MAX_STARTS:
        user_data(context).pop(CODE_AMOUNT_KEY, None)
        text = texts_codes.too_many_starts(t, starts[0] + STARTS_WINDOW, now)
        await context.bot.send_message(user.id, text)
        return
    try:
        amount = parse_amount(text, entry.currency, d.engine.deps.config.max_amount_minor)
        view = await d.engine.pay_code(entry.token, amount)
    except InvalidInput as exc:
        entry.typed = ""
        again = (
            texts.bad_input(t, exc) + "\n\n" + texts_codes.ask_amount(t, "", entry.currency.code)
        )
        await context.bot.send_message(
            user.id, again, parse_mode=ParseMode.HTML, reply_markup=amount_keypad()
        )
        return
    except CodeInactive as exc:
        user_data(context).pop(CODE_AMOUNT_KEY, None)
        state = str(exc.fields.get("state", ""))
        await context.bot.send_message(user.id, texts_codes.inactive(t, state))
        return
    except NotFound:
        user_data(context).pop(CODE_AMOUNT_KEY, None)
        await context.bot.send_message(user.id, texts_codes.no_code(t))
        return
    user_data(context).pop(CODE_AMOUNT_KEY, None)
    starts.append(now)
    log.info("code payment: order %s for %s", view.order.id, format_money(amount))
    await start_keypad(context, user, message, token=view.order.token)


def _recent_starts(context: ContextTypes.DEFAULT_TYPE, now: datetime) -> list[datetime]:
    """When this payer started code payments within the window (the list kept for them)."""
    kept = user_data(context).get(CODE_STARTS_KEY)
    starts = [s for s in kept if s > now - STARTS_WINDOW] if isinstance(kept, list) else []
    user_data(context)[CODE_STARTS_KEY] = starts
    return starts

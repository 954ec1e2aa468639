"""/payouts in private: the payee's own Stripe account (Stripe Connect), where the card parts
of their orders are paid, connected on Stripe's hosted sign-up, followed, and disconnected;
and the letter to the payee when the account changes state (PayoutAccountChanged).

The sign-up link is one-time and short-lived: each press of Connect (or Continue, Finish,
Reconnect) asks the engine for a fresh one. Disconnecting asks to confirm first, saying what
it does to new and open orders.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.chat.context import BotDeps, deps, lang_of, payee_name, tr, user_data
from bot.chat.letters import dm_letter
from bot.chat.messaging import PayeePress, language_of, payee_press, private_payee
from bot.chat.pay.checkout import choices
from bot.views.callbacks import LANG_KEY, PAYOUT_PREFIX
from bot.views.i18n import Translator, translator
from bot.views.texts import common as texts
from bot.views.texts import payments as texts_payments
from bot.views.texts import payouts as texts_payouts
from core.domain.errors import GatewayError, InvalidInput, NotFound, Unavailable
from core.domain.events import PayoutAccountChanged
from core.domain.model import OrderState, PayeeId
from core.domain.outbox import Letter
from core.domain.payers import telegram_user_id
from core.domain.payouts import PayoutState
from core.usecases.deps import OrderView
from core.usecases.payouts import check_country

log = logging.getLogger(__name__)

# the action after PAYOUT_PREFIX
CONNECT = "c"  # [':' country]: a new sign-up link (Connect, Continue, Finish, Reconnect)
ASK = "d"  # Disconnect: asks to confirm
YES = "y"  # the confirmation: disconnect now
KEEP = "k"  # keep it connected


async def payouts(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/payouts [country]: the payee's Stripe account and its buttons, or how to connect one."""
    sender = await private_payee(update, context)
    if sender is None:
        return
    user, msg, payee_id = sender
    t, d = tr(user), deps(context)
    user_data(context)[LANG_KEY] = lang_of(user)  # the letters about the account, later
    if d.engine.deps.payouts is None:
        await msg.reply_text(texts_payouts.not_set_up(t), parse_mode=ParseMode.HTML)
        return
    try:
        country = check_country(next(iter(context.args or ()), None))
    except InvalidInput as exc:
        await msg.reply_text(texts.bad_input(t, exc), parse_mode=ParseMode.HTML)
        return
    text, markup = await _status(d, t, payee_id, country)
    await msg.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def _status(
    d: BotDeps, t: Translator, payee_id: PayeeId, country: str | None = None
) -> tuple[str, InlineKeyboardMarkup]:
    fee = d.engine.deps.config.payout_fee_bps
    account = await d.engine.payout_account(payee_id)
    connect = f"{PAYOUT_PREFIX}{CONNECT}:{country or ''}"
    if account is None:
        button = InlineKeyboardButton(texts_payouts.connect_label(t), callback_data=connect)
        return texts_payouts.intro(t, fee), InlineKeyboardMarkup([[button]])
    shown = texts_payouts.status(t, account, fee)
    rows = []
    if shown.link is not None:
        rows.append([InlineKeyboardButton(shown.link, callback_data=connect)])
    if shown.can_disconnect:
        label = texts_payouts.disconnect_label(t)
        rows.append([InlineKeyboardButton(label, callback_data=PAYOUT_PREFIX + ASK)])
    return shown.text, InlineKeyboardMarkup(rows)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """One of /payouts' buttons, in the payee's own private chat."""
    press = await payee_press(update, context)
    if press is None:
        return
    action, _, arg = press.data.removeprefix(PAYOUT_PREFIX).partition(":")
    acts: dict[str, Callable[[ContextTypes.DEFAULT_TYPE, PayeePress, str], Awaitable[None]]] = {
        CONNECT: _connect,
        ASK: _ask,
        YES: _disconnect,
        KEEP: _keep,
    }
    act = acts.get(action)
    if act is None:
        await press.query.answer(texts_payouts.gone_alert(press.t), show_alert=True)
        return
    await act(context, press, arg)


async def _connect(context: ContextTypes.DEFAULT_TYPE, press: PayeePress, country: str) -> None:
    """A fresh one-time link to Stripe's sign-up (the account is made on the first press)."""
    query, t, d = press.query, press.t, deps(context)
    try:
        onboarding = await d.engine.connect_payouts(press.payee_id, country or None)
    except Unavailable:
        await query.answer(texts_payouts.not_set_up_alert(t), show_alert=True)
        return
    except InvalidInput:  # a forged country
        await query.answer(texts_payouts.gone_alert(t), show_alert=True)
        return
    except GatewayError as exc:
        log.warning("payee %s: no sign-up link: %s", press.payee_id, exc)
        await query.answer(texts.try_later(t), show_alert=True)
        return
    await query.answer()
    button = InlineKeyboardButton(texts_payouts.open_label(t), url=onboarding.url)
    await context.bot.send_message(
        query.from_user.id,
        texts_payouts.sign_up_link(t),
        parse_mode=ParseMode.HTML,
        reply_markup=InlineKeyboardMarkup([[button]]),
    )
    await _show_again(d, t, press)


async def _ask(context: ContextTypes.DEFAULT_TYPE, press: PayeePress, _arg: str) -> None:
    """Disconnect: what it does, and a second button that does it."""
    query, t = press.query, press.t
    await query.answer()
    yes = InlineKeyboardButton(
        texts_payouts.confirm_disconnect_label(t), callback_data=PAYOUT_PREFIX + YES
    )
    keep = InlineKeyboardButton(texts_payouts.keep_label(t), callback_data=PAYOUT_PREFIX + KEEP)
    await context.bot.send_message(
        query.from_user.id,
        texts_payouts.disconnect_confirm(t),
        parse_mode=ParseMode.HTML,
        reply_markup=InlineKeyboardMarkup([[yes], [keep]]),
    )


async def _disconnect(context: ContextTypes.DEFAULT_TYPE, press: PayeePress, _arg: str) -> None:
    query, t, d = press.query, press.t, deps(context)
    try:
        await d.engine.disconnect_payouts(press.payee_id)
    except NotFound:
        await query.answer(texts_payouts.nothing_connected_alert(t), show_alert=True)
        return
    except Unavailable:
        await query.answer(texts_payouts.not_set_up_alert(t), show_alert=True)
        return
    await query.answer()
    await _replace(query.message, texts_payouts.disconnected(t))


async def _keep(context: ContextTypes.DEFAULT_TYPE, press: PayeePress, _arg: str) -> None:
    await press.query.answer()
    await _replace(press.query.message, texts_payouts.kept(press.t))


async def _show_again(d: BotDeps, t: Translator, press: PayeePress) -> None:
    """The /payouts message a button was on, brought up to date (best effort)."""
    message = press.query.message
    if not isinstance(message, Message):
        return
    text, markup = await _status(d, t, press.payee_id)
    if text == message.text_html:
        return
    try:
        await message.edit_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
    except TelegramError as exc:
        log.debug("payouts message not edited: %s", exc)


async def _replace(message: object, text: str) -> None:
    """The confirmation's message says what came of it, without its buttons."""
    if not isinstance(message, Message):
        return
    try:
        await message.edit_text(text, parse_mode=ParseMode.HTML, reply_markup=None)
    except TelegramError as exc:
        log.debug("disconnect confirmation not edited: %s", exc)


# ---- the letter when the account changes ----


async def changed_letters(
    context: ContextTypes.DEFAULT_TYPE, event: PayoutAccountChanged
) -> list[Letter]:
    """Tell the payee their account's new state, why cards cannot pay into it, and what that
    means for each open order bound to it (at most ORDERS_SHOWN, then how many more)."""
    d = deps(context)
    payee = await d.engine.payee(PayeeId(event.payee_id))
    user_id = telegram_user_id(payee.name if payee is not None else None)
    if user_id is None:
        log.info("payee %s's payout account changed; they are not on Telegram", event.payee_id)
        return []
    views, more = await _open_views(d, event.orders)
    posts = [p for v in views for p in await d.engine.posts_of(v.order.id)]
    group_lang = posts[0].lang if posts else None
    t = translator(language_of(context, user_id) or group_lang)
    lines = [texts_payouts.changed(t, event.state, event.reason)]
    if views:
        lines.append("")
    lines += [await _order_line(d, t, event.state, view) for view in views]
    if more > 0:
        lines.append(texts_payouts.more_orders(t, more))
    chats = list(dict.fromkeys(p.chat_id for p in posts))
    name = payee_name(posts)
    return [
        dm_letter(context, user_id, name, "\n".join(lines), "payout account", chats, group_lang)
    ]


async def _open_views(d: BotDeps, order_ids: tuple[str, ...]) -> tuple[list[OrderView], int]:
    """The first ORDERS_SHOWN orders still open, as they are now, and how many are left
    unread after them (open when the account changed)."""
    found: list[OrderView] = []
    read = 0
    for order_id in order_ids:
        if len(found) >= texts_payouts.ORDERS_SHOWN:
            break
        read += 1
        view = await d.engine.order_view(order_id)
        if view is not None and view.order.state == OrderState.OPEN:
            found.append(view)
    return found, len(order_ids) - read


async def _order_line(d: BotDeps, t: Translator, state: str, view: OrderView) -> str:
    order = view.order
    if state == PayoutState.ENABLED:
        return texts_payouts.order_resumed(t, order.title)
    card = d.engine.deps.payouts.name if d.engine.deps.payouts is not None else None
    others = [
        texts_payments.method_label(t, name, order.currency.code)
        for name in await choices(d, order)
        if name != card
    ]
    return texts_payouts.order_paused(t, order.title, order.paid_count, order.n, others)

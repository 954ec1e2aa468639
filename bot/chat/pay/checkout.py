"""After the payment password: pick a payment method, give the order password, hold a part,
and get the checkout (a link to the gateway's page, or a Telegram invoice)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.chat.context import (
    BotDeps,
    aliases,
    deps,
    display_name,
    in_own_private_chat,
    lang_of,
    payee_name,
    payer_ref,
    tr,
    user_data,
)
from bot.chat.pay.payments import send_invoice
from bot.chat.pay.transfer import send_transfer
from bot.views.callbacks import GATEWAY_CHOICE_PREFIX, LANG_KEY
from bot.views.i18n import Translator
from bot.views.texts import common as texts
from bot.views.texts import payer as texts_payer
from bot.views.texts import payments as texts_payments
from bot.views.texts import payouts as texts_payouts
from bot.views.texts import transfers as texts_transfers
from core.domain.dialogs import checkout, order_password
from core.domain.dialogs.checkout import CheckoutDialog, CheckoutEvent, CheckoutState
from core.domain.dialogs.machine import advance
from core.domain.dialogs.order_password import OrderPasswordDialog
from core.domain.dialogs.order_password import OrderPasswordEvent as E
from core.domain.dialogs.order_password import OrderPasswordState as S
from core.domain.errors import (
    AlreadyPaid,
    DomainError,
    GatewayError,
    LockedOut,
    NotAllowed,
    NotFound,
    OrderClosed,
    OrderFull,
    TooManyHolds,
    Unsupported,
    WrongPassword,
)
from core.domain.holds import HOLD_WINDOW_S
from core.domain.model import DIRECT_KINDS, Order, SubOrderState
from core.domain.money import Money
from core.ports.dialogs import begin, load, save
from core.usecases.deps import OrderView, Reservation
from core.usecases.reservations import unfit

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


async def choices(d: BotDeps, order: Order) -> list[str]:
    """How this order's payers may pay: the operator's gateways that can take it, then the
    payee's own methods (a bank transfer straight to the payee: bot.chat.pay.transfer)."""
    gateways = await d.engine.methods_for(order)
    return gateways + [m.kind.value for m in await d.engine.payee_methods_for(order)]


async def after_verified(context: ContextTypes.DEFAULT_TYPE, user: User, token: str) -> None:
    """The payer is verified: let them pick a payment method when there are several."""
    d = deps(context)
    try:
        view = await d.engine.public_order(token)
    except NotFound:
        await context.bot.send_message(user.id, texts_payer.order_not_found(tr(user)))
        return
    methods = await choices(d, view.order)
    if not methods:  # e.g. mode all, and Telegram Payments alone: say so before anything
        reason = await _why_none(d, view.order)
        text = texts_payments.unsupported(tr(user), view.order.title, reason)
        await context.bot.send_message(user.id, text, parse_mode=ParseMode.HTML)
        return
    if len(methods) == 1:
        await _after_choice(context, user, view, methods[0])
        return
    await begin(d.dialogs, user.id, CheckoutDialog(state=CheckoutState.CHOOSING, token=token))
    t, order = tr(user), view.order
    due = Money(due_for(view, user), order.currency)
    rows = [
        [
            InlineKeyboardButton(
                texts_payments.method_label(t, name, order.currency.code),
                callback_data=f"{GATEWAY_CHOICE_PREFIX}{name}:{token}",
            )
        ]
        for name in methods
    ]
    await context.bot.send_message(
        user.id,
        texts_payments.choose_method(t, order.title, due),
        parse_mode=ParseMode.HTML,
        reply_markup=InlineKeyboardMarkup(rows),
    )


async def _why_none(d: BotDeps, order: Order) -> str:
    """Why no payment method can take the order: the default gateway's refusal, or the
    payee's Stripe account that cannot take its card parts now."""
    refusal = unfit(d.engine.deps.gateway(None), order)
    if refusal is not None:
        return str(refusal.fields.get("reason", ""))
    return "payout_paused" if await d.engine.card_paused(order) is not None else ""


async def on_choice(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A payment method pressed: only on the choice in the presser's own private chat, while
    their checkout dialog is CHOOSING for that order, and one of the methods it can use."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not query.data:
        return
    t, d = tr(user), deps(context)
    name, _, token = query.data.removeprefix(GATEWAY_CHOICE_PREFIX).partition(":")
    pending = await load(d.dialogs, user.id, CheckoutDialog)
    mine = pending is not None and pending.token == token
    if not in_own_private_chat(query.message, user) or pending is None or not mine:
        await query.answer(texts_payments.choice_gone_alert(t), show_alert=True)
        return
    try:
        view = await d.engine.public_order(token)
    except NotFound:
        await query.answer(texts_payments.choice_gone_alert(t), show_alert=True)
        return
    if name not in await choices(d, view.order):
        await query.answer(texts_payments.choice_gone_alert(t), show_alert=True)
        return
    picked = advance(checkout.MACHINE, pending, CheckoutEvent.PICKED)
    if await save(d.dialogs, user.id, picked) is None:  # a double press: the first goes on
        await query.answer(texts_payments.choice_gone_alert(t), show_alert=True)
        return
    await query.answer()
    label = texts_payments.method_label(t, name, view.order.currency.code)
    if isinstance(query.message, Message):
        try:
            await query.message.edit_text(texts_payments.method_chosen(t, label))
        except TelegramError as exc:
            log.debug("choice message not edited: %s", exc)
    await _after_choice(context, user, view, name)


async def _after_choice(
    context: ContextTypes.DEFAULT_TYPE, user: User, view: OrderView, gateway: str | None
) -> None:
    """Ask for the order password if the order has one, else hold a part now."""
    if view.order.has_password:
        asked = OrderPasswordDialog(state=S.ASKED, token=view.order.token, gateway=gateway)
        await begin(deps(context).dialogs, user.id, asked)
        text = texts_payer.order_password_prompt(tr(user), view.order.title)
        await context.bot.send_message(user.id, text, parse_mode=ParseMode.HTML)
        return
    await reserve(context, user, view.order.token, None, gateway)


async def on_private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Text in the private chat: the order password, if one was asked for. True if used."""
    user, msg = update.effective_user, update.effective_message
    if user is None or msg is None:
        return False
    dialogs = deps(context).dialogs
    pending = await load(dialogs, user.id, OrderPasswordDialog)
    if pending is None or pending.state != S.ASKED:
        return False
    checking = await save(dialogs, user.id, advance(order_password.MACHINE, pending, E.TYPED))
    if checking is None:
        return False
    password = msg.text or ""
    try:
        await msg.delete()  # the password does not stay in the chat
    except TelegramError:
        log.debug("could not delete the order password message")
    await reserve(context, user, pending.token, password, pending.gateway, checking=checking)
    return True


async def reserve(
    context: ContextTypes.DEFAULT_TYPE,
    user: User,
    token: str,
    password: str | None,
    gateway: str | None = None,
    *,
    checking: OrderPasswordDialog | None = None,
) -> None:
    """Hold a part for the payer and send the checkout: a link, or an invoice.

    `checking` is the order-password dialog whose password this is: asked again if wrong,
    else over."""
    t, d = tr(user), deps(context)
    user_data(context)[LANG_KEY] = lang_of(user)
    direct = gateway in DIRECT_KINDS  # the payee's own method: a transfer, no checkout
    try:
        res = await d.engine.reserve(
            token,
            payer_ref(user),
            password,
            None if direct else gateway,
            method=gateway if direct else None,
            payer_name=display_name(user),
            aliases=aliases(user),
            source=payer_ref(user),
        )
    except WrongPassword:
        await _ask_again(d, user, token, gateway, checking)
        await context.bot.send_message(user.id, texts_payer.order_password_wrong(t))
        return
    except (DomainError, GatewayError) as exc:
        await _settled(d, user, checking)
        await context.bot.send_message(
            user.id, await refusal_text(d, t, token, exc), parse_mode=ParseMode.HTML
        )
        return
    await _settled(d, user, checking)
    await _send_checkout(context, user, res, t)


async def _ask_again(
    d: BotDeps,
    user: User,
    token: str,
    gateway: str | None,
    checking: OrderPasswordDialog | None,
) -> None:
    """A wrong order password: the next text is asked for again."""
    if checking is not None:
        await save(d.dialogs, user.id, advance(order_password.MACHINE, checking, E.WRONG))
        return
    asked = OrderPasswordDialog(state=S.ASKED, token=token, gateway=gateway)
    await begin(d.dialogs, user.id, asked)


async def _settled(d: BotDeps, user: User, checking: OrderPasswordDialog | None) -> None:
    if checking is not None:
        await save(d.dialogs, user.id, advance(order_password.MACHINE, checking, E.SETTLED))


async def _send_checkout(
    context: ContextTypes.DEFAULT_TYPE, user: User, res: Reservation, t: Translator
) -> None:
    if res.transfer is not None:
        await send_transfer(context, user, res)
        return
    due = Money(res.sub.amount_minor, res.order.currency)
    text = texts_payer.reserved(
        t, title=res.order.title, due=due, hold_until=res.sub.hold_until or _now(), now=_now()
    )
    url = res.sub.checkout_url or ""
    if res.sub.gateway == "telegram":
        text = f"{text}\n{texts_payments.pay_below(t)}"
        await context.bot.send_message(user.id, text, parse_mode=ParseMode.HTML)
        await send_invoice(context, user, res)
        return
    into = await _card_into(context, res, t)
    if into:
        text = f"{text}\n{into}"
    markup = None
    if url.startswith(("https://", "http://")):
        button = InlineKeyboardButton(texts_payer.checkout_label(t, due), url=url)
        markup = InlineKeyboardMarkup([[button]])
    await context.bot.send_message(user.id, text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def _card_into(
    context: ContextTypes.DEFAULT_TYPE, res: Reservation, t: Translator
) -> str | None:
    """When the card money goes into the payee's own Stripe account: says so, with the
    platform's fee out of it (None: it goes to the operator's, as it always did)."""
    d, order, sub = deps(context), res.order, res.sub
    if sub.gateway is None:
        return None
    try:
        payout = await d.engine.card_payout(order, sub.gateway, sub.amount_minor)
    except Unsupported:  # paused since the part was held: nothing to say of where it goes
        return None
    if payout is None:
        return None
    fee = Money(payout.fee_minor, order.currency) if payout.fee_minor > 0 else None
    return texts_payouts.card_into(t, payee_name(await d.engine.posts_of(order.id)), fee)


def due_for(view: OrderView, user: User) -> int:
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


async def refusal_text(d: BotDeps, t: Translator, token: str, exc: Exception) -> str:
    """Why the payer cannot pay this order now, from the engine's refusal."""
    try:
        order = (await d.engine.public_order(token)).order
    except DomainError:
        return texts_payer.order_not_found(t)
    title = order.title
    if isinstance(exc, AlreadyPaid):
        return texts_payer.already_paid(t, title)
    if isinstance(exc, OrderFull):
        return texts_payer.order_full(t, title)
    if isinstance(exc, TooManyHolds):
        retry_s = exc.fields.get("retry_after_s")
        minutes = -(-retry_s // 60) if isinstance(retry_s, int) else HOLD_WINDOW_S // 60
        return texts_payer.too_many_holds(t, title, minutes)
    if isinstance(exc, OrderClosed):
        return texts_payer.order_closed(t, title, str(exc.fields.get("state", "closed")))
    if isinstance(exc, NotAllowed) and exc.fields.get("reason") == "transfer":
        return texts_transfers.paying_by_transfer(t, title)
    if isinstance(exc, NotAllowed) and exc.fields.get("reason") == "checkout":
        return texts_transfers.paying_by_checkout(t, title)
    if isinstance(exc, NotAllowed):
        return texts_payer.not_for_you(t, title, payee_name(await d.engine.posts_of(order.id)))
    if isinstance(exc, Unsupported):
        return texts_payments.unsupported(t, title, str(exc.fields.get("reason", "")))
    if isinstance(exc, LockedOut):
        return _locked(d, t, title, exc)
    return texts.try_later(t)


def _locked(d: BotDeps, t: Translator, title: str, exc: LockedOut) -> str:
    """This payer's lock-out from the order's password, or a short wait (an order whose
    password is being guessed at gives every payer one try a minute)."""
    until = exc.fields.get("until")
    if isinstance(until, datetime):
        return texts_payer.order_password_locked(t, title, until, d.engine.deps.clock.now())
    return texts_payer.too_many_tries(t, int(exc.fields.get("retry_after_s", 60)))

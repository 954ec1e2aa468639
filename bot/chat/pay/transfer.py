"""Paying a part by bank transfer straight to the payee: the QR code, details, "I've paid".

The payment QR code and the same details as text, "I've paid" (with the UTR for UPI), letting
the part go, and the payee's "not received" told to the payer.

The money goes from the payer's bank to the payee's, never through Chipin: the part is held,
not counted, from "I've paid" until the payee confirms or denies it (bot.chat.collect.transfers)
or the order ends.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update, User
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.chat.context import (
    add_done_line,
    deps,
    in_own_private_chat,
    payee_name,
    payer_ref,
    tr,
)
from bot.chat.letters import dm_letter
from bot.chat.messaging import language_of
from bot.views.callbacks import TRANSFER_LET_GO_PREFIX, TRANSFER_PAID_PREFIX
from bot.views.i18n import Translator, translator
from bot.views.qr import payment_qr_png
from bot.views.texts import common as texts
from bot.views.texts import payer as texts_payer
from bot.views.texts import transfers as texts_transfers
from core.domain.dialogs.machine import advance
from core.domain.dialogs.utr import MACHINE as UTR_MACHINE
from core.domain.dialogs.utr import UtrDialog, UtrEvent, UtrState
from core.domain.errors import (
    AlreadyPaid,
    DomainError,
    HoldNotYours,
    InvalidInput,
    NotFound,
    NotHeld,
    OrderClosed,
)
from core.domain.events import TransferDenied
from core.domain.model import MethodKind, SubOrderState
from core.domain.outbox import Letter
from core.domain.payers import telegram_user_id
from core.ports.dialogs import begin, load, save
from core.usecases.deps import Reservation

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


async def send_transfer(context: ContextTypes.DEFAULT_TYPE, user: User, res: Reservation) -> None:
    """The held part's payment QR code, then the same details as text with the buttons."""
    how = res.transfer
    if how is None:
        return
    t, d = tr(user), deps(context)
    if res.sub.state == SubOrderState.CLAIMED:
        text = texts_transfers.claimed_before(t, res.order.title)
        await context.bot.send_message(user.id, text, parse_mode=ParseMode.HTML)
        return
    now = _now()
    hold_until = res.sub.hold_until or now
    payee = payee_name(await d.engine.posts_of(res.order.id))
    caption = texts_transfers.qr_caption(t, how)
    png = payment_qr_png(how.payload)
    await context.bot.send_photo(user.id, png, caption=caption, parse_mode=ParseMode.HTML)
    text = texts_transfers.instructions(
        t, how, title=res.order.title, payee=payee, hold_until=hold_until, now=now
    )
    row = [
        InlineKeyboardButton(
            texts_transfers.paid_label(t),
            callback_data=f"{TRANSFER_PAID_PREFIX}{how.kind.value}:{res.order.token}",
        ),
        InlineKeyboardButton(
            texts_transfers.let_go_label(t),
            callback_data=TRANSFER_LET_GO_PREFIX + how.reference,
        ),
    ]
    markup = InlineKeyboardMarkup([row])
    await context.bot.send_message(user.id, text, parse_mode=ParseMode.HTML, reply_markup=markup)
    log.info("order %s: transfer details sent for sub-order %s", res.order.id, res.sub.id)


async def on_paid(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """'I've paid': the part is claimed (for UPI, once the payer has sent the UTR)."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not query.data:
        return
    await query.answer()
    if not in_own_private_chat(query.message, user):
        return
    kind, _, token = query.data.removeprefix(TRANSFER_PAID_PREFIX).partition(":")
    t = tr(user)
    if kind == MethodKind.UPI:
        await begin(deps(context).dialogs, user.id, UtrDialog(state=UtrState.ASKED, token=token))
        await context.bot.send_message(user.id, texts_transfers.utr_prompt(t))
        return
    if await _claim(context, user, token, None):
        await add_done_line(query.message, texts_transfers.claimed_line(t))


async def on_private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Text in the private chat while a UPI claim waits for its UTR. True if used."""
    user, msg = update.effective_user, update.effective_message
    if user is None or msg is None:
        return False
    dialogs = deps(context).dialogs
    pending = await load(dialogs, user.id, UtrDialog)
    if pending is None or pending.state != UtrState.ASKED:
        return False
    claiming = await save(dialogs, user.id, advance(UTR_MACHINE, pending, UtrEvent.TYPED))
    if claiming is None:
        return False
    t = tr(user)
    try:
        done = await _claim(context, user, pending.token, msg.text or "", strict=True)
    except InvalidInput as exc:  # not 12 digits: asked again
        await save(dialogs, user.id, advance(UTR_MACHINE, claiming, UtrEvent.BAD))
        text = f"{texts.bad_input(t, exc)}\n\n{texts_transfers.utr_prompt(t)}"
        await msg.reply_text(text, parse_mode=ParseMode.HTML)
        return True
    await save(dialogs, user.id, advance(UTR_MACHINE, claiming, UtrEvent.SETTLED))
    log.debug("UPI claim by UTR: %s", "claimed" if done else "refused")
    return True


async def _claim(
    context: ContextTypes.DEFAULT_TYPE,
    user: User,
    token: str,
    utr: str | None,
    *,
    strict: bool = False,
) -> bool:
    """Claim the payer's part, and say what happens now (or why not); True if claimed.
    `strict`: a bad UTR is raised (InvalidInput) for the caller to ask again."""
    t, d = tr(user), deps(context)
    try:
        await d.engine.claim_transfer(token, payer_ref(user), utr=utr)
    except InvalidInput:
        if strict:
            raise
        await context.bot.send_message(user.id, texts_transfers.utr_prompt(t))
        return False
    except DomainError as exc:
        text = await _refusal(context, t, token, exc)
        await context.bot.send_message(user.id, text, parse_mode=ParseMode.HTML)
        return False
    await context.bot.send_message(user.id, texts_transfers.claimed(t))
    return True


async def _refusal(
    context: ContextTypes.DEFAULT_TYPE, t: Translator, token: str, exc: DomainError
) -> str:
    try:
        title = (await deps(context).engine.public_order(token)).order.title
    except NotFound:
        return texts_payer.order_not_found(t)
    if isinstance(exc, AlreadyPaid):
        return texts_payer.already_paid(t, title)
    if isinstance(exc, OrderClosed):
        return texts_payer.order_closed(t, title, str(exc.fields.get("state", "closed")))
    if isinstance(exc, NotHeld | HoldNotYours):
        return texts_transfers.not_by_transfer(t, title)
    return texts.try_later(t)


async def on_let_go(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """'Let my part go' under the details: the hold ends at once (before the payer paid)."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not query.data:
        return
    t, d = tr(user), deps(context)
    reference = query.data.removeprefix(TRANSFER_LET_GO_PREFIX)
    if not in_own_private_chat(query.message, user):
        await query.answer(texts_transfers.cannot_let_go_alert(t), show_alert=True)
        return
    try:
        await d.engine.let_transfer_go(reference, payer_ref(user))
    except (AlreadyPaid, NotHeld, HoldNotYours, NotFound):
        await query.answer(texts_transfers.cannot_let_go_alert(t), show_alert=True)
        return
    await query.answer(texts_transfers.let_go_alert(t))
    await add_done_line(query.message, texts_transfers.let_go(t))


async def denied_letters(context: ContextTypes.DEFAULT_TYPE, event: TransferDenied) -> list[Letter]:
    """The payee says the payer's transfer has not arrived: tell the payer."""
    user_id = telegram_user_id(event.payer_ref)
    d = deps(context)
    view = await d.engine.order_view(event.order_id) if user_id is not None else None
    if user_id is None or view is None:
        return []
    posts = await d.engine.posts_of(event.order_id)
    group_lang = posts[0].lang if posts else None
    t = translator(language_of(context, user_id) or group_lang)
    amount = texts.show_money(event.amount_minor, view.order.currency.code)
    text = texts_transfers.denied_to_payer(
        t, amount, view.order.title, payee_name(posts), event.reference
    )
    chats = [p.chat_id for p in posts]
    name = f"#{user_id}"
    return [dm_letter(context, user_id, name, text, "transfer denied", chats, group_lang)]

"""The payee's side: /split and /collect in a group, the QR card, the progress message, buttons."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
    User,
)
from telegram.constants import ParseMode
from telegram.error import Forbidden, TelegramError
from telegram.ext import ContextTypes

from bot.chat.context import BotDeps, assignee_label, deps, display_name, lang_of, payer_ref, tr
from bot.chat.letters import letter
from bot.views.callbacks import CANCEL_PREFIX
from bot.views.i18n import Translator, translator
from bot.views.progress import shown_progress
from bot.views.qr import qr_card
from bot.views.texts import common as texts
from bot.views.texts import payee as texts_payee
from core.domain.commands import SplitCommand, parse_command
from core.domain.errors import DomainError, InvalidInput, OrderClosed, RefundNotConfirmed
from core.domain.events import ReminderDue
from core.domain.model import OrderState
from core.domain.outbox import Letter
from core.domain.params import check_password
from core.usecases.deps import OrderView

log = logging.getLogger(__name__)

REMINDER_BEFORE = timedelta(hours=2)
ANONYMOUS_ADMIN_ID = 1087968824  # Telegram's stand-in user for anonymous group admins
MANUAL_REMINDER_GAP = timedelta(hours=1)
STATUS_BUDGET = 3800


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class PendingSplit:
    """A /split … password waiting for the payee to send the password in private."""

    command: SplitCommand
    chat_id: int
    lang: str
    payee_name: str


async def split(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _command(update, context, "split")


async def collect(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _command(update, context, "collect")


async def _command(update: Update, context: ContextTypes.DEFAULT_TYPE, kind: str) -> None:
    user, msg, chat = update.effective_user, update.effective_message, update.effective_chat
    if user is None or msg is None or chat is None:
        return
    t, d = tr(user), deps(context)
    if user.id == ANONYMOUS_ADMIN_ID or msg.sender_chat is not None:
        await msg.reply_text(texts_payee.anonymous_admin(t), parse_mode=ParseMode.HTML)
        return
    try:
        cmd = parse_command(
            kind, list(context.args or []), d.currency, d.settings.max_amount_minor()
        )
    except InvalidInput as exc:
        await msg.reply_text(texts.bad_input(t, exc), parse_mode=ParseMode.HTML)
        return
    pending = PendingSplit(cmd, chat.id, lang_of(user), display_name(user))
    if cmd.wants_password:
        await _ask_password(context, user, pending, msg.chat_id)
        return
    try:
        await post_order(context, user, pending)
    except InvalidInput as exc:  # what only the engine can check (a card hold's life)
        await msg.reply_text(texts.bad_input(t, exc), parse_mode=ParseMode.HTML)


async def _ask_password(
    context: ContextTypes.DEFAULT_TYPE, user: User, pending: PendingSplit, chat_id: int
) -> None:
    """The order password is never typed in the group: ask for it in private."""
    t, d = tr(user), deps(context)
    d.pending_splits[user.id] = pending
    title = pending.command.request.title
    try:
        await context.bot.send_message(
            user.id, texts_payee.password_request(t, title), parse_mode=ParseMode.HTML
        )
    except Forbidden:
        await _open_bot_hint(context, chat_id, user)


async def ask_pending_password(context: ContextTypes.DEFAULT_TYPE, user_id: int) -> None:
    """A `/split … password` is waiting for this payee: ask for the password (again)."""
    pending = deps(context).pending_splits.get(user_id)
    if isinstance(pending, PendingSplit):
        t = translator(pending.lang)
        text = texts_payee.password_request(t, pending.command.request.title)
        await context.bot.send_message(user_id, text, parse_mode=ParseMode.HTML)


async def _open_bot_hint(context: ContextTypes.DEFAULT_TYPE, chat_id: int, user: User) -> None:
    t, d = tr(user), deps(context)
    button = InlineKeyboardButton(texts.open_bot_label(t), url=d.deep_link("hello"))
    await context.bot.send_message(
        chat_id,
        texts.cannot_dm(t, display_name(user)),
        parse_mode=ParseMode.HTML,
        reply_markup=InlineKeyboardMarkup([[button]]),
    )


async def on_private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """A payee's order password, sent in private after `/split … password`. True if used."""
    user, msg = update.effective_user, update.effective_message
    if user is None or msg is None:
        return False
    pending = deps(context).pending_splits.pop(user.id, None)
    if not isinstance(pending, PendingSplit):
        return False
    password = msg.text or ""
    try:
        await msg.delete()
    except TelegramError:
        log.debug("could not delete the order password message")
    try:
        req = replace(pending.command.request, password=check_password(password))
    except InvalidInput as exc:
        deps(context).pending_splits[user.id] = pending
        await msg.reply_text(texts.reason(tr(user), exc), parse_mode=ParseMode.HTML)
        return True
    try:
        await post_order(
            context, user, replace(pending, command=replace(pending.command, request=req))
        )
    except InvalidInput as exc:  # what only the engine can check (a card hold's life)
        text = texts.bad_input(tr(user), exc)
        await context.bot.send_message(user.id, text, parse_mode=ParseMode.HTML)
        return True
    await context.bot.send_message(
        user.id, texts_payee.password_saved(tr(user), req.title), parse_mode=ParseMode.HTML
    )
    return True


async def post_order(context: ContextTypes.DEFAULT_TYPE, user: User, pending: PendingSplit) -> None:
    """Create the order and post its QR card and progress message in the chat; InvalidInput
    when the engine refuses the order (nothing is posted)."""
    d = deps(context)
    t = translator(pending.lang)
    payee_id = await d.engine.payee_named(payer_ref(user))
    names = pending.command.names
    assignees = [payer_ref(user) if n == "me" else n for n in names] or None
    view = await d.engine.create_order(payee_id, pending.command.request, assignees=assignees)
    try:
        photo, progress, key = await _post_messages(context, view, pending, t)
    except TelegramError:
        # Half a post is worse than none: a QR card nothing tracks. Nobody can have paid
        # yet, so the order is cancelled and the payee is told to try again.
        await d.engine.cancel_order(view.order.id, payee_id)
        raise
    if d.board is not None:
        d.board.posted(pending.chat_id)
    await d.engine.attach_post(
        view.order.id,
        pending.chat_id,
        photo.message_id,
        progress.message_id,
        lang=pending.lang,
        payee_name=pending.payee_name,
        shown_key=key,
    )
    schedule_reminder(context, view)


async def _post_messages(
    context: ContextTypes.DEFAULT_TYPE, view: OrderView, pending: PendingSplit, t: Translator
) -> tuple[Message, Message, str]:
    """The QR card, then the progress message, and the key of what it shows; if the second
    fails, the first is removed."""
    link = deps(context).deep_link(view.order.token)
    words = texts_payee.card_texts(t, view, _now())
    png = await qr_card(link, *words)
    photo = await context.bot.send_photo(pending.chat_id, photo=png, caption=words.title[:1000])
    label = assignee_label(pending.payee_name)
    text, markup, key = shown_progress(view, _now(), t, link, assignee=label)
    try:
        progress = await context.bot.send_message(
            pending.chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup
        )
    except TelegramError:
        with contextlib.suppress(TelegramError):
            await photo.delete()
        raise
    return photo, progress, key


def reminder_time(view: OrderView) -> datetime | None:
    """When the automatic reminder is due: 2 h before the deadline; none for short orders."""
    if view.order.expires_at - view.order.created_at <= REMINDER_BEFORE:
        return None
    return view.order.expires_at - REMINDER_BEFORE


def schedule_reminder(context: ContextTypes.DEFAULT_TYPE, view: OrderView) -> None:
    """Put the automatic reminder on the JobQueue; one already due (while the bot was down)
    is sent in a few seconds if the order is still open."""
    jq, when = context.job_queue, reminder_time(view)
    if jq is None or when is None or view.order.expires_at <= _now():
        return
    jq.run_once(
        auto_remind,
        when=max(when, _now() + timedelta(seconds=5)),
        data=view.order.id,
        name=f"remind:{view.order.id}",
    )


async def auto_remind(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The automatic reminder, in every chat the order is posted in (wherever it moved)."""
    job = context.job
    if job is None or not isinstance(job.data, str):
        return
    d = deps(context)
    view = await d.engine.order_view(job.data)
    if view is None or view.order.state != OrderState.OPEN:
        return
    for post in await d.engine.posts_of(job.data):
        await d.engine.remind(post.order_id, post.chat_id)


async def reminder_letters(context: ContextTypes.DEFAULT_TYPE, event: ReminderDue) -> list[Letter]:
    """The reminder in the chat it is due in, if the order is still open there."""
    d = deps(context)
    view = await d.engine.order_view(event.order_id)
    posts = await d.engine.posts_of(event.order_id)
    post = next((p for p in posts if p.chat_id == event.chat_id), None)
    if view is None or post is None or view.order.state != OrderState.OPEN:
        return []
    t = translator(post.lang)
    label = assignee_label(post.payee_name)
    unpaid = [label(s) or "" for s in view.subs if s.assignee and s.state != "paid"]
    open_slots = view.order.n - view.order.paid_count
    text = texts_payee.reminder(
        t,
        title=view.order.title,
        unpaid=[u for u in unpaid if u],
        open_slots=open_slots,
        deadline=view.order.expires_at,
        now=_now(),
    )
    button = InlineKeyboardButton(texts.pay_label(t), url=d.deep_link(view.order.token))
    markup = InlineKeyboardMarkup([[button]])
    return [letter(post.chat_id, text, "reminder", markup, reply_to=post.progress_message_id)]


async def on_payee_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Remind or Cancel under a progress message: only the payee may press them."""
    query, user, chat = update.callback_query, update.effective_user, update.effective_chat
    if query is None or user is None or chat is None or not query.data:
        return
    t, d = tr(user), deps(context)
    order_id = query.data.split(":", 1)[1]
    view = await d.engine.order_view(order_id)
    payee_id = await d.engine.payee_named(payer_ref(user))
    if view is None or view.order.payee_id != payee_id:
        await query.answer(texts.payee_only_alert(t), show_alert=True)
        return
    if query.data.startswith(CANCEL_PREFIX):
        await _cancel(query, d, view, t)
        return
    post = next((p for p in await d.engine.posts_of(order_id) if p.chat_id == chat.id), None)
    if post is None:
        await query.answer()
        return
    if post.reminded_at is not None and _now() - post.reminded_at < MANUAL_REMINDER_GAP:
        await query.answer(texts_payee.reminder_used_alert(t), show_alert=True)
        return
    if view.order.state != OrderState.OPEN:
        await query.answer(texts_payee.order_state_label(t, view.order.state), show_alert=True)
        return
    await d.engine.remind(post.order_id, post.chat_id)
    await query.answer(texts_payee.reminder_sent_alert(t))


async def _cancel(query: CallbackQuery, d: BotDeps, view: OrderView, t: Translator) -> None:
    """Cancel needs a second press within 30 s, and only an open order can be cancelled here:
    a completed one (whose buttons had not gone yet) is left alone."""
    if view.order.state != OrderState.OPEN:
        await query.answer(texts_payee.order_state_label(t, view.order.state), show_alert=True)
        return
    if not await d.pressed_again(query.from_user.id, view.order.id):
        await query.answer(texts_payee.cancel_confirm_alert(t), show_alert=True)
        return
    try:
        # refund_paid False: an order that completes between the two presses is left alone
        await d.engine.cancel_order(view.order.id, view.order.payee_id, refund_paid=False)
    except OrderClosed:
        await query.answer(texts_payee.order_state_label(t, view.order.state), show_alert=True)
        return
    except RefundNotConfirmed:
        await query.answer(texts_payee.order_state_label(t, OrderState.COMPLETED), show_alert=True)
        return
    except DomainError as exc:
        await query.answer(exc.message[:190], show_alert=True)
        return
    await query.answer(texts_payee.cancelled_alert(t))


async def status(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/status: the open orders of this chat."""
    user, msg, chat = update.effective_user, update.effective_message, update.effective_chat
    if user is None or msg is None or chat is None:
        return
    t = tr(user)
    found = await deps(context).engine.open_orders_in_chat(chat.id)
    if not found:
        await msg.reply_text(texts_payee.status_empty(t), parse_mode=ParseMode.HTML)
        return
    lines = [texts_payee.status_header(t, len(found))]
    size = len(lines[0])
    for shown, (_, view) in enumerate(found):
        line = texts_payee.status_line(t, view.order, _now())
        if size + len(line) > STATUS_BUDGET:  # one Telegram message holds 4096 characters
            lines.append(t.gettext("and {n} more").format(n=len(found) - shown))
            break
        lines.append(line)
        size += len(line) + 1
    await msg.reply_text("\n".join(lines), parse_mode=ParseMode.HTML)

"""Commands for everyone: /start, /help, /pin, /history, and a group that became a supergroup."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot import texts, texts_payee, texts_payer, tg_payee, tg_payer
from bot.i18n import Translator
from bot.tg_deps import deps, payer_ref, tr
from bot.tg_payee import is_private
from bot.tg_payer import show_order, start_keypad
from core.engine import Engine
from core.money import Money
from core.posting import Record

HISTORY_PREFIX = "h:"
PAGE = 8


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start with an order token (a deep link) shows the order; without one, a welcome."""
    user, msg = update.effective_user, update.effective_message
    if user is None or msg is None:
        return
    args = context.args or []
    if args and is_private(update) and args[0] not in ("hello", "pw"):
        await show_order(update, context, args[0])
        return
    await msg.reply_text(texts.welcome(tr(user), user.first_name), parse_mode=ParseMode.HTML)
    if is_private(update):
        await _catch_up(context, user.id)


async def _catch_up(context: ContextTypes.DEFAULT_TYPE, user_id: int) -> None:
    """What the bot could not tell this user before they started it: sent now, as promised."""
    d = deps(context)
    for text in d.undelivered.pop(user_id, []):
        await context.bot.send_message(user_id, text, parse_mode=ParseMode.HTML)
    await tg_payee.ask_pending_password(context, user_id)


async def help_(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user, msg = update.effective_user, update.effective_message
    if msg is not None:
        await msg.reply_text(texts.help_text(tr(user)), parse_mode=ParseMode.HTML)


async def pin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/pin: set or change the payment password, in the private chat only."""
    user, msg = update.effective_user, update.effective_message
    if user is None or msg is None:
        return
    if not is_private(update):
        await msg.reply_text(texts.private_only(tr(user)), parse_mode=ParseMode.HTML)
        return
    await start_keypad(context, user, msg, change=True)


async def history(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/history: the user's own records as payer and payee, newest first, in pages."""
    user, msg = update.effective_user, update.effective_message
    if user is None or msg is None:
        return
    if not is_private(update):
        await msg.reply_text(texts.private_only(tr(user)), parse_mode=ParseMode.HTML)
        return
    text, markup = await _history_page(deps(context).engine, tr(user), payer_ref(user), 0)
    await msg.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def on_history_page(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not query.data or query.message is None:
        return
    await query.answer()
    if query.message.chat.id != user.id:  # history pages live in the private chat only
        return
    raw = query.data.removeprefix(HISTORY_PREFIX)
    page = int(raw) if raw.isascii() and raw.isdigit() else 0  # the data may be forged
    text, markup = await _history_page(deps(context).engine, tr(user), payer_ref(user), page)
    try:
        await context.bot.edit_message_text(
            text,
            chat_id=query.message.chat.id,
            message_id=query.message.message_id,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
        )
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():  # the same page pressed twice: done
            raise


async def _history_page(
    engine: Engine, t: Translator, ref: str, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    page = max(0, min(page, 1000))
    payee_id = await engine.payee_named(ref)
    records = await engine.history(ref, payee_id, PAGE + 1, page * PAGE)
    more, records = len(records) > PAGE, records[:PAGE]
    if not records and page == 0:
        return texts_payer.history_empty(t), None
    lines = [texts_payer.history_header(t, page + 1, page + 1 + int(more))]
    lines += [_line(t, r) for r in records]
    buttons = []
    if page > 0:
        buttons.append(
            InlineKeyboardButton(texts.newer_label(t), callback_data=f"{HISTORY_PREFIX}{page - 1}")
        )
    if more:
        buttons.append(
            InlineKeyboardButton(texts.older_label(t), callback_data=f"{HISTORY_PREFIX}{page + 1}")
        )
    return "\n".join(lines), InlineKeyboardMarkup([buttons]) if buttons else None


def _line(t: Translator, r: Record) -> str:
    if r.role == "payee" or r.sub is None:
        return texts_payee.history_collected_line(t, r.order)
    return texts_payer.history_paid_line(
        t,
        when=r.at,
        title=r.order.title,
        amount=Money(r.sub.amount_minor, r.order.currency),
        state=r.sub.state,
    )


async def on_migrate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group became a supergroup: its orders follow it to the new chat id."""
    msg = update.effective_message
    if msg is None or not msg.migrate_to_chat_id:
        return
    d = deps(context)
    await d.engine.migrate_chat(msg.chat_id, msg.migrate_to_chat_id)
    if d.board is not None:  # the progress messages are posted again in the supergroup
        for _, view in await d.engine.open_orders_in_chat(msg.migrate_to_chat_id):
            await d.board.touch(view.order.id)


async def on_private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Plain text in the private chat: an order password the bot asked for, else the help."""
    if await tg_payee.on_private_text(update, context):
        return
    if await tg_payer.on_private_text(update, context):
        return
    await help_(update, context)

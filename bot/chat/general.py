"""Commands for everyone: /start, /help, /pin, and a group that became a supergroup.

/history, /stats and /export are in bot.chat.records.
"""

from __future__ import annotations

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.chat.codes import manage as tg_codes
from bot.chat.codes import pay as tg_code_pay
from bot.chat.collect import methods as tg_methods
from bot.chat.collect import payee as tg_payee
from bot.chat.context import deps, tr
from bot.chat.messaging import is_private, private_sender
from bot.chat.pay import checkout as tg_checkout
from bot.chat.pay import transfer as tg_transfer
from bot.chat.pay.payer import show_order, start_keypad
from bot.views.texts import common as texts


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start with an order token (a deep link) shows the order; without one, a welcome."""
    user, msg = update.effective_user, update.effective_message
    if user is None or msg is None:
        return
    args = context.args or []
    if is_private(update):
        await _release_held(context, user.id)
    if args and is_private(update) and args[0].startswith(tg_code_pay.CODE_PAYLOAD):
        # a binding or move left half done takes no amount
        await tg_codes.drop_drafts(context, user)
        await tg_code_pay.show_code(update, context, args[0].removeprefix(tg_code_pay.CODE_PAYLOAD))
        return
    if args and is_private(update) and args[0] not in ("hello", "pw"):
        await show_order(update, context, args[0])
        return
    await msg.reply_text(texts.welcome(tr(user), user.first_name), parse_mode=ParseMode.HTML)
    if is_private(update):
        await _catch_up(context, user.id)


async def _catch_up(context: ContextTypes.DEFAULT_TYPE, user_id: int) -> None:
    """What the bot promised this user before they started it: the order password it asks."""
    await tg_payee.ask_pending_password(context, user_id)


async def _release_held(context: ContextTypes.DEFAULT_TYPE, user_id: int) -> None:
    """The messages held because the user had not started the bot (or had blocked it) are
    sent now, whichever link brought them (core.domain.outbox)."""
    d = deps(context)
    if await d.engine.release_held(user_id) and d.postman is not None:
        d.postman.wake()


async def help_(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user, msg = update.effective_user, update.effective_message
    if msg is not None:
        await msg.reply_text(texts.help_text(tr(user)), parse_mode=ParseMode.HTML)


async def pin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/pin: set or change the payment password, in the private chat only."""
    sender = await private_sender(update)
    if sender is None:
        return
    user, msg = sender
    await start_keypad(context, user, msg, change=True)


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
    if await tg_checkout.on_private_text(update, context):
        return
    if await tg_codes.on_private_text(update, context) or await tg_code_pay.on_private_text(
        update, context
    ):
        return
    if await tg_methods.on_private_text(update, context):
        return
    if await tg_transfer.on_private_text(update, context):
        return
    await help_(update, context)

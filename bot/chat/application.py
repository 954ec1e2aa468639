"""Builds the python-telegram-bot Application: the Bot API client, the handlers, the board."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from telegram import Bot, BotCommand, CallbackQuery, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ExtBot,
    MessageHandler,
    PreCheckoutQueryHandler,
    TypeHandler,
    filters,
)
from telegram.helpers import create_deep_linked_url
from telegram.request import BaseRequest, HTTPXRequest

from bot.chat import general as tg_misc
from bot.chat import records as tg_records
from bot.chat import unreadable as tg_unreadable
from bot.chat.board import MIN_INTERVAL_S, ProgressBoard, Render
from bot.chat.codes import manage as tg_codes
from bot.chat.codes import pay as tg_code_pay
from bot.chat.collect import holds as tg_holds
from bot.chat.collect import methods as tg_methods
from bot.chat.collect import password_locks as tg_password_locks
from bot.chat.collect import payee as tg_payee
from bot.chat.collect import payouts as tg_payouts
from bot.chat.collect import statements as tg_statements
from bot.chat.collect import transfers as tg_transfers
from bot.chat.context import BotDeps, ChatSettings, ReceiptDocuments, assignee_label
from bot.chat.events import on_events
from bot.chat.notify import EngineEvents
from bot.chat.pay import checkout as tg_checkout
from bot.chat.pay import passkey as tg_passkey
from bot.chat.pay import payer as tg_payer
from bot.chat.pay import payments as tg_payments
from bot.chat.pay import transfer as tg_transfer
from bot.chat.postman import Postman
from bot.chat.relay import Relay
from bot.views import callbacks as cb
from bot.views.i18n import CHINESE, ENGLISH, load_catalog, translator
from bot.views.progress import shown_progress
from bot.views.texts import common as texts
from core.domain.model import DIRECT_KINDS, OrderState, SubOrderState
from core.ports.dialogs import DialogStore
from core.ports.invoices import Invoices
from core.usecases.deps import OrderView
from core.usecases.engine import Engine

log = logging.getLogger(__name__)

BOT_API = "https://api.telegram.org/bot"  # PTB's default; TELEGRAM_BASE_URL replaces it
TgBot = ExtBot[int]  # with AIORateLimiter, whose per-call argument is max_retries

# The command menu in each catalog: None is Telegram's default (every language not listed).
MENU_LANGUAGES = ((None, ENGLISH), ("zh", CHINESE))


def build_bot(settings: ChatSettings, *, request: BaseRequest | None = None) -> TgBot:
    """The Bot API client, built before the engine: Telegram Payments refund Stars through it.

    `request` replaces the HTTP client (tests pass an offline Bot API). The requests are
    what ApplicationBuilder would make: a pool of 256 connections, one for getUpdates.
    """
    token = settings.telegram_bot_token
    if token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    base = (settings.telegram_base_url or BOT_API).rstrip("/")
    return ExtBot(
        token.get_secret_value(),
        base_url=base,
        base_file_url=_file_url(base),
        request=request or HTTPXRequest(connection_pool_size=256),
        get_updates_request=request or HTTPXRequest(connection_pool_size=1),
        rate_limiter=AIORateLimiter(max_retries=3),
    )


def build_application(
    bot: TgBot,
    settings: ChatSettings,
    engine: Engine,
    *,
    dialogs: DialogStore,
    updates: asyncio.Queue[object] | None = None,
    invoices: Invoices | None = None,
    receipts: ReceiptDocuments | None = None,
    edit_interval_s: float = MIN_INTERVAL_S,
) -> Application:  # type: ignore[type-arg]
    """The bot, ready for `async with app:`; polling or webhook is the runner's choice.

    `dialogs` keeps every private-chat dialog; `updates` is the update queue the engine's
    notifier already puts domain events on;
    `invoices` is Telegram Payments (None when the telegram gateway is off); `receipts`
    writes receipts' proof files (None while the ledger has no authority); `edit_interval_s`
    spaces progress edits per chat (Telegram's limit; tests shorten it).
    """
    builder = ApplicationBuilder().bot(bot)
    if updates is not None:
        builder = builder.update_queue(updates)
    app = builder.build()
    board = ProgressBoard(bot, engine, _renderer(engine, bot), min_interval_s=edit_interval_s)
    postman = Postman(bot, engine)
    app.bot_data[cb.DEPS_KEY] = BotDeps(
        engine=engine,
        settings=settings,
        bot=bot,
        board=board,
        dialogs=dialogs,
        invoices=invoices,
        receipts=receipts,
        relay=Relay(app, engine, board, postman.wake),
        postman=postman,
    )
    _add_handlers(app)
    return app


def _file_url(base: str) -> str:
    """'http://host/bot' -> 'http://host/file/bot' (the Bot API's file endpoint)."""
    head, _, tail = base.rpartition("/")
    return f"{head}/file/{tail}"


def _add_handlers(app: Application) -> None:  # type: ignore[type-arg]
    private = filters.ChatType.PRIVATE
    app.add_handler(TypeHandler(Update, tg_unreadable.refuse_unreadable), tg_unreadable.GROUP)
    app.add_handler(TypeHandler(EngineEvents, on_events))
    app.add_handler(CommandHandler("start", tg_misc.start))
    app.add_handler(CommandHandler("help", tg_misc.help_))
    app.add_handler(CommandHandler("split", tg_payee.split))
    app.add_handler(CommandHandler("collect", tg_payee.collect))
    app.add_handler(CommandHandler("status", tg_payee.status))
    app.add_handler(CommandHandler("history", tg_records.history))
    app.add_handler(CommandHandler("stats", tg_records.stats))
    app.add_handler(CommandHandler("export", tg_records.export))
    app.add_handler(CommandHandler("holds", tg_holds.holds))
    app.add_handler(CallbackQueryHandler(tg_holds.on_release, pattern=f"^{cb.RELEASE_PREFIX}"))
    app.add_handler(CommandHandler("pin", tg_misc.pin))
    app.add_handler(CommandHandler("passkey", tg_passkey.passkey))
    app.add_handler(CallbackQueryHandler(tg_passkey.on_add, pattern=f"^{cb.PASSKEY_ADD_DATA}$"))
    app.add_handler(
        CallbackQueryHandler(tg_passkey.on_remove, pattern=f"^{cb.PASSKEY_REMOVE_PREFIX}")
    )
    app.add_handler(
        CallbackQueryHandler(tg_passkey.on_check, pattern=f"^{cb.PASSKEY_CHECK_PREFIX}")
    )
    # a page's passkey check goes on in the chat; a group of its own, beside on_events
    app.add_handler(TypeHandler(EngineEvents, tg_passkey.on_verified), group=1)
    app.add_handler(
        CallbackQueryHandler(tg_password_locks.on_clear, pattern=f"^{cb.CLEAR_LOCKS_PREFIX}")
    )
    _add_code_handlers(app)
    _add_transfer_handlers(app)
    app.add_handler(CallbackQueryHandler(tg_payer.on_pay, pattern=f"^{cb.PAY_PREFIX}"))
    app.add_handler(CallbackQueryHandler(tg_payer.on_key, pattern=f"^{cb.PIN_DIGIT_PREFIX}"))
    app.add_handler(
        CallbackQueryHandler(tg_checkout.on_choice, pattern=f"^{cb.GATEWAY_CHOICE_PREFIX}")
    )
    app.add_handler(CallbackQueryHandler(tg_payments.on_refunded, pattern=f"^{cb.REFUNDED_PREFIX}"))
    app.add_handler(PreCheckoutQueryHandler(tg_payments.on_pre_checkout))
    app.add_handler(MessageHandler(filters.SUCCESSFUL_PAYMENT, tg_payments.on_successful_payment))
    app.add_handler(
        CallbackQueryHandler(
            tg_payee.on_payee_button, pattern=f"^({cb.REMIND_PREFIX}|{cb.CANCEL_PREFIX})"
        )
    )
    app.add_handler(
        CallbackQueryHandler(tg_records.on_history_page, pattern=f"^{cb.HISTORY_PREFIX}")
    )
    app.add_handler(CallbackQueryHandler(tg_records.on_proof, pattern=f"^{cb.PROOF_PREFIX}"))
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, tg_misc.on_migrate))
    app.add_handler(
        MessageHandler(private & filters.TEXT & ~filters.COMMAND, tg_misc.on_private_text)
    )
    app.add_error_handler(_on_error)


def _add_code_handlers(app: Application) -> None:  # type: ignore[type-arg]
    """Static codes: /bind, /codes, /fund, and their buttons."""
    app.add_handler(CommandHandler("bind", tg_codes.bind_command))
    app.add_handler(CommandHandler("codes", tg_codes.codes_command))
    app.add_handler(CommandHandler("fund", tg_codes.fund_command))
    app.add_handler(
        CallbackQueryHandler(tg_code_pay.on_amount_key, pattern=f"^{cb.CODE_AMOUNT_PREFIX}")
    )
    app.add_handler(
        CallbackQueryHandler(tg_codes.on_bind_button, pattern=f"^{cb.CODE_BIND_PREFIX}")
    )
    app.add_handler(CallbackQueryHandler(tg_codes.on_kind, pattern=f"^{cb.CODE_KIND_PREFIX}"))
    app.add_handler(CallbackQueryHandler(tg_codes.on_name, pattern=f"^{cb.CODE_NAME_PREFIX}"))
    app.add_handler(CallbackQueryHandler(tg_codes.on_action, pattern=f"^{cb.CODE_ACTION_PREFIX}"))


def _add_transfer_handlers(app: Application) -> None:  # type: ignore[type-arg]
    """Money straight to the payee: their methods, transfers, claims, returns, statements,
    and their own Stripe account for card payments (/payouts)."""
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("methods", tg_methods.methods))
    app.add_handler(CommandHandler("claims", tg_transfers.claims))
    app.add_handler(CommandHandler("returns", tg_transfers.returns))
    app.add_handler(CommandHandler("payouts", tg_payouts.payouts))
    app.add_handler(CallbackQueryHandler(tg_payouts.on_button, pattern=f"^{cb.PAYOUT_PREFIX}"))
    app.add_handler(CallbackQueryHandler(tg_methods.on_add, pattern=f"^{cb.METHOD_ADD_PREFIX}"))
    app.add_handler(
        CallbackQueryHandler(tg_methods.on_remove, pattern=f"^{cb.METHOD_REMOVE_PREFIX}")
    )
    app.add_handler(CallbackQueryHandler(tg_methods.on_skip, pattern=f"^{cb.METHOD_SKIP_DATA}$"))
    app.add_handler(
        CallbackQueryHandler(tg_transfer.on_paid, pattern=f"^{cb.TRANSFER_PAID_PREFIX}")
    )
    app.add_handler(
        CallbackQueryHandler(tg_transfer.on_let_go, pattern=f"^{cb.TRANSFER_LET_GO_PREFIX}")
    )
    app.add_handler(
        CallbackQueryHandler(
            tg_transfers.on_decision,
            pattern=f"^({cb.CLAIM_RECEIVED_PREFIX}|{cb.CLAIM_MISSING_PREFIX})",
        )
    )
    app.add_handler(MessageHandler(private & filters.Document.ALL, tg_statements.on_document))


async def set_commands(app: Application) -> None:  # type: ignore[type-arg]
    """After `initialize`: the command menu in each catalog's language."""
    for language_code, lang in MENU_LANGUAGES:
        menu = texts.command_menu(load_catalog(lang))
        await app.bot.set_my_commands(
            [BotCommand(name, text) for name, text in menu], language_code=language_code
        )


def _renderer(engine: Engine, bot: Bot) -> Render:
    known: dict[str, str] = {}  # sub-order id -> how its part, paid to the payee, was settled

    async def render(view: OrderView) -> tuple[str, InlineKeyboardMarkup | None, str]:
        posts = await engine.posts_of(view.order.id)
        t = translator(posts[0].lang if posts else None)
        link = create_deep_linked_url(bot.username, view.order.token)
        payee = next((p.payee_name for p in posts if p.payee_name), None)
        settled = await _settled(engine, view, known)
        open_ = view.order.state == OrderState.OPEN
        paused = await engine.card_paused(view.order) if open_ else None
        now = datetime.now(UTC)
        label = assignee_label(payee)
        return shown_progress(view, now, t, link, assignee=label, settled=settled, paused=paused)

    return render


SETTLED_KEPT = 10_000  # parts paid straight to payees whose settling the renderer remembers


async def _settled(engine: Engine, view: OrderView, known: dict[str, str]) -> dict[str, str]:
    """How each part of the order paid straight to the payee came to count (a paid part's
    never changes, so each is asked once)."""
    found: dict[str, str] = {}
    for sub in view.subs:
        if sub.state != SubOrderState.PAID or sub.gateway not in DIRECT_KINDS:
            continue
        if sub.id not in known and sub.checkout_ref is not None:
            payment = await engine.payment_of(sub.gateway, sub.checkout_ref)
            if payment is not None:
                if len(known) >= SETTLED_KEPT:
                    known.clear()
                known[sub.id] = payment.settled_by.value
        if sub.id in known:
            found[sub.id] = known[sub.id]
    return found


def start_outbox(app: Application) -> list[asyncio.Task[None]]:  # type: ignore[type-arg]
    """The outbox's relay and postman, each in a task of its own (the caller cancels them on
    the way out); once the bot is initialised, since letters name it in their links. The
    postman first sends again the letters in flight at the last stop."""
    d: BotDeps = app.bot_data[cb.DEPS_KEY]
    if d.relay is None or d.postman is None:
        return []
    return [
        asyncio.create_task(d.relay.run(), name="outbox relay"),
        asyncio.create_task(d.postman.run(), name="outbox postman"),
    ]


REBUILT = "start-up rebuild done"  # in the log when rebuild_timers has finished


async def rebuild_timers(app: Application) -> None:  # type: ignore[type-arg]
    """After a restart: reminders still to come are scheduled again (one that fell due while
    the bot was down goes out now), and every progress message that may lag is brought up
    to date: open orders', and closed orders' whose final state was not shown yet.

    One read per order, so with many open orders it takes a while: `chipin run` runs it in
    the background once the bot and the listener are up (bot.app.runner).
    """
    d: BotDeps = app.bot_data[cb.DEPS_KEY]
    context = ContextTypes.DEFAULT_TYPE(app)
    seen: set[str] = set()
    for post in await d.engine.unfinished_posts():
        if post.order_id in seen:
            continue
        seen.add(post.order_id)
        view = await d.engine.order_view(post.order_id)
        if view is None:
            continue
        due = tg_payee.reminder_time(view) if view.order.state == OrderState.OPEN else None
        if due is not None and (post.reminded_at is None or post.reminded_at < due):
            tg_payee.schedule_reminder(context, view)
        if d.board is not None:
            await d.board.touch(post.order_id)
    log.info("%s: %d orders' reminders and progress brought up to date", REBUILT, len(seen))


async def _on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log it, and tell the user to try again: an alert on a button, else a reply.

    Handlers answer a button press first, and Telegram refuses a second answer: when the
    alert cannot be shown, the message goes to the chat the button is in.
    """
    log.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update):
        return
    t = translator(update.effective_user.language_code if update.effective_user else None)
    text = texts.try_later(t)
    try:
        query, chat = update.callback_query, update.effective_chat
        if query is not None:
            if not await _alert(query, text) and chat is not None:
                await context.bot.send_message(chat.id, text)
        elif update.effective_message is not None:
            await update.effective_message.reply_text(text)
    except Exception:
        log.debug("could not tell the user about the error")


async def _alert(query: CallbackQuery, text: str) -> bool:
    """Answer the press with an alert; False if Telegram refuses (it was answered already)."""
    try:
        await query.answer(text, show_alert=True)
    except TelegramError:
        return False
    return True

"""A Telegram Bot API emulator (Starlette) for end-to-end tests of bots built on PTB 22.

Point python-telegram-bot at it (PTB appends the token to both URLs)::

    emulator = Emulator()                      # one bot account: emulator.token
    async with serve(emulator) as served:      # uvicorn on 127.0.0.1, a free port
        app = (
            ApplicationBuilder()
            .token(emulator.token)
            .base_url(served.bot_base_url)            # http://127.0.0.1:{port}/bot
            .base_file_url(served.file_base_url)      # http://127.0.0.1:{port}/file/bot
            .build()
        )
        ann = await emulator.create_user("Ann", username="ann")
        await emulator.send_message(ann, text="/start order_42")
        reply = await emulator.wait_for_message(ann)

Chipin reads the same base URL from TELEGRAM_BASE_URL (`served.bot_base_url`). For a bot in
another process (`chipin run`), start the emulator with `serve_in_thread(...)` (sync tests) or
`serve(...)` (async tests) and drive it through `EmulatorClient(served.url)`, which mirrors the
control methods over HTTP (`POST /_emu/<op>` with the keyword arguments as a JSON object).

Faithful where PTB looks: Telegram's `{"ok": ..., "result" | "error_code", "description",
"parameters"}` envelope, dates in seconds, complete Message objects, per-chat message ids,
group/supergroup chat types, flood control with 429 + retry_after, migration to a supergroup,
privacy mode in groups, long polling with offset confirmation, webhooks with the secret header,
files (sendPhoto, sendDocument, getFile with its 20 MB limit, downloads under /file/bot<token>/,
and a user sending a document: `send_document`, in process), and Telegram Payments: sendInvoice,
a user paying an invoice (`pay_invoice`: the bot gets a
pre_checkout_query and only its ok=True brings the successful_payment message),
answerPreCheckoutQuery and refundStarPayment (`refunds` lists them).
"""

from tests.telegram_emulator.client import EmulatorClient
from tests.telegram_emulator.control import DEFAULT_TOKEN, Emulator
from tests.telegram_emulator.limits import FloodLimits
from tests.telegram_emulator.server import Served, serve, serve_in_thread
from tests.telegram_emulator.state import CallbackAnswer, ControlError, SentMessage

__all__ = [
    "DEFAULT_TOKEN",
    "CallbackAnswer",
    "ControlError",
    "Emulator",
    "EmulatorClient",
    "FloodLimits",
    "SentMessage",
    "Served",
    "serve",
    "serve_in_thread",
]

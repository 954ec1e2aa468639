"""Handler tests' harness: the real Application, an in-memory engine, the emulator in process.

`BotRig` builds the bot with `bot.chat.application.build_application` over an engine from
`build_rig()` and the `OfflineBotApi` (the Telegram emulator behind httpx's ASGI transport),
and feeds it updates the way Telegram would: commands with bot_command entities, callback
queries on the message they sit on, and the engine's domain events as the queue notifier
would hand them over. Each update is made known to the emulator first.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application, ContextTypes

from bot.app.settings import Settings
from bot.chat.application import (
    TgBot,
    build_application,
    build_bot,
    rebuild_timers,
    set_commands,
)
from bot.chat.board import ProgressBoard
from bot.chat.context import BotDeps, ReceiptDocuments
from bot.chat.notify import EngineEvents
from bot.chat.pay.payments import StarRefunder
from bot.views.callbacks import DEPS_KEY
from gateways.telegram import TelegramGateway
from storage.memory_dialogs import MemoryDialogStore
from tests.support.harness import Rig, build_rig
from tests.support.offline_api import (
    ANN,
    BOB,
    BOT_USERNAME,
    CID,
    DAN,
    GROUP,
    JSON,
    LINK_PREFIX,
    MEI,
    OTHER_PIN,
    PIN,
    TOKEN,
    Call,
    Fault,
    OfflineBotApi,
    Person,
)

__all__ = [
    "ANN",
    "BOB",
    "BOT_USERNAME",
    "CID",
    "DAN",
    "GROUP",
    "LINK_PREFIX",
    "MEI",
    "OTHER_PIN",
    "PIN",
    "BotRig",
    "Call",
    "Fault",
    "OfflineBotApi",
    "Person",
    "Posted",
    "assembled",
    "running_bot",
]

App = Application[Any, Any, Any, Any, Any, Any]


@dataclass(frozen=True)
class Posted:
    photo: Call
    progress: Call
    token: str
    order_id: str


@dataclass
class BotRig:
    """The bot as users meet it: real Application, in-memory engine, the emulator."""

    rig: Rig
    api: OfflineBotApi
    app: App
    errors: list[BaseException] = field(default_factory=list)
    _updates: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _events_seen: int = 0

    @property
    def deps(self) -> BotDeps:
        found = self.app.bot_data[DEPS_KEY]
        assert isinstance(found, BotDeps)
        return found

    @property
    def board(self) -> ProgressBoard:
        assert self.deps.board is not None
        return self.deps.board

    # ---- users act ----

    async def send(self, user: Person, text: str, chat_id: int | None = None) -> list[Call]:
        """`user` writes `text` in the chat (their private chat by default)."""
        chat = chat_id if chat_id is not None else user.id
        entities = None
        if text.startswith("/"):
            entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        msg = self.api.message_from(user, chat, text=text, entities=entities)
        return await self.update({"message": msg})

    async def service(self, user: Person, chat_id: int, **fields: Any) -> list[Call]:
        """A service message in the chat (e.g. migrate_to_chat_id)."""
        return await self.update({"message": self.api.message_from(user, chat_id, **fields)})

    async def press(self, user: Person, on: Call | JSON, data: str) -> Call:
        """`user` presses an inline button with `data` on a message; returns the bot's answer."""
        message = on.message if isinstance(on, Call) else on
        query_id = f"cq{next(self._updates)}"
        query = self.api.callback_query(user, message, data, query_id)
        await self.update({"callback_query": query})
        found = [c for c in self.api.answers() if c.params.get("callback_query_id") == query_id]
        assert found, f"the button {data!r} was not answered"
        return found[-1]

    async def update(self, data: JSON) -> list[Call]:
        """Process one Telegram update, then the engine's events and the board's edits."""
        mark = self.api.mark()
        data = {"update_id": next(self._updates), **data}
        await self.app.process_update(Update.de_json(data, self.app.bot))
        await self.flush()
        return self.api.since(mark)

    # ---- flows ----

    async def post(self, text: str, user: Person = ANN, chat_id: int = GROUP) -> Posted:
        """A payee posts an order in a chat; returns its QR card and progress message."""
        calls = [c for c in await self.send(user, text, chat_id) if c.chat_id == chat_id]
        assert [c.method for c in calls] == ["sendPhoto", "sendMessage"], calls
        photo, progress = calls
        link = next(b["url"] for b in progress.buttons if "url" in b)
        token = link.removeprefix(LINK_PREFIX)
        view = await self.rig.engine.public_order(token)
        return Posted(photo, progress, token, view.order.id)

    async def open_link(self, user: Person, token: str) -> Call:
        """`user` opens the deep link: /start <token> in the private chat."""
        calls = await self.send(user, f"/start {token}")
        return [c for c in calls if c.chat_id == user.id][-1]

    def keypad(self, user: Person) -> Call:
        """The newest keypad message in the user's private chat."""
        pads = [
            c
            for c in self.api.sent(user.id)
            if any(str(b.get("callback_data", "")).startswith("k:") for b in c.buttons)
        ]
        assert pads, f"no keypad was sent to {user.first_name}"
        return pads[-1]

    async def enter(self, user: Person, digits: str) -> list[Call]:
        """Press the digits on the newest keypad; returns what the bot did meanwhile."""
        pad = self.keypad(user)
        mark = self.api.mark()
        for digit in digits:
            await self.press(user, pad, f"k:{digit}")
        return self.api.since(mark)

    async def start_paying(self, user: Person, token: str) -> Call:
        """Open the link and press Pay; returns the card."""
        card = await self.open_link(user, token)
        pay = [b for b in card.buttons if str(b.get("callback_data", "")).startswith("pay:")]
        assert pay, card.text
        await self.press(user, card, pay[0]["callback_data"])
        return card

    async def reserve(self, user: Person, token: str, pin: str = PIN) -> Call:
        """Open the link, press Pay, set (first time) or enter the PIN: the checkout message."""
        await self.start_paying(user, token)
        first = await self.rig.engine.has_pin(f"tg:{user.id}")
        await self.enter(user, pin)
        if not first:
            await self.enter(user, pin)
        found = self.api.last(user.id)
        assert "held for you" in found.text or "为你保留" in found.text, found.text
        return found

    async def pay_checkout(self, held: Call) -> None:
        """Pay through the checkout URL button of a reservation message."""
        url = next(b["url"] for b in held.buttons if "url" in b)
        await self.pay(url.rsplit("/", 1)[-1])

    # ---- Telegram Payments ----

    async def precheck(self, user: Person, payload: str, amount_minor: int, currency: str) -> Call:
        """Telegram asks before charging `user`; returns the bot's answerPreCheckoutQuery."""
        query_id = f"pcq{next(self._updates)}"
        self.api.pre_checkout(user, query_id)
        query: JSON = {
            "id": query_id,
            "from": user.to_dict(),
            "currency": currency,
            "total_amount": amount_minor,
            "invoice_payload": payload,
        }
        await self.update({"pre_checkout_query": query})
        found = [
            c
            for c in self.api.of("answerPreCheckoutQuery")
            if c.params.get("pre_checkout_query_id") == query_id
        ]
        assert len(found) == 1, found
        return found[0]

    async def paid(
        self, user: Person, payload: str, amount_minor: int, currency: str, charge_id: str
    ) -> list[Call]:
        """Telegram charged `user`: the successful_payment message in their private chat."""
        self.api.charged(user, charge_id, currency, amount_minor, payload)
        payment: JSON = {
            "currency": currency,
            "total_amount": amount_minor,
            "invoice_payload": payload,
            "telegram_payment_charge_id": charge_id,
            "provider_payment_charge_id": "" if currency == "XTR" else f"prov_{charge_id}",
        }
        msg = self.api.message_from(user, user.id, successful_payment=payment)
        return await self.update({"message": msg})

    async def pay_invoice(self, user: Person, invoice: Call, charge_id: str) -> list[Call]:
        """Pay a sent invoice as Telegram does: the pre-checkout (which must say yes), then the
        payment; returns what the bot did after the payment."""
        params = invoice.params
        amount = sum(int(p["amount"]) for p in params["prices"])
        answer = await self.precheck(user, params["payload"], amount, params["currency"])
        assert answer.params["ok"] is True, answer.params
        return await self.paid(user, params["payload"], amount, params["currency"], charge_id)

    async def choose(self, user: Person, label: str) -> Call:
        """Press a payment method on the newest choice in the user's private chat."""
        choices = [
            c
            for c in self.api.sent(user.id)
            if any(str(b.get("callback_data", "")).startswith("gw:") for b in c.buttons)
        ]
        assert choices, f"no payment method choice was sent to {user.first_name}"
        return await self.press(user, choices[-1], choices[-1].button(label)["callback_data"])

    # ---- money moves ----

    async def pay(self, checkout_ref: str) -> None:
        """The payer pays at the gateway; the event reaches the engine, then the bot."""
        await self.rig.engine.apply_event(self.rig.gateway.pay(checkout_ref))
        await self.flush()

    async def flush(self, *, drain: bool = True) -> None:
        """Hand the engine's new domain events to the bot, as the queue notifier would, then
        let the outbox's relay and postman do what is due now (as their tasks would)."""
        events = self.rig.notifier.events[self._events_seen :]
        self._events_seen += len(events)
        if events:
            await self.app.process_update(EngineEvents(tuple(events)))
        await self.deliver()
        if drain:
            await self.board.drain()

    async def deliver(self) -> None:
        """The outbox's events become letters and every letter due now is sent; a pass that
        fails (the database is down) is kept in `errors`, as the workers' loops log it."""
        assert self.deps.relay is not None
        assert self.deps.postman is not None
        try:
            await self.deps.relay.pass_once()
            await self.deps.postman.drain()
        except Exception as exc:
            self.errors.append(exc)


def make_settings(data_dir: Path) -> Settings:
    """Settings from these values only (the environment and `.env` are not read)."""
    return Settings.model_validate({"TELEGRAM_BOT_TOKEN": TOKEN, "CHIPIN_DATA_DIR": data_dir})


@dataclass(frozen=True)
class OfflineBot:
    """The bot's Bot API client over the emulator in process, built before the engine (as
    bot.app.runner does) so that a telegram gateway can refund Stars through it."""

    api: OfflineBotApi
    client: TgBot

    @classmethod
    def over(cls, data_dir: Path, api: OfflineBotApi | None = None) -> OfflineBot:
        api = api or OfflineBotApi()
        return cls(api, build_bot(make_settings(data_dir), request=api))

    def star_refunds(self) -> StarRefunder:
        return StarRefunder(self.client)


def assembled(
    data_dir: Path,
    rig: Rig,
    offline: OfflineBot,
    edit_interval_s: float,
    receipts: ReceiptDocuments | None = None,
) -> App:
    """The Application over the rig's engine, as bootstrap assembles it (the engine's jobs
    run beside it, not on its JobQueue: the tests call them when they need them)."""
    settings = make_settings(data_dir)
    telegram = rig.engine.deps.gateways.get("telegram")  # as bootstrap passes it
    app: App = build_application(
        offline.client,
        settings,
        rig.engine,
        dialogs=MemoryDialogStore(),
        invoices=telegram if isinstance(telegram, TelegramGateway) else None,
        receipts=receipts,
        edit_interval_s=edit_interval_s,
    )
    return app


@asynccontextmanager
async def running_bot(
    data_dir: Path,
    rig: Rig | None = None,
    *,
    edit_interval_s: float = 0.0,
    offline: OfflineBot | None = None,
    receipts: ReceiptDocuments | None = None,
) -> AsyncIterator[BotRig]:
    """A started bot over `rig` (a fresh one by default); handler errors fail the test.

    `offline` is the bot's client, when the rig's telegram gateway refunds through it;
    `receipts` writes receipts' proof files (None: the ledger is not signing yet)."""
    rig = rig or build_rig()
    rig.clock.at = datetime.now(UTC)  # the bot renders with the wall clock
    offline = offline or OfflineBot.over(data_dir)
    api = offline.api
    app = assembled(data_dir, rig, offline, edit_interval_s, receipts)
    bot = BotRig(rig, api, app, _events_seen=len(rig.notifier.events))

    async def record(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if context.error is not None:
            bot.errors.append(context.error)

    app.add_error_handler(record)
    async with app:
        await set_commands(app)
        await rebuild_timers(app)
        yield bot
        await bot.board.drain()
    assert bot.errors == [], bot.errors

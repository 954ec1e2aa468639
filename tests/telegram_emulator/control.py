"""`Emulator`: the in-process control side (users, chats, presses, what the bot sent)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import TypeVar

from tests.telegram_emulator import api_messages, api_payments, incoming
from tests.telegram_emulator.api_bot import commands_key
from tests.telegram_emulator.limits import FloodLimits
from tests.telegram_emulator.state import (
    JSON,
    CallbackAnswer,
    Chat,
    ControlError,
    Query,
    SentMessage,
    User,
)
from tests.telegram_emulator.world import Fault, World

T = TypeVar("T")
DEFAULT_TOKEN = "7000000001:AAEmulatorTestTokenForChipin_0123456789"


class Emulator:
    """One emulated bot account. Control methods are async and must run on the serving loop."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "ChipinTestBot",
        bot_name: str = "Chipin",
        *,
        limits: FloodLimits | None = None,
        privacy_mode: bool = True,
        webhook_retries: int = 3,
        webhook_retry_delay_s: float = 0.2,
    ) -> None:
        bot_id = int(token.split(":", 1)[0])
        bot = User(id=bot_id, first_name=bot_name, username=bot_username, is_bot=True)
        self.world = World(
            bot,
            token,
            limits or FloodLimits(),
            privacy_mode,
            webhook_retries,
            webhook_retry_delay_s,
        )
        self._user_ids = itertools.count(100_000_001)

    @property
    def token(self) -> str:
        return self.world.token

    @property
    def bot_id(self) -> int:
        return self.world.bot.id

    @property
    def bot_username(self) -> str:
        return self.world.bot.username or ""

    async def bot_info(self) -> JSON:
        """The bot's token, id and username (for out-of-process tests)."""
        return {"token": self.token, "id": self.bot_id, "username": self.bot_username}

    # ---- setting the scene ----

    async def create_user(
        self,
        first_name: str,
        *,
        user_id: int | None = None,
        username: str | None = None,
        last_name: str | None = None,
        language_code: str | None = "en",
    ) -> int:
        uid = user_id if user_id is not None else next(self._user_ids)
        if uid <= 0 or uid in self.world.users or uid == self.bot_id:
            raise ControlError(f"user id {uid} is taken or invalid")
        self.world.users[uid] = User(uid, first_name, username, last_name, language_code)
        return uid

    async def create_group(
        self,
        title: str,
        members: Iterable[int] = (),
        *,
        supergroup: bool = False,
        creator: int | None = None,
        admins: Iterable[int] = (),
        bot_admin: bool = False,
        username: str | None = None,
    ) -> int:
        """A group (or supergroup) the bot is in; the creator defaults to the first member."""
        member_ids = list(members)
        statuses = {self.world.user(uid).id: "member" for uid in member_ids}
        statuses.update({self.world.user(uid).id: "administrator" for uid in admins})
        owner = creator if creator is not None else (member_ids[0] if member_ids else None)
        if owner is not None:
            statuses[self.world.user(owner).id] = "creator"
        chat = Chat(
            id=incoming.new_group_id(self.world, supergroup),
            type="supergroup" if supergroup else "group",
            title=title,
            username=username,
            members=statuses,
            bot_status="administrator" if bot_admin else "member",
        )
        self.world.chats[chat.id] = chat
        return chat.id

    async def join(self, user: int, chat: int) -> JSON:
        """The user joins the group: a `new_chat_members` service message."""
        who, group = self.world.user(user), self.world.chat(chat)
        group.members[who.id] = "member"
        return incoming.service(self.world, group, who, new_chat_members=[who.to_json()])

    async def block(self, user: int) -> None:
        self.world.user(user).blocked = True

    async def unblock(self, user: int) -> None:
        self.world.user(user).blocked = False

    async def migrate(self, chat: int) -> int:
        """Upgrade a group to a supergroup; returns the new -100... id."""
        old = self.world.chat(chat)
        if old.type != "group" or old.migrated_to is not None:
            raise ControlError(f"chat {chat} is not a basic group")
        actor = self._actor(old)
        new = Chat(
            id=incoming.new_group_id(self.world, supergroup=True),
            type="supergroup",
            title=old.title,
            members=dict(old.members),
            bot_status=old.bot_status,
        )
        self.world.chats[new.id] = new
        incoming.service(self.world, old, actor, migrate_to_chat_id=new.id)
        old.migrated_to = new.id
        incoming.service(self.world, new, actor, migrate_from_chat_id=old.id)
        return new.id

    def _actor(self, chat: Chat) -> User:
        ranked = sorted(chat.members.items(), key=lambda kv: kv[1] != "creator")
        if not ranked:
            raise ControlError(f"chat {chat.id} has no members")
        return self.world.user(ranked[0][0])

    # ---- user actions ----

    async def send_message(
        self, user: int, chat: int | None = None, text: str = "", *, reply_to: int | None = None
    ) -> JSON:
        """The user writes `text` (commands become bot_command entities); returns the Message."""
        who = self.world.user(user)
        if chat is None or chat == who.id:
            where = incoming.private_chat(self.world, who)
        else:
            where = incoming.group_for(self.world, who, chat)
        if not text:
            raise ControlError("empty text")
        extra: JSON = {}
        if reply_to is not None:
            replied = self.world.records.get((where.id, reply_to))
            if replied is None:
                raise ControlError(f"no message {reply_to} in chat {where.id}")
            extra["reply_to_message"] = self.world.message_json(replied)
        entities = incoming.text_entities(text) or None
        record = self.world.add_record(where, who.id, text=text, entities=entities, extra=extra)
        message = self.world.message_json(record)
        if incoming.reaches_bot(self.world, where, record):
            self.world.updates.push("message", message)
        return message

    async def send_document(
        self,
        user: int,
        data: bytes,
        file_name: str,
        *,
        chat: int | None = None,
        mime_type: str | None = None,
        caption: str | None = None,
    ) -> JSON:
        """The user sends a file as a document (its bytes stay on the server for getFile);
        returns the Message. In-process only: the bytes do not travel as JSON."""
        who = self.world.user(user)
        if chat is None or chat == who.id:
            where = incoming.private_chat(self.world, who)
        else:
            where = incoming.group_for(self.world, who, chat)
        stored = self.world.store_file(data, "document", file_name, mime_type)
        record = self.world.add_record(
            where, who.id, caption=caption, media=api_messages.document_json(stored)
        )
        message = self.world.message_json(record)
        if where.type == "private" or not self.world.privacy_mode:
            self.world.updates.push("message", message)
        return message

    async def press(self, user: int, chat: int, message_id: int, data: str) -> str:
        """Press the inline button carrying `data`; returns the callback query id."""
        who = self.world.user(user)
        where = self.world.chat(chat)
        if where.type == "private" and where.id != who.id:
            raise ControlError(f"user {user} cannot see private chat {chat}")
        if where.is_group:
            incoming.group_for(self.world, who, chat)
        record = incoming.pressable(self.world.records.get((where.id, message_id)), data)
        payload = incoming.callback_query(self.world, who, record, data)
        self.world.queries[payload["id"]] = Query(payload["id"], who.id, chat, message_id, data)
        self.world.updates.push("callback_query", payload)
        return str(payload["id"])

    async def pay_invoice(
        self, user: int, chat: int, message_id: int, *, timeout_s: float = 10.0
    ) -> JSON:
        """The user pays an invoice message: the bot gets a pre_checkout_query, and only if
        it answers ok within `timeout_s` does the chat get the successful_payment message.

        Returns {"ok", "error_message", "charge_id", "message_id"}.
        """
        who, where = self.world.user(user), self._visible(user, chat)
        return await api_payments.pay(self.world, who, where, message_id, timeout_s)

    async def forward(self, user: int, from_chat: int, message_id: int, to_chat: int) -> int:
        """The user forwards a message (an invoice stays payable) into another chat they are
        in; returns the copy's message id. A copy in a group does not reach the bot."""
        who = self.world.user(user)
        source, target = self._visible(user, from_chat), self._visible(user, to_chat)
        return api_payments.forward(self.world, who, source, message_id, target)

    def _visible(self, user: int, chat: int) -> Chat:
        who, where = self.world.user(user), self.world.chat(chat)
        if where.type == "private" and where.id != who.id:
            raise ControlError(f"user {user} cannot see private chat {chat}")
        if where.is_group:
            incoming.group_for(self.world, who, chat)
        return where

    # ---- what the bot did ----

    async def refunds(self) -> list[JSON]:
        """Every refundStarPayment that went through: {"user_id", "charge_id", "at"}."""
        return list(self.world.payments.refunds)

    async def answers(self, query_id: str) -> CallbackAnswer | None:
        query = self.world.queries.get(query_id)
        if query is None:
            raise ControlError(f"no callback query {query_id}")
        return query.answer

    async def messages(self, chat: int) -> list[SentMessage]:
        """Every bot message in the chat (deleted ones flagged), with its current content."""
        return [SentMessage.of(r) for r in self.world.bot_records(chat)]

    async def last(self, chat: int) -> SentMessage | None:
        sent = [m for m in await self.messages(chat) if not m.deleted]
        return sent[-1] if sent else None

    async def wait_for(self, check: Callable[[], T | None], timeout_s: float = 5.0) -> T:
        """The first truthy `check()` (re-evaluated on every change); TimeoutError otherwise."""
        value = await self.world.signal.wait_until(check, timeout_s)
        if not value:
            raise TimeoutError(f"condition not met within {timeout_s} s")
        return value

    async def wait_for_message(
        self,
        chat: int,
        match: Callable[[SentMessage], bool] | None = None,
        *,
        after_id: int = 0,
        timeout_s: float = 5.0,
    ) -> SentMessage:
        """The first bot message in `chat` after `after_id` that `match` accepts."""

        def check() -> SentMessage | None:
            for record in self.world.bot_records(chat):
                sent = SentMessage.of(record)
                if sent.message_id > after_id and (match is None or match(sent)):
                    return sent
            return None

        return await self.wait_for(check, timeout_s)

    async def file_bytes(self, file_id: str) -> bytes:
        stored = self.world.files.get(file_id)
        if stored is None:
            raise ControlError(f"no file {file_id}")
        return stored.data

    async def calls(self) -> dict[str, int]:
        """Bot API calls per method name (canonical spelling), refused ones included."""
        return dict(self.world.stats.calls)

    async def count_429(self, chat: int | None = None) -> int:
        """429 answers for one chat, or in total."""
        too_many = self.world.stats.too_many
        return too_many[chat] if chat is not None else sum(too_many.values())

    async def edit_times(self, chat: int) -> list[float]:
        """When each successful edit of a bot message in the chat happened (epoch seconds)."""
        return sorted(t for r in self.world.bot_records(chat) for t in r.edit_times)

    async def commands(self) -> list[JSON]:
        """The default-scope command list the bot set with setMyCommands."""
        return self.world.commands.get(commands_key(None, None), [])

    async def webhook_stats(self) -> dict[str, int]:
        return {
            "delivered": self.world.updates.delivered,
            "failed": self.world.updates.webhook_failures,
            "pending": len(self.world.updates.pending),
        }

    # ---- faults and lifecycle ----

    async def fail_next(
        self, method: str, error_code: int, description: str, retry_after: int | None = None
    ) -> None:
        """The next call of `method` is refused with this error (and not applied)."""
        fault = Fault(error_code, description, retry_after)
        self.world.faults.setdefault(method.lower(), []).append(fault)

    async def slow_next(self, method: str, delay_s: float) -> None:
        """The next call of `method` answers only after `delay_s`, then takes effect as usual:
        past the bot's read timeout, the bot sees a timeout for a call that did happen."""
        self.world.faults.setdefault(method.lower(), []).append(Fault(None, "", delay_s=delay_s))

    async def set_outage(self, status_code: int | None = None, delay_s: float = 0.0) -> None:
        """Every Bot API call waits `delay_s`, then fails with `status_code` when it is set,
        its reason phrase as the description ("Bad Gateway" for 502)."""
        self.world.outage_status = status_code
        self.world.delay_s = delay_s

    async def reset(self) -> None:
        """Forget users, chats, messages, files, updates, counters, faults and the webhook."""
        self.world.clear()

    async def aclose(self) -> None:
        """End long polls and webhook delivery (the server calls this before it stops)."""
        await self.world.updates.aclose()

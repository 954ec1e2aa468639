"""The emulator's shared state and the lookups every Bot API method and control call uses."""

from __future__ import annotations

import hashlib
import itertools
import mimetypes
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from tests.telegram_emulator.limits import FloodControl, FloodLimits
from tests.telegram_emulator.paystate import Payments
from tests.telegram_emulator.state import (
    JSON,
    PRESENT,
    ApiError,
    Chat,
    ControlError,
    Query,
    Record,
    Signal,
    StoredFile,
    User,
    bad_request,
    forbidden,
)
from tests.telegram_emulator.updates import UpdateQueue


@dataclass(slots=True)
class Stats:
    calls: Counter[str] = field(default_factory=Counter)  # per Bot API method, every call
    errors: Counter[str] = field(default_factory=Counter)  # "method:code"
    too_many: Counter[int] = field(default_factory=Counter)  # 429s per chat id (0: no chat)


@dataclass(slots=True)
class Fault:
    error_code: int | None  # None: no error, the call only waits `delay_s` (slow_next)
    description: str
    retry_after: int | None = None
    delay_s: float = 0.0


class World:
    """Everything one emulated bot sees; mutated only from the serving event loop."""

    def __init__(
        self,
        bot: User,
        token: str,
        limits: FloodLimits,
        privacy_mode: bool,
        webhook_retries: int,
        webhook_retry_delay_s: float,
    ) -> None:
        self.bot = bot
        self.token = token
        self.limits = limits
        self.privacy_mode = privacy_mode
        self.signal = Signal()
        self.updates = UpdateQueue(self.signal, webhook_retries, webhook_retry_delay_s)
        self._ids = itertools.count(1)
        self.clear()

    def clear(self) -> None:
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.records: dict[tuple[int, int], Record] = {}
        self.files: dict[str, StoredFile] = {}
        self.queries: dict[str, Query] = {}
        self.commands: dict[str, list[JSON]] = {}
        self.faults: dict[str, list[Fault]] = {}
        self.outage_status: int | None = None
        self.delay_s = 0.0
        self.stats = Stats()
        self.flood = FloodControl(self.limits)
        self.payments = Payments()
        self.updates.clear()
        self.signal.fire()

    def next_id(self) -> int:
        return next(self._ids)

    def store_file(
        self, data: bytes, kind: str, file_name: str | None = None, mime_type: str | None = None
    ) -> StoredFile:
        """A file on Telegram's servers (a bot's upload, or a user's): a new file_id, and a
        file_path getFile hands out for the download."""
        n = self.next_id()
        name = file_name or ("photo.jpg" if kind == "photo" else "file")
        suffix = name.rsplit(".", 1)[-1] if "." in name else "bin"
        if not mime_type or mime_type == "application/octet-stream":
            mime_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        stored = StoredFile(
            file_id=f"{'AgAC' if kind == 'photo' else 'BQAC'}emu{n:08d}",
            file_unique_id="AQAD" + hashlib.sha256(data).hexdigest()[:12],
            data=data,
            file_path=f"{kind}s/file_{n}.{suffix}",
            file_name=name,
            mime_type=mime_type,
        )
        self.files[stored.file_id] = stored
        return stored

    # ---- shapes ----

    def chat_json(self, chat: Chat) -> JSON:
        out: JSON = {"id": chat.id, "type": chat.type}
        if chat.type == "private":
            user = self.users[chat.id]
            out["first_name"] = user.first_name
            for key in ("last_name", "username"):
                if getattr(user, key) is not None:
                    out[key] = getattr(user, key)
        else:
            out["title"] = chat.title
            if chat.username:
                out["username"] = chat.username
        return out

    def message_json(self, record: Record) -> JSON:
        sender = self.bot if record.by_bot else self.users[record.sender_id]
        out: JSON = {
            "message_id": record.message_id,
            "from": sender.to_json(),
            "date": record.date,
            "chat": self.chat_json(self.chats[record.chat_id]),
        }
        entity_key = "entities" if record.text is not None else "caption_entities"
        if record.text is not None:
            out["text"] = record.text
        if record.caption is not None:
            out["caption"] = record.caption
        if record.entities:
            out[entity_key] = record.entities
        if record.reply_markup is not None:
            out["reply_markup"] = record.reply_markup
        if record.edit_times:
            out["edit_date"] = int(record.edit_times[-1])
        out.update(record.media)
        out.update(record.extra)
        return out

    # ---- records ----

    def add_record(self, chat: Chat, sender_id: int, **fields: Any) -> Record:
        now = time.time()
        record = Record(
            chat_id=chat.id,
            message_id=chat.take_message_id(),
            sender_id=sender_id,
            date=int(now),
            sent_at=now,
            by_bot=sender_id == self.bot.id,
            **fields,
        )
        self.records[(chat.id, record.message_id)] = record
        self.signal.fire()
        return record

    def bot_records(self, chat_id: int) -> list[Record]:
        return [r for (cid, _), r in self.records.items() if cid == chat_id and r.by_bot]

    def message(self, chat: Chat, message_id: int | None, verb: str) -> Record:
        record = self.records.get((chat.id, message_id or 0))
        if record is None or record.deleted:
            raise bad_request(f"message to {verb} not found")
        return record

    # ---- lookups for Bot API calls ----

    def target(self, chat_ref: object, *, sending: bool = True) -> Chat:
        """The chat a bot call addresses, refused the way Telegram refuses it."""
        chat = self._find_chat(chat_ref)
        if chat.migrated_to is not None:
            raise bad_request(
                "group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": chat.migrated_to},
            )
        if chat.type == "private":
            if sending and self.users[chat.id].blocked:
                raise forbidden("bot was blocked by the user")
        elif chat.bot_status == "kicked":
            raise forbidden(f"bot was kicked from the {chat.type} chat")
        elif chat.bot_status not in PRESENT:
            raise forbidden(f"bot is not a member of the {chat.type} chat")
        return chat

    def _find_chat(self, chat_ref: object) -> Chat:
        if isinstance(chat_ref, str) and chat_ref.startswith("@"):
            name = chat_ref[1:].lower()
            for named in self.chats.values():
                if named.username and named.username.lower() == name:
                    return named
            raise bad_request("chat not found")
        try:
            chat_id = int(str(chat_ref))
        except ValueError as exc:
            raise bad_request("chat not found") from exc
        chat = self.chats.get(chat_id)
        if chat is not None:
            return chat
        user = self.users.get(chat_id)
        if user is not None:
            if user.blocked:
                raise forbidden("bot was blocked by the user")
            raise forbidden("bot can't initiate conversation with a user")
        raise bad_request("chat not found")

    def admit(self, chat: Chat) -> None:
        """Flood control for one message (send or edit) to `chat`; 429 when over the limit."""
        retry_after = self.flood.admit(chat.id, chat.is_group)
        if retry_after is not None:
            raise ApiError(
                429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
            )

    # ---- lookups for control calls ----

    def user(self, user_id: int) -> User:
        user = self.users.get(user_id)
        if user is None:
            raise ControlError(f"no user {user_id}")
        return user

    def chat(self, chat_id: int) -> Chat:
        chat = self.chats.get(chat_id)
        if chat is None:
            raise ControlError(f"no chat {chat_id}")
        return chat

"""The emulated Telegram world's records: users, chats, messages, files, queries and errors."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

JSON = dict[str, Any]
T = TypeVar("T")

GROUP_TYPES = frozenset({"group", "supergroup"})
# Member statuses as getChatMember reports them (Bot API "owner" is "creator" on the wire).
PRESENT = frozenset({"creator", "administrator", "member"})


class ApiError(Exception):
    """A Bot API refusal, answered as Telegram does: `{"ok": false, "error_code", ...}`."""

    def __init__(self, code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> JSON:
        out: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            out["parameters"] = self.parameters
        return out


class ControlError(Exception):
    """A control call no real client could make (unknown user, missing button, ...)."""


def bad_request(text: str, parameters: JSON | None = None) -> ApiError:
    return ApiError(400, f"Bad Request: {text}", parameters)


def forbidden(text: str) -> ApiError:
    return ApiError(403, f"Forbidden: {text}")


@dataclass(slots=True)
class User:
    id: int
    first_name: str
    username: str | None = None
    last_name: str | None = None
    language_code: str | None = None
    is_bot: bool = False
    started: bool = False  # has a private chat with the bot (sent it anything)
    blocked: bool = False

    def to_json(self) -> JSON:
        out: JSON = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


@dataclass(slots=True)
class Chat:
    id: int
    type: str  # private | group | supergroup
    title: str | None = None
    username: str | None = None
    members: dict[int, str] = field(default_factory=dict)  # user id -> status
    bot_status: str = "member"
    migrated_to: int | None = None
    next_message_id: int = 1

    @property
    def is_group(self) -> bool:
        return self.type in GROUP_TYPES

    @property
    def instance(self) -> str:
        """The stable `chat_instance` of callback queries from this chat."""
        return str(abs(self.id) * 7919 % 10**19 + 10**18)

    def take_message_id(self) -> int:
        mid = self.next_message_id
        self.next_message_id += 1
        return mid


@dataclass(slots=True)
class Record:
    """One message in a chat, as the emulator keeps it (bot or user sent)."""

    chat_id: int
    message_id: int
    sender_id: int
    date: int
    sent_at: float
    by_bot: bool
    text: str | None = None
    caption: str | None = None
    parse_mode: str | None = None
    entities: list[JSON] | None = None
    reply_markup: JSON | None = None
    media: JSON = field(default_factory=dict)  # {"photo": [...]} or {"document": {...}}
    extra: JSON = field(default_factory=dict)  # service fields, reply_to_message, ...
    edit_times: list[float] = field(default_factory=list)
    deleted: bool = False

    @property
    def kind(self) -> str:
        if self.media:
            return next(iter(self.media))
        return "text" if self.text is not None else "service"

    def content(self) -> tuple[Any, ...]:
        """What "message is not modified" compares: text or caption, entities and markup."""
        body = self.text if self.text is not None else self.caption
        return (body, self.parse_mode, self.entities, self.reply_markup)


@dataclass(slots=True)
class StoredFile:
    file_id: str
    file_unique_id: str
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None


@dataclass(frozen=True, slots=True)
class CallbackAnswer:
    """What the bot answered to a button press (answerCallbackQuery)."""

    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int
    answered_at: float

    def to_json(self) -> JSON:
        return {
            "text": self.text,
            "show_alert": self.show_alert,
            "url": self.url,
            "cache_time": self.cache_time,
            "answered_at": self.answered_at,
        }

    @classmethod
    def from_json(cls, data: JSON) -> CallbackAnswer:
        return cls(
            text=data["text"],
            show_alert=bool(data["show_alert"]),
            url=data["url"],
            cache_time=int(data["cache_time"]),
            answered_at=float(data["answered_at"]),
        )


@dataclass(slots=True)
class Query:
    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    answer: CallbackAnswer | None = None


@dataclass(frozen=True, slots=True)
class SentMessage:
    """A bot message as tests see it: its CURRENT content plus its edit history."""

    chat_id: int
    message_id: int
    kind: str  # text | photo | document
    text: str | None
    caption: str | None
    parse_mode: str | None
    entities: list[JSON] | None
    reply_markup: JSON | None
    file_id: str | None
    date: int
    sent_at: float
    edit_times: list[float]
    deleted: bool

    @property
    def edit_count(self) -> int:
        return len(self.edit_times)

    @property
    def body(self) -> str | None:
        """The text of a text message, the caption of a media message."""
        return self.text if self.text is not None else self.caption

    def callback_data(self) -> list[str]:
        """Every callback_data of the inline keyboard, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [b["callback_data"] for row in rows for b in row if "callback_data" in b]

    def to_json(self) -> JSON:
        return {name: getattr(self, name) for name in self.__slots__}

    @classmethod
    def from_json(cls, data: JSON) -> SentMessage:
        return cls(**{name: data[name] for name in cls.__slots__})

    @classmethod
    def of(cls, record: Record) -> SentMessage:
        file_id: str | None = None
        if "photo" in record.media:
            file_id = record.media["photo"][-1]["file_id"]
        elif "document" in record.media:
            file_id = record.media["document"]["file_id"]
        return cls(
            chat_id=record.chat_id,
            message_id=record.message_id,
            kind=record.kind,
            text=record.text,
            caption=record.caption,
            parse_mode=record.parse_mode,
            entities=record.entities,
            reply_markup=record.reply_markup,
            file_id=file_id,
            date=record.date,
            sent_at=record.sent_at,
            edit_times=list(record.edit_times),
            deleted=record.deleted,
        )


class Signal:
    """Wakes every waiter whenever the world changes (an Event swapped on each change)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        event, self._event = self._event, asyncio.Event()
        event.set()

    async def wait_until(self, check: Callable[[], T | None], timeout_s: float) -> T | None:
        """The first truthy `check()` within `timeout_s`, else None."""
        deadline = time.monotonic() + timeout_s
        while True:
            event = self._event
            value = check()
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

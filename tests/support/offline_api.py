"""An offline Bot API for handler tests: records each call and answers like Telegram.

JSON shapes as the Bot API's (`{"ok": ..., "result": ...}`, dates in seconds, `is_bot`),
403 for users who never started the bot, 400 "message is not modified" for an identical
edit, 400 with `migrate_to_chat_id` for a group that became a supergroup, and any error
queued as a `Fault` (a 429 with `retry_after`, say) for the next matching call.
"""

from __future__ import annotations

import html
import itertools
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from telegram.request import BaseRequest, RequestData

JSON = dict[str, Any]

TOKEN = "123456:ABC-offline"
BOT_USERNAME = "ChipinTestBot"
BOT_USER: JSON = {"id": 123456, "is_bot": True, "first_name": "Chipin", "username": BOT_USERNAME}
GROUP = -4001
LINK_PREFIX = f"https://t.me/{BOT_USERNAME}?start="
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Person:
    id: int
    first_name: str
    username: str | None = None
    language_code: str | None = "en"

    def to_dict(self) -> JSON:
        found: JSON = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            found["username"] = self.username
        if self.language_code:
            found["language_code"] = self.language_code
        return found


ANN = Person(1001, "Ann", "ann_k")
BOB = Person(1002, "Bob", "bob_lee")
CID = Person(1003, "Cid", "cid_rx")
DAN = Person(1004, "Dan", "dan_po")
MEI = Person(1005, "梅", "mei_li", "zh-hans")


PIN = "204913"
OTHER_PIN = "580317"


@dataclass(frozen=True)
class Call:
    """One Bot API request the bot made, with the answer it got."""

    method: str
    params: JSON
    files: tuple[str, ...]
    at: float
    status: int
    result: Any
    uploads: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # part: (name, bytes)

    @property
    def chat_id(self) -> int | None:
        raw = self.params.get("chat_id")
        return int(raw) if raw is not None else None

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")

    @property
    def buttons(self) -> list[JSON]:
        markup = self.params.get("reply_markup") or {}
        return [b for row in markup.get("inline_keyboard", []) for b in row]

    def button(self, label: str) -> JSON:
        found = [b for b in self.buttons if label in b["text"]]
        assert found, f"no button {label!r} in {self.buttons}"
        return found[0]

    @property
    def message(self) -> JSON:
        assert isinstance(self.result, dict), f"{self.method} returned {self.result!r}"
        return self.result


@dataclass
class Fault:
    """An error answer Telegram gives to the next matching call."""

    method: str
    status: int
    description: str
    parameters: JSON | None = None
    chat_id: int | None = None


def _plain(text: str) -> str:
    """What Telegram keeps of an HTML-formatted text (entities are dropped here)."""
    return html.unescape(_TAG.sub("", text))


def chat_of(chat_id: int, titles: dict[int, str]) -> JSON:
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": f"User{chat_id}"}
    kind = "supergroup" if str(chat_id).startswith("-100") else "group"
    return {"id": chat_id, "type": kind, "title": titles.get(chat_id, "Friends")}


@dataclass
class OfflineBotApi(BaseRequest):
    """A Bot API without a network: records each call and answers like Telegram."""

    calls: list[Call] = field(default_factory=list)
    never_started: set[int] = field(default_factory=set)
    faults: list[Fault] = field(default_factory=list)
    messages: dict[tuple[int, int], JSON] = field(default_factory=dict)
    migrated: dict[int, int] = field(default_factory=dict)
    titles: dict[int, str] = field(default_factory=dict)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(500))

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        params: JSON = dict(request_data.parameters) if request_data else {}
        files = tuple(request_data.multipart_data) if request_data else ()
        uploads = _uploads(request_data)
        status, body = self._answer(name, params)
        result = body.get("result")
        self.calls.append(Call(name, params, files, time.monotonic(), status, result, uploads))
        return status, json.dumps(body).encode()

    # ---- answers ----

    def _answer(self, name: str, params: JSON) -> tuple[int, JSON]:
        chat_id = int(params["chat_id"]) if "chat_id" in params else None
        fault = self._fault(name, chat_id)
        if fault is not None:
            return _error(fault.status, fault.description, fault.parameters)
        if chat_id in self.migrated:
            desc = "Bad Request: group chat was upgraded to a supergroup chat"
            return _error(400, desc, {"migrate_to_chat_id": self.migrated[chat_id]})
        if chat_id in self.never_started:
            return _error(403, "Forbidden: bot can't initiate conversation with a user")
        if name == "getMe":
            return 200, _ok({**BOT_USER, "can_join_groups": True})
        if name in ("sendMessage", "sendPhoto", "sendDocument", "sendInvoice"):
            assert chat_id is not None
            return 200, _ok(self._new_message(chat_id, params))
        if name == "editMessageText":
            return self._edit(params)
        return 200, _ok(True)

    def _fault(self, name: str, chat_id: int | None) -> Fault | None:
        for fault in self.faults:
            if fault.method == name and fault.chat_id in (None, chat_id):
                self.faults.remove(fault)
                return fault
        return None

    def _new_message(self, chat_id: int, params: JSON) -> JSON:
        msg: JSON = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": chat_of(chat_id, self.titles),
            "from": BOT_USER,
        }
        if "text" in params:
            msg["text"] = _plain(str(params["text"]))
        if "photo" in params or "caption" in params:
            msg["photo"] = [
                {
                    "file_id": f"ph{msg['message_id']}",
                    "file_unique_id": "u",
                    "width": 800,
                    "height": 1000,
                }
            ]
            if "caption" in params:
                msg["caption"] = params["caption"]
        if "document" in params:
            msg["document"] = {"file_id": f"doc{msg['message_id']}", "file_unique_id": "d"}
            msg.pop("photo", None)
        if "payload" in params:  # an invoice: what the message shows of it
            total = sum(int(p["amount"]) for p in params["prices"])
            msg["invoice"] = {
                "title": params["title"],
                "description": params["description"],
                "start_parameter": "",
                "currency": params["currency"],
                "total_amount": total,
            }
        if "reply_markup" in params:
            msg["reply_markup"] = params["reply_markup"]
        self.messages[(chat_id, msg["message_id"])] = {**msg, "_html": params.get("text")}
        return msg

    def _edit(self, params: JSON) -> tuple[int, JSON]:
        key = (int(params["chat_id"]), int(params["message_id"]))
        stored = self.messages.get(key)
        if stored is None:
            return _error(400, "Bad Request: message to edit not found")
        markup = params.get("reply_markup")
        if stored.get("_html") == params["text"] and stored.get("reply_markup") == markup:
            return _error(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message",
            )
        stored.update(text=_plain(str(params["text"])), _html=params["text"])
        stored["edit_date"] = int(time.time())
        stored.pop("reply_markup", None)
        if markup:
            stored["reply_markup"] = markup
        return 200, _ok({k: v for k, v in stored.items() if k != "_html"})

    def migrate(self, old_chat_id: int, new_chat_id: int) -> None:
        """The group became a supergroup: the old id answers with migrate_to_chat_id.

        Messages are copied under their ids, as the bot assumes the history follows.
        """
        self.migrated[old_chat_id] = new_chat_id
        for (chat_id, mid), msg in list(self.messages.items()):
            if chat_id == old_chat_id:
                self.messages[(new_chat_id, mid)] = {**msg, "chat": chat_of(new_chat_id, {})}

    # ---- reading what the bot did ----

    def sent(self, chat_id: int | None = None, method: str | None = None) -> list[Call]:
        """Successful sends (messages and photos), optionally in one chat."""
        kinds = (method,) if method else ("sendMessage", "sendPhoto")
        return [
            c
            for c in self.calls
            if c.method in kinds and c.ok and (chat_id is None or c.chat_id == chat_id)
        ]

    def last(self, chat_id: int) -> Call:
        found = self.sent(chat_id)
        assert found, f"nothing was sent to chat {chat_id}"
        return found[-1]

    def edits(self, chat_id: int | None = None, *, ok_only: bool = True) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.method == "editMessageText"
            and (c.ok or not ok_only)
            and (chat_id is None or c.chat_id == chat_id)
        ]

    def answers(self) -> list[Call]:
        return [c for c in self.calls if c.method == "answerCallbackQuery"]

    def invoices(self, chat_id: int | None = None) -> list[Call]:
        return self.sent(chat_id, "sendInvoice")

    def of(self, method: str) -> list[Call]:
        """Every call of one Bot API method."""
        return [c for c in self.calls if c.method == method]

    def texts(self) -> list[str]:
        """Every text the bot showed anywhere: messages, captions, edits, alerts."""
        return [str(c.params.get("text") or c.params.get("caption") or "") for c in self.calls]

    def callback_data(self) -> list[str]:
        return [
            str(b["callback_data"]) for c in self.calls for b in c.buttons if "callback_data" in b
        ]

    def mark(self) -> int:
        return len(self.calls)

    def since(self, mark: int) -> list[Call]:
        return self.calls[mark:]


def _uploads(request_data: RequestData | None) -> dict[str, tuple[str, bytes]]:
    """The files of a multipart request: part name -> (file name, content)."""
    if request_data is None:
        return {}
    found = {}
    for part, (filename, content, *_mime) in request_data.multipart_data.items():
        body = content if isinstance(content, bytes) else content.read()
        found[part] = (str(filename), body)
    return found


def _ok(result: object) -> JSON:
    return {"ok": True, "result": result}


def _error(status: int, description: str, parameters: JSON | None = None) -> tuple[int, JSON]:
    body: JSON = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return status, body

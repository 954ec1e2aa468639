"""The handler tests' Bot API: the emulator (tests/telegram_emulator) in process, over httpx's
ASGI transport, so PTB's requests reach it without a socket.

This layer only records each call with its answer (a `Call`, for the tests to read) and
stands in for the network between the bot and Telegram (a `Fault` answers the next matching
call instead of the emulator). Telegram's answers are the emulator's own. The world the
handler tests assume is set up as they name it: every user the bot writes to has started
it (unless put in `never_started`), every group has the bot as a member, and the updates
the tests make up (a message, a press, a pre-checkout query, a payment) are known to the
emulator as Telegram would know them.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
from telegram.request import HTTPXRequest, RequestData

from tests.telegram_emulator import incoming
from tests.telegram_emulator.app import build_app
from tests.telegram_emulator.control import Emulator
from tests.telegram_emulator.limits import FloodLimits
from tests.telegram_emulator.paystate import Charge, PreCheckout
from tests.telegram_emulator.state import Chat, Query, User
from tests.telegram_emulator.world import World

JSON = dict[str, Any]

TOKEN = "123456:ABC-offline"
BOT_USERNAME = "ChipinTestBot"
GROUP = -4001
LINK_PREFIX = f"https://t.me/{BOT_USERNAME}?start="
DEFAULT_TITLE = "Friends"


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
    """An error the network answers to the next matching call (the emulator never sees it)."""

    method: str
    status: int
    description: str
    parameters: JSON | None = None
    chat_id: int | None = None


class NeverStarted(set[int]):
    """Users who never opened the bot: the emulator has no private chat with them, so the
    bot's messages to them get Telegram's 403. Leaving the set opens the chat again."""

    def __init__(self, world: World) -> None:
        super().__init__()
        self._world = world

    def add(self, user_id: int) -> None:
        super().add(user_id)
        self._world.chats.pop(user_id, None)

    def discard(self, user_id: object) -> None:
        super().discard(user_id)
        user = self._world.users.get(user_id) if isinstance(user_id, int) else None
        if user is not None:
            incoming.private_chat(self._world, user)


class OfflineBotApi(HTTPXRequest):
    """PTB's request object over the emulator in process; `calls` is every call and its answer."""

    def __init__(self, emulator: Emulator | None = None) -> None:
        self.emulator = emulator or Emulator(TOKEN, BOT_USERNAME, limits=FloodLimits.unlimited())
        transport = httpx.ASGITransport(app=build_app(self.emulator))
        super().__init__(read_timeout=1.0, httpx_kwargs={"transport": transport})
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self.titles: dict[int, str] = {}
        self.never_started = NeverStarted(self.world)

    @property
    def world(self) -> World:
        return self.emulator.world

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
        if "/file/bot" in url:  # a file download: its bytes are the answer, not JSON
            timeouts = (read_timeout, write_timeout, connect_timeout, pool_timeout)
            return await super().do_request(url, method, request_data, *timeouts)
        name = url.rsplit("/", 1)[-1]
        params: JSON = dict(request_data.parameters) if request_data else {}
        files = tuple(request_data.multipart_data) if request_data else ()
        uploads = _uploads(request_data)
        fault = self._fault(name, params.get("chat_id"))
        if fault is not None:
            status, payload = _error(fault.status, fault.description, fault.parameters)
        else:
            self._chat_named(params.get("chat_id"))
            status, payload = await super().do_request(
                url,
                method,
                request_data,
                read_timeout,
                write_timeout,
                connect_timeout,
                pool_timeout,
            )
        result = json.loads(payload).get("result")
        self.calls.append(Call(name, params, files, time.monotonic(), status, result, uploads))
        return status, payload

    def _fault(self, name: str, chat_id: object) -> Fault | None:
        for fault in self.faults:
            if fault.method == name and fault.chat_id in (None, _int(chat_id)):
                self.faults.remove(fault)
                return fault
        return None

    # ---- the world the tests assume ----

    def _chat_named(self, chat_ref: object) -> None:
        """A chat the bot writes to exists: a user who started the bot, or a group it is in."""
        chat_id = _int(chat_ref)
        if chat_id is None or chat_id in self.world.chats:
            return
        if chat_id > 0:
            if chat_id not in self.never_started:
                incoming.private_chat(self.world, self._user(chat_id))
        else:
            self._group(chat_id)

    def _user(self, user_id: int, person: Person | None = None) -> User:
        user = self.world.users.get(user_id)
        if user is None:
            person = person or Person(user_id, f"User{user_id}", None, None)
            user = User(user_id, person.first_name, person.username, None, person.language_code)
            self.world.users[user_id] = user
        return user

    def _group(self, chat_id: int) -> Chat:
        chat = self.world.chats.get(chat_id)
        if chat is None:
            kind = "supergroup" if str(chat_id).startswith("-100") else "group"
            chat = Chat(chat_id, kind, self.titles.get(chat_id, DEFAULT_TITLE))
            self.world.chats[chat_id] = chat
        return chat

    def meet(self, person: Person, chat_id: int) -> Chat:
        """`person` acts in the chat (their private chat when `chat_id` is theirs)."""
        user = self._user(person.id, person)
        if chat_id == person.id:
            self.never_started.discard(person.id)  # writing to the bot opens the chat
            return incoming.private_chat(self.world, user)
        chat = self._group(chat_id)
        chat.title = self.titles.get(chat_id, chat.title)
        chat.members.setdefault(user.id, "member")
        return chat

    def message_from(self, person: Person, chat_id: int, **fields: Any) -> JSON:
        """A message `person` writes in the chat, recorded by the emulator as Telegram would."""
        chat = self.meet(person, chat_id)
        text = fields.pop("text", None)
        entities = fields.pop("entities", None)
        record = self.world.add_record(chat, person.id, text=text, entities=entities, extra=fields)
        return self.world.message_json(record)

    def callback_query(self, person: Person, message: JSON, data: str, query_id: str) -> JSON:
        """A press on `message` with any `data` (a client may send data no button carries)."""
        chat_id = int(message["chat"]["id"])
        self._user(person.id, person)
        chat = self.world.chats.get(chat_id) or self.meet(person, chat_id)  # maybe not theirs
        query = Query(query_id, person.id, chat.id, int(message["message_id"]), data)
        self.world.queries[query_id] = query
        return {
            "id": query_id,
            "from": person.to_dict(),
            "chat_instance": chat.instance,
            "data": data,
            "message": message,
        }

    def pre_checkout(self, person: Person, query_id: str) -> None:
        """Telegram asks the bot before charging `person` (an invoice in their private chat)."""
        self._user(person.id, person)
        self.world.payments.queries[query_id] = PreCheckout(
            query_id, person.id, person.id, 0, time.time()
        )

    def charged(
        self, person: Person, charge_id: str, currency: str, amount: int, payload: str
    ) -> None:
        """Telegram charged `person`: the charge a refund names later."""
        self.world.payments.charges[charge_id] = Charge(
            charge_id, person.id, currency, amount, payload
        )

    def migrate(self, old_chat_id: int, new_chat_id: int) -> None:
        """The group became a supergroup: the old id answers with migrate_to_chat_id.

        Messages are copied under their ids, as the bot assumes the history follows.
        """
        old = self._group(old_chat_id)
        new = Chat(new_chat_id, "supergroup", old.title, members=dict(old.members))
        new.next_message_id = old.next_message_id
        self.world.chats[new_chat_id] = new
        old.migrated_to = new_chat_id
        for (chat_id, mid), record in list(self.world.records.items()):
            if chat_id == old_chat_id:
                self.world.records[(new_chat_id, mid)] = replace(record, chat_id=new_chat_id)

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


def _int(raw: object) -> int | None:
    try:
        return int(str(raw)) if raw is not None else None
    except ValueError:
        return None


def _uploads(request_data: RequestData | None) -> dict[str, tuple[str, bytes]]:
    """The files of a multipart request: part name -> (file name, content)."""
    if request_data is None:
        return {}
    found = {}
    for part, (filename, content, *_mime) in request_data.multipart_data.items():
        body = content if isinstance(content, bytes) else content.read()
        found[part] = (str(filename), body)
    return found


def _error(status: int, description: str, parameters: JSON | None = None) -> tuple[int, bytes]:
    body: JSON = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return status, json.dumps(body).encode()

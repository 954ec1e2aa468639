"""The outbox: what must reach a person, kept in the database until it has.

Two kinds of row (storage.tables outbox_events, outbox_letters):

- An event row is a domain event (core.domain.events) written in the same transaction as the
  money change it tells of: a crash cannot separate the two. The bot's relay turns each into
  letters, in one transaction that also marks the event done (bot.chat.relay).
- A letter is one Telegram message to one chat. The postman sends each chat's letters in
  order, one at a time (bot.chat.postman): `pending` -> `sending` before the call -> `sent`
  after it. A letter found `sending` at start-up was in flight at a crash: it is sent again
  (at least once: a receipt twice is better than none; the count is logged).

Progress messages are not letters: the last text each shows is kept on its post
(OrderPost.shown_key) and an edit is made whenever the order's text differs from it, which is
what an edit row marked `sending` and sent again would do, coalesced.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum, StrEnum
from typing import Any

from core.domain import events
from core.domain.events import DomainEvent
from core.domain.model import OrderState


class LetterState(StrEnum):
    PENDING = "pending"  # to send (next_at says when)
    SENDING = "sending"  # the call is being made; found so at start-up, it is sent again
    SENT = "sent"
    HELD = "held"  # a private chat refused it (never started, or blocked): sent on /start
    FAILED = "failed"  # refused for good (the chat is gone, the bot was removed, a bad text)
    EXPIRED = "expired"  # still not sent after GIVE_UP_AFTER


WAITING = (LetterState.PENDING, LetterState.SENDING)
FIRST_RETRY_S = 1.0
MAX_RETRY_S = 60.0  # a letter that keeps failing is tried again at least once a minute
GIVE_UP_AFTER = timedelta(days=3)
KEEP_DONE = timedelta(days=7)  # done events and sent, failed or expired letters, then purged
MAX_HELD = 20  # letters kept for a person who has not started the bot: the newest
RATE_LIMITED = "rate limited"  # a letter's error after flood control: its wait is Telegram's


@dataclass(frozen=True, slots=True)
class Letter:
    """A message to send: `markup` is an inline keyboard's JSON (the Bot API's own form).

    `fallback` is sent instead when a private chat refuses it because the person never
    started the bot: a hint in the groups with a button that opens the bot.
    """

    chat_id: int
    text: str
    kind: str  # receipt, announcement, totals, reminder, hint, ...: for logs and counts
    markup: str | None = None
    fallback: tuple[Letter, ...] = ()
    reply_to: int | None = None  # a message in the same chat it answers

    def body(self) -> str:
        """What is stored (sealed: it may name people)."""
        fallback = [_plain(f) for f in self.fallback]
        return json.dumps({**_plain(self), "fallback": fallback})


def _plain(letter: Letter) -> dict[str, Any]:
    return {
        "chat_id": letter.chat_id,
        "text": letter.text,
        "kind": letter.kind,
        "markup": letter.markup,
        "reply_to": letter.reply_to,
    }


def _letter(found: Mapping[str, Any], chat_id: int, kind: str) -> Letter:
    reply_to = found.get("reply_to")
    return Letter(
        chat_id,
        str(found["text"]),
        kind,
        found.get("markup"),
        reply_to=int(reply_to) if reply_to is not None else None,
    )


def letter_of(kind: str, body: str, chat_id: int | None = None) -> Letter:
    """A stored letter's body back as a Letter; `chat_id` replaces the one in the body (a
    group's letters follow it when it becomes a supergroup)."""
    found = json.loads(body)
    if chat_id is None:
        chat_id = int(found["chat_id"])
    fallback = tuple(
        _letter(f, int(f["chat_id"]), str(f["kind"])) for f in found.get("fallback", ())
    )
    return dataclasses.replace(_letter(found, chat_id, kind), fallback=fallback)


@dataclass(frozen=True, slots=True)
class QueuedLetter:
    id: int
    letter: Letter
    state: LetterState
    tries: int
    next_at: datetime
    created_at: datetime
    error: str | None = None  # what the last failed try met


@dataclass(frozen=True, slots=True)
class QueuedEvent:
    """An event waiting for the relay; `event` is None when this version cannot read it
    (a kind or field it does not know): the relay logs it and lets it go."""

    id: int
    kind: str
    event: DomainEvent | None


@dataclass(frozen=True, slots=True)
class OutboxDepth:
    """What `chipin status` shows: events not yet turned into letters, letters not yet sent
    (held ones apart), and when the oldest of those was written."""

    events: int
    letters: int
    held: int
    oldest_at: datetime | None

    def age_s(self, now: datetime) -> float:
        return max((now - self.oldest_at).total_seconds(), 0.0) if self.oldest_at else 0.0


def retry_delay(tries: int) -> timedelta:
    """Backoff after the `tries`-th failed try: 1 s doubling, at most a minute."""
    return timedelta(seconds=min(FIRST_RETRY_S * 2 ** max(tries - 1, 0), MAX_RETRY_S))


def gives_up(created_at: datetime, now: datetime) -> bool:
    return now - created_at >= GIVE_UP_AFTER


# ---- events as stored ----


# Every event the outbox keeps, by name: those of core.domain.events (the module's own classes;
# a slotted dataclass's first draft lingers among __subclasses__, so that is not asked).
_KINDS: dict[str, type[DomainEvent]] = {
    name: cls
    for name, cls in vars(events).items()
    if isinstance(cls, type) and issubclass(cls, DomainEvent) and cls is not DomainEvent
}


def _value(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def event_body(event: DomainEvent) -> str:
    """The event as JSON: its fields (datetimes in ISO 8601, enums by value)."""
    return json.dumps({f.name: _value(getattr(event, f.name)) for f in dataclasses.fields(event)})


def event_of(kind: str, body: str) -> DomainEvent | None:
    """A stored event back as its class; None when this version cannot read it."""
    cls = _KINDS.get(kind)
    if cls is None:
        return None
    try:
        raw: Mapping[str, Any] = json.loads(body)
        values = {
            f.name: _typed(str(f.type), raw[f.name])
            for f in dataclasses.fields(cls)
            if f.name in raw
        }
        return cls(**values)
    except (TypeError, ValueError, KeyError):
        return None


def _typed(annotation: str, value: Any) -> Any:
    if value is None:
        return None
    if annotation.startswith("datetime"):
        return datetime.fromisoformat(value)
    if annotation.startswith("OrderState"):
        return OrderState(value)
    if annotation.startswith("tuple"):
        return tuple(value)
    return value

"""Domain events reach the bot as custom updates on PTB's update queue (one event loop)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from core.domain.events import DomainEvent

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EngineEvents:
    """A batch of domain events, handled by a TypeHandler like a Telegram update."""

    events: tuple[DomainEvent, ...]


class QueueNotifier:
    """The engine's notifier when the bot runs: events go onto the bot's update queue.

    Before the bot is attached (or without a bot) events are only logged by the engine.
    """

    def __init__(self) -> None:
        self._queue: asyncio.Queue[object] | None = None

    def attach(self, queue: asyncio.Queue[object]) -> None:
        self._queue = queue

    async def publish(self, events: Sequence[DomainEvent]) -> None:
        if self._queue is not None and events:
            await self._queue.put(EngineEvents(tuple(events)))

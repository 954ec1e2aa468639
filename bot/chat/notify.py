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
    """The engine's notifier when the bot runs: events go onto the update queue, made before
    both the engine and the bot (the Application takes updates from it once started)."""

    def __init__(self, queue: asyncio.Queue[object]) -> None:
        self._queue = queue

    async def publish(self, events: Sequence[DomainEvent]) -> None:
        if events:
            await self._queue.put(EngineEvents(tuple(events)))

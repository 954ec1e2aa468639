"""A bounded, in-memory limit on wrong API keys per client address (a sliding window).

Kept in memory on purpose: see docs/RELIABILITY.md, "Guessing passwords and keys".
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable

MAX_FAILURES = 10
WINDOW_S = 60.0
MAX_CLIENTS = 10_000


class KeyGuard:
    """Wrong API keys per client address in a sliding window, in this process's memory.

    Memory is bounded: at most `max_clients` addresses (the one that failed longest ago
    is forgotten first), each with at most `max_failures` times. IPv6 clients count per
    /64, the block one subscriber gets. Right keys are never counted.
    """

    def __init__(
        self,
        max_failures: int = MAX_FAILURES,
        window_s: float = WINDOW_S,
        max_clients: int = MAX_CLIENTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_failures < 1 or window_s <= 0 or max_clients < 1:
            raise ValueError("KeyGuard needs max_failures ≥ 1, window_s > 0, max_clients ≥ 1")
        self.max_failures = max_failures
        self.window_s = window_s
        self.max_clients = max_clients
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._failures)

    def blocked_for_s(self, client: str) -> int | None:
        """Seconds until `client` may try a key again, or None if it may now."""
        seen = self._failures.get(client)
        if seen is None:
            return None
        now = self._clock()
        while seen and seen[0] <= now - self.window_s:
            seen.popleft()
        if not seen:
            del self._failures[client]
            return None
        if len(seen) < self.max_failures:
            return None
        return max(1, math.ceil(seen[0] + self.window_s - now))

    def failed(self, client: str) -> None:
        seen = self._failures.pop(client, None) or deque(maxlen=self.max_failures)
        seen.append(self._clock())
        self._failures[client] = seen  # the newest failure last
        while len(self._failures) > self.max_clients:
            self._failures.popitem(last=False)

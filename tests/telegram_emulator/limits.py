"""Flood control like Telegram's: a per-chat token bucket, a per-group window and a global one."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class FloodLimits:
    """Telegram's published limits; every number can be tightened or relaxed by a test."""

    chat_burst: int = 3  # messages a chat may receive back to back
    chat_rate_per_s: float = 1.0  # sustained messages per second in one chat
    group_max: int = 20  # messages (sends and edits) per group per window
    group_window_s: float = 60.0
    global_max: int = 30  # messages per bot per window, all chats together
    global_window_s: float = 1.0

    @classmethod
    def unlimited(cls) -> FloodLimits:
        big = 10**9
        return cls(chat_burst=big, chat_rate_per_s=big, group_max=big, global_max=big)


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


@dataclass(slots=True)
class _Window:
    size: int
    span_s: float
    times: deque[float] = field(default_factory=deque)

    def wait_s(self, now: float) -> float:
        while self.times and self.times[0] <= now - self.span_s:
            self.times.popleft()
        if len(self.times) < self.size:
            return 0.0
        return self.times[0] + self.span_s - now


class FloodControl:
    """Admits a message or tells how long to wait; a refused message consumes nothing."""

    def __init__(self, limits: FloodLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._buckets: dict[int, _Bucket] = {}
        self._groups: dict[int, _Window] = {}
        self._global = _Window(limits.global_max, limits.global_window_s)

    def admit(self, chat_id: int, is_group: bool) -> int | None:
        """None when the message may go now (and it is counted), else `retry_after` seconds."""
        now = self._clock()
        bucket = self._refill(chat_id, now)
        waits = [self._global.wait_s(now)]
        if bucket.tokens < 1:
            waits.append((1 - bucket.tokens) / self.limits.chat_rate_per_s)
        group = self._group(chat_id) if is_group else None
        if group is not None:
            waits.append(group.wait_s(now))
        wait = max(waits)
        if wait > 0:
            return max(1, math.ceil(wait))
        bucket.tokens -= 1
        self._global.times.append(now)
        if group is not None:
            group.times.append(now)
        return None

    def _refill(self, chat_id: int, now: float) -> _Bucket:
        burst = self.limits.chat_burst
        bucket = self._buckets.setdefault(chat_id, _Bucket(tokens=burst, at=now))
        gained = (now - bucket.at) * self.limits.chat_rate_per_s
        bucket.tokens = min(float(burst), bucket.tokens + gained)
        bucket.at = now
        return bucket

    def _group(self, chat_id: int) -> _Window:
        window = self._groups.get(chat_id)
        if window is None:
            window = _Window(self.limits.group_max, self.limits.group_window_s)
            self._groups[chat_id] = window
        return window

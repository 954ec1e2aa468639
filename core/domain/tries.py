"""Counted tries of a secret: the limits, lock-outs and per-order ceiling as values and pure
decisions. core.usecases.tries applies them, under the subject's row lock, to every counted try."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from core.domain.errors import DomainError, LockedOut
from core.domain.model import OrderId

# A try taken and not resolved within this time (a crash, a kill -9 between statements) no
# longer counts: a check is one scrypt, well under a second.
TRY_TTL_S = 60
MAX_LOCK_S = 24 * 3600  # a lock-out doubles up to a day: past that it only locks the owner out
BUSY_S = 60  # out of tries only because others are being checked right now: wait this long
ORDER_GUESSES_A_DAY = 100  # wrong passwords of one order, from every source, before it is slowed
SLOW_TRY_S = 60  # an order under attack: one try a minute for each source


@dataclass(frozen=True, slots=True)
class Ceiling:
    """An order password guessed from many sources: past `failures` wrong tries within
    `window_s` of the first one, the order is under attack (its payee is told once): each
    source may try once every `slow_s` only (a source that has not tried yet, at once), and
    each wrong try locks its source at once (a source that has not failed, never).
    """

    order_id: OrderId
    failures: int = ORDER_GUESSES_A_DAY
    window_s: int = 24 * 3600
    slow_s: int = SLOW_TRY_S


@dataclass(frozen=True, slots=True)
class TryRules:
    """How one subject's tries count.

    `subject` says whose tries (a payer's payment password, an order password from one
    source, a payee's code look-ups); storage keeps it as a blind index. `max_failures`
    wrong tries lock it for lock_span_s(lock_s, earlier lock-outs). `what` names the
    failures in the lock-out message. A right try resets the counters when
    `reset_on_right` (a payment password: its owner proved who they are), else it only
    gives its try back. `ceiling`: the order whose password this is.
    """

    subject: str
    max_failures: int
    lock_s: int
    what: str = "wrong passwords"
    reset_on_right: bool = False
    ceiling: Ceiling | None = None


@dataclass(frozen=True, slots=True)
class TryCounters:
    """A subject's counters as read under its row lock; `pending` counts its tries taken and
    not yet resolved (younger than TRY_TTL_S), which count against the limit too."""

    failures: int = 0
    lockouts: int = 0
    locked_until: datetime | None = None
    last_try_at: datetime | None = None
    pending: int = 0


@dataclass(frozen=True, slots=True)
class GuessWindow:
    """An order's wrong passwords from every source since `started_at`, and when they reached
    the ceiling in this window (None: not yet)."""

    started_at: datetime
    failures: int
    attacked_at: datetime | None

    def current(self, ceiling: Ceiling, now: datetime) -> bool:
        return now < self.started_at + timedelta(seconds=ceiling.window_s)

    def under_attack(self, ceiling: Ceiling, now: datetime) -> bool:
        return self.attacked_at is not None and self.current(ceiling, now)


@dataclass(frozen=True, slots=True)
class Wrong:
    """A check's answer when the secret was wrong: the refusal to raise once it is counted."""

    error: DomainError


@dataclass(frozen=True, slots=True)
class Failed:
    """A wrong try, counted: its refusal, the tries left, and the lock-out now in force."""

    error: DomainError
    tries_left: int
    locked: LockedOut | None

    @property
    def refusal(self) -> DomainError:
        return self.locked or self.error


@dataclass(frozen=True, slots=True)
class PasswordLocks:
    """What a payee sees of the guesses at an order's password: wrong tries in the current
    window (a day from the first), sources locked out now, and since when it is under attack
    (None: it is not)."""

    failures_today: int
    locked_sources: int
    under_attack_since: datetime | None


def lock_span_s(lock_s: int, lockouts: int) -> int:
    """How long the next lock-out lasts: lock_s, doubled for each earlier one, at most a day.

    Unbounded, 15 min × 2^29 is past the year 9999 and datetime arithmetic overflows.
    """
    doubled = lock_s * int(2 ** min(lockouts, 32))
    return min(doubled, max(lock_s, MAX_LOCK_S))


def locked_out(
    until: datetime | None, now: datetime, what: str = "wrong passwords"
) -> LockedOut | None:
    """The refusal while a lock-out lasts; None once it is over."""
    if until is None or until <= now:
        return None
    seconds = math.ceil((until - now).total_seconds())
    minutes = math.ceil(seconds / 60)
    return LockedOut(
        f"too many {what}; locked for {minutes} min", until=until, retry_after_s=seconds
    )


def refusal(
    rules: TryRules, tries: TryCounters, window: GuessWindow | None, now: datetime
) -> LockedOut | None:
    """Why no try may be taken now (None: it may): locked out, out of tries while others
    are being checked, or (an order under attack) tried less than a minute ago."""
    locked = locked_out(tries.locked_until, now, rules.what)
    if locked is not None:
        return locked
    if tries.failures + tries.pending >= rules.max_failures:
        return LockedOut(
            "too many tries at once; wait a minute and try again", retry_after_s=BUSY_S
        )
    ceiling = rules.ceiling
    if ceiling is None or window is None or tries.last_try_at is None:
        return None
    next_at = tries.last_try_at + timedelta(seconds=ceiling.slow_s)
    if not window.under_attack(ceiling, now) or next_at <= now:
        return None
    seconds = math.ceil((next_at - now).total_seconds())
    return LockedOut(
        f"this order's password is being guessed: one try a minute; try again in {seconds} s",
        retry_after_s=seconds,
    )


def after_failure(
    rules: TryRules, tries: TryCounters, now: datetime, *, attacked: bool = False
) -> TryCounters:
    """The counters once a wrong try is counted: one failure more, or the next lock-out;
    `attacked` (its order's password is under attack): the next lock-out at once."""
    failures = tries.failures + 1
    if failures < rules.max_failures and not attacked:
        return replace(tries, failures=failures)
    until = now + timedelta(seconds=lock_span_s(rules.lock_s, tries.lockouts))
    return replace(tries, failures=0, lockouts=tries.lockouts + 1, locked_until=until)


def after_right(rules: TryRules, tries: TryCounters) -> TryCounters:
    """The counters once a right try is resolved; it never slows the next one down."""
    if rules.reset_on_right:
        return replace(tries, failures=0, lockouts=0, last_try_at=None)
    return replace(tries, last_try_at=None)


def tries_left(rules: TryRules, after: TryCounters, now: datetime) -> int:
    if after.locked_until is not None and after.locked_until > now:
        return 0
    return max(rules.max_failures - after.failures, 0)

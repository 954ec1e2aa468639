"""Counted tries stay consistent whatever is thrown at them: arbitrary text as the secret,
exceptions in the check and in each store call around it, cancellations mid-check, time.

For each of the four checks (core.usecases.tries), a random run is replayed against a model of
the rules: failures are exactly the wrong tries counted since the last lock-out or reset, a
refusal happens only while the subject is locked or out of tries, no try stays counted a
minute after it was taken, and the right secret works whenever the subject is not locked.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.domain.errors import Conflict, LockedOut
from core.domain.tries import TRY_TTL_S, lock_span_s
from tests.fuzz.conftest import fuzz_examples
from tests.support.guarded import KINDS, Guarded, StoreFault, guarded
from tests.support.harness import Rig

# Every store call of a try: taking it, resolving it right or wrong, or giving it back.
STORE_CALLS = (
    "lock_tries",
    "guess_window",
    "add_pending_try",
    "drop_pending_try",
    "set_tries",
    "count_guess",
    "mark_under_attack",
)
ERRORS = (
    RuntimeError("a bug in the check"),
    UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed"),
    ConnectionResetError("the database went away"),
    TimeoutError(),
    Conflict("a race lost inside the check"),
)

steps = st.one_of(
    st.tuples(st.just("right")),
    st.tuples(st.just("wrong")),
    st.tuples(st.just("text"), st.text(max_size=40)),
    st.tuples(st.just("raise"), st.sampled_from(ERRORS)),
    st.tuples(st.just("cancel")),
    st.tuples(st.just("cancel_resolving"), st.booleans()),
    st.tuples(
        st.just("store"),
        st.sampled_from(STORE_CALLS),
        st.integers(min_value=0, max_value=2),
        st.booleans(),
    ),
    st.tuples(st.just("wait"), st.sampled_from([1, 30, 59, 60, 61, 899, 901, 3600, 86_400])),
)


@dataclass
class Model:
    """What the counters must be, by the rules of core.domain.tries."""

    max_failures: int
    lock_s: int
    reset_on_right: bool
    failures: int = 0
    lockouts: int = 0
    locked_until: datetime | None = None
    lingering: list[datetime] = field(default_factory=list)  # tries whose resolution failed

    def live(self, now: datetime) -> int:
        return sum(1 for t in self.lingering if t > now - timedelta(seconds=TRY_TTL_S))

    def refuses(self, now: datetime) -> bool:
        locked = self.locked_until is not None and self.locked_until > now
        return locked or self.failures + self.live(now) >= self.max_failures

    def wrong(self, now: datetime) -> bool:
        """Count a wrong try; True if it locked the subject."""
        self.failures += 1
        if self.failures < self.max_failures:
            return False
        self.locked_until = now + timedelta(seconds=lock_span_s(self.lock_s, self.lockouts))
        self.failures, self.lockouts = 0, self.lockouts + 1
        return True

    def right(self) -> None:
        if self.reset_on_right:
            self.failures = self.lockouts = 0


async def _outcome(attempt: asyncio.Future[object]) -> BaseException | None:
    try:
        await attempt
    except BaseException as exc:  # the step's outcome, whatever it is, is judged below
        return exc
    return None


async def _run(check: Guarded, step: tuple[object, ...]) -> BaseException | None:
    faults, kind = check.faults, step[0]
    if kind == "wait":
        check.rig.clock.advance(seconds=int(str(step[1])))
        return None
    if kind == "raise":
        faults.check = step[1] if isinstance(step[1], BaseException) else None
    if kind == "store":
        faults.store_call, faults.store_at = str(step[1]), int(str(step[2]))
    if kind in ("cancel", "cancel_resolving"):
        faults.release = asyncio.Event()
    if kind == "cancel_resolving":
        faults.slow_call = "set_tries"  # called by every resolution, and by nothing else
    if kind == "text":
        attempt = asyncio.ensure_future(check.attempt(str(step[1])))
    elif _expected(check, step) == "right":
        attempt = asyncio.ensure_future(check.right())
    else:
        attempt = asyncio.ensure_future(check.wrong())
    if faults.release is not None:
        await _cancel_once_started(attempt, faults.started, faults.release)
    outcome = await _outcome(attempt)
    faults.clear()
    return outcome


async def _cancel_once_started(
    attempt: asyncio.Future[object], started: asyncio.Event, release: asyncio.Event
) -> None:
    """Cancel the attempt (twice) once it waits in the check or the store, then let it go on."""
    waiting: asyncio.Future[Any] = asyncio.ensure_future(started.wait())
    both: list[asyncio.Future[Any]] = [attempt, waiting]
    await asyncio.wait(both, return_when=asyncio.FIRST_COMPLETED)
    waiting.cancel()
    attempt.cancel()
    await asyncio.sleep(0)
    attempt.cancel()
    release.set()


def _expected(check: Guarded, step: tuple[object, ...]) -> str:
    """What the secret of this step is: 'right', 'wrong' or 'uncounted'."""
    if step[0] == "text":
        return check.judge(str(step[1]))
    right = step[0] == "right" or (step[0] in ("store", "cancel_resolving") and step[-1])
    return "right" if right else "wrong"


async def _replay(check: Guarded, run: list[tuple[object, ...]]) -> None:
    model = Model(check.rules.max_failures, check.rules.lock_s, check.rules.reset_on_right)
    for step in run:
        now = check.rig.clock.now()
        before = await check.counters()
        assert before.pending == model.live(now), step
        refused = model.refuses(now)
        outcome = await _run(check, step)
        if step[0] == "wait":
            continue
        _judge(check, model, step, outcome, refused, now)
        after = await check.counters()
        assert (after.failures, after.lockouts) == (model.failures, model.lockouts), step
        assert after.locked_until == model.locked_until, step
        if isinstance(outcome, StoreFault) and after.pending == before.pending + 1:
            model.lingering.append(now)  # its resolution failed: it counts for a minute
        assert after.pending == model.live(now), (step, outcome)
    await _settle(check, model)


def _judge(
    check: Guarded,
    model: Model,
    step: tuple[object, ...],
    outcome: BaseException | None,
    refused: bool,
    now: datetime,
) -> None:
    """Check the step's outcome against the model, and count it there."""
    secret = _expected(check, step)
    if secret == "uncounted":
        assert not isinstance(outcome, LockedOut | StoreFault | asyncio.CancelledError), outcome
    elif isinstance(outcome, StoreFault):
        pass  # a store call failed (even the one that would refuse): rolled back, no count
    elif refused:
        assert isinstance(outcome, LockedOut), (step, outcome)
    elif step[0] in ("raise", "cancel"):
        assert outcome is not None, step  # the check raised: given back, raised again
    elif secret == "right":
        assert outcome is None or _cancelled_resolving(step, outcome), (step, outcome)
        model.right()
    elif model.wrong(now):
        assert isinstance(outcome, LockedOut) or _cancelled_resolving(step, outcome), step
    else:
        wrong = isinstance(outcome, check.wrong_error)
        assert wrong or _cancelled_resolving(step, outcome), (step, outcome)
    if step[0] == "cancel_resolving" and not refused:
        assert isinstance(outcome, asyncio.CancelledError), (step, outcome)


def _cancelled_resolving(step: tuple[object, ...], outcome: BaseException | None) -> bool:
    """Cancelled while its resolution ran: resolved all the same, then cancelled."""
    return step[0] == "cancel_resolving" and isinstance(outcome, asyncio.CancelledError)


async def _settle(check: Guarded, model: Model) -> None:
    """A minute later no try is pending; once any lock-out ends, the right secret works."""
    check.rig.clock.advance(seconds=TRY_TTL_S)
    assert (await check.counters()).pending == 0
    if model.locked_until is not None and model.locked_until > check.rig.clock.now():
        check.rig.clock.at = model.locked_until
    await check.right()
    after = await check.counters()
    assert after.failures == (0 if model.reset_on_right else model.failures)


@pytest.mark.parametrize("kind", KINDS)
@settings(
    max_examples=fuzz_examples(6),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(run=st.lists(steps, min_size=1, max_size=25))
async def test_counted_tries_stay_consistent_whatever_is_thrown_at_them(
    rig: Rig, kind: str, run: list[tuple[object, ...]]
) -> None:
    await _replay(await guarded(kind, rig), run)

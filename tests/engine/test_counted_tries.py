"""Every counted try is resolved (core.usecases.tries): a check that raises or is cancelled gives
its
try back, a try left hanging by a crash lapses after a minute, and text that cannot be a
password is refused before any try is counted. For all four checks, on every store."""

from __future__ import annotations

import asyncio

import pytest

from core.domain.errors import InvalidInput, LockedOut
from core.domain.tries import TRY_TTL_S
from tests.support.guarded import KINDS, Guarded, StoreFault, guarded
from tests.support.harness import Rig, request

ORDER_PASSWORD = "open sesame"


@pytest.fixture(params=KINDS)
async def check(rig: Rig, request: pytest.FixtureRequest) -> Guarded:
    return await guarded(request.param, rig)


async def test_passwords_that_are_not_text_never_lock_the_order(rig: Rig) -> None:
    payee = await rig.payee()
    token = (await rig.engine.create_order(payee, request(password=ORDER_PASSWORD))).order.token
    for i in range(12):
        with pytest.raises(InvalidInput) as refused:
            await rig.engine.reserve(token, f"mallory{i}", password="\ud800", source="ip:1")
        assert refused.value.field == "password"
    held = await rig.engine.reserve(token, "ann", password=ORDER_PASSWORD, source="ip:1")
    assert held.created


async def test_secrets_that_are_not_text_are_refused_uncounted(rig: Rig) -> None:
    await rig.engine.set_pin("tg:1", "204913")
    payee = await rig.payee()
    for _ in range(12):
        with pytest.raises(InvalidInput, match="cannot be stored"):
            await rig.engine.verify_pin("tg:1", "20491\udfff")
        with pytest.raises(InvalidInput, match="cannot be stored"):
            await rig.engine.lookup_code("K7PQ-\ud83d", payee)
    await rig.engine.verify_pin("tg:1", "204913")
    async with rig.store.transaction() as tx:
        auth = await tx.payers.get_payer_auth("tg:1")
    assert auth is not None
    assert auth.failures == 0


async def test_checks_that_raise_give_their_try_back(check: Guarded) -> None:
    """A check that raises (a hash of text that cannot be encoded, a lost connection) is no
    failure: twice the limit of them, and the right secret still works."""
    for _ in range(2 * check.rules.max_failures):
        check.faults.check = UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")
        with pytest.raises(UnicodeEncodeError):
            await check.wrong()
    check.faults.clear()
    assert (await check.counters()).pending == 0
    await check.right()
    assert (await check.counters()).failures == 0


async def test_a_cancelled_check_gives_its_try_back_before_the_cancel_goes_on(
    check: Guarded,
) -> None:
    for _ in range(check.rules.max_failures + 1):
        check.faults.release = asyncio.Event()
        attempt = asyncio.ensure_future(check.right())
        await check.faults.started.wait()
        attempt.cancel()
        with pytest.raises(asyncio.CancelledError):
            await attempt
        assert (await check.counters()).pending == 0  # resolved before the cancel went on
        check.faults.clear()
    await check.right()


@pytest.mark.parametrize("secret", ["right", "wrong"])
async def test_a_try_resolves_even_if_its_request_is_cancelled_meanwhile(
    check: Guarded, secret: str
) -> None:
    """The resolution is under way (the store is slow) when the request is cancelled, twice:
    it still completes, and only then does the cancellation go on."""
    check.faults.slow_call, check.faults.release = "set_tries", asyncio.Event()
    attempt = asyncio.ensure_future(check.right() if secret == "right" else check.wrong())
    await check.faults.started.wait()
    attempt.cancel()
    await asyncio.sleep(0)
    attempt.cancel()
    check.faults.release.set()
    with pytest.raises(asyncio.CancelledError):
        await attempt
    counters = await check.counters()
    assert (counters.pending, counters.failures) == (0, 0 if secret == "right" else 1)


async def test_a_try_left_hanging_by_a_crash_lapses_after_a_minute(check: Guarded) -> None:
    """A crash between the try and its resolution (here: the store fails on every resolution
    and on the give-back) leaves tries pending; they count for a minute, then no more."""
    for _ in range(check.rules.max_failures):
        check.faults.store_call, check.faults.store_at = "drop_pending_try", 0
        check.faults.check = RuntimeError("the process dies here")
        with pytest.raises(RuntimeError):
            await check.wrong()
    check.faults.clear()
    assert (await check.counters()).pending == check.rules.max_failures
    with pytest.raises(LockedOut, match="too many tries at once"):
        await check.right()
    check.rig.clock.advance(seconds=TRY_TTL_S)
    await check.right()
    assert (await check.counters()).failures == 0


async def test_a_failure_the_store_could_not_count_lapses(check: Guarded) -> None:
    check.faults.store_call, check.faults.store_at = "set_tries", 0
    with pytest.raises(StoreFault):
        await check.wrong()
    assert (await check.counters()).failures == 0
    check.rig.clock.advance(seconds=TRY_TTL_S)
    assert (await check.counters()).pending == 0
    with pytest.raises(check.wrong_error):
        await check.wrong()
    assert (await check.counters()).failures == 1

"""Passkey challenges: single use, two minutes, bound to the payer and the sub-order; failures
lock payments out like wrong passwords; a counter that goes backwards is refused."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass

import pytest

from core.domain.errors import LockedOut, NotAllowed, NotFound, Unavailable, WrongPassword
from core.domain.passkeys import Passkey, PasskeyRefused, PayerVerified, VerifyLink
from core.usecases.deps import OrderView
from core.usecases.engine import Engine
from tests.support.fakes.ceremony import FakeCeremony, answer
from tests.support.harness import Rig, request

PIN = "204913"
ANN, BOB = "tg:101", "tg:202"
CRED_ANN, CRED_BOB = b"cred-ann", b"cred-bob"


@dataclass
class World:
    rig: Rig
    engine: Engine
    order: OrderView
    other: OrderView

    async def check_link(self, payer: str = ANN, order: OrderView | None = None) -> str:
        token = (order or self.order).order.token
        return await self.engine.open_passkey_check(payer, token, [payer])

    async def failures(self, payer: str = ANN) -> int:
        async with self.rig.store.transaction() as tx:
            auth = await tx.payers.get_payer_auth(payer)
        assert auth is not None
        return auth.failures


async def _enrol(engine: Engine, payer: str, credential: bytes) -> None:
    await engine.set_pin(payer, PIN)
    link = await engine.open_enrolment(payer, PIN)
    options = await engine.passkey_options(link)
    await engine.finish_enrolment(link, answer(options, credential, 0), "Mozilla (iPhone) Safari")


@pytest.fixture
async def world(rig: Rig) -> World:
    engine = rig.swap(passkeys=FakeCeremony()).engine
    await _enrol(engine, ANN, CRED_ANN)
    await _enrol(engine, BOB, CRED_BOB)
    payee = await rig.payee()
    order = await engine.create_order(payee, request("90", 3))
    other = await engine.create_order(payee, request("40", 2, title="Taxi"))
    return World(rig, engine, order, other)


async def _refusal(world: World, link: str, response: str) -> str:
    with pytest.raises(PasskeyRefused) as refused:
        await world.engine.finish_passkey_check(link, response)
    return str(refused.value.fields["reason"])


async def test_a_passkey_check_verifies_the_payer_for_their_part(world: World) -> None:
    (key,) = await world.engine.passkeys_of(ANN)
    assert (key.device_name, key.sign_count) == ("Safari on iPhone", 0)
    link = await world.check_link()
    options = await world.engine.passkey_options(link)
    await world.engine.finish_passkey_check(link, answer(options, CRED_ANN, 0))
    (event,) = world.rig.notifier.of(PayerVerified)
    assert event == PayerVerified(
        order_id=world.order.order.id,
        at=world.rig.clock.now(),
        payer_ref=ANN,
        sub_order_id=world.order.subs[0].id,
        order_token=world.order.order.token,
    )
    assert await world.failures() == 0


async def test_a_used_challenge_cannot_be_used_again(world: World) -> None:
    link = await world.check_link()
    options = await world.engine.passkey_options(link)
    response = answer(options, CRED_ANN, 1)
    await world.engine.finish_passkey_check(link, response)
    again = await world.check_link()
    assert await _refusal(world, again, response) == "unknown_challenge"
    assert await world.failures() == 1
    assert len(world.rig.notifier.of(PayerVerified)) == 1


async def test_a_challenge_refused_on_the_device_is_used_up(world: World) -> None:
    link = await world.check_link()
    options = await world.engine.passkey_options(link)
    challenge = answer(options, CRED_ANN, 1)
    with pytest.raises(PasskeyRefused, match="not_verified"):
        await world.engine.passkey_not_verified(link, json.loads(challenge)["challenge"])
    assert await _refusal(world, link, challenge) == "unknown_challenge"
    assert await world.failures() == 2


async def test_a_challenge_expires_after_two_minutes(world: World) -> None:
    link = await world.check_link()
    options = await world.engine.passkey_options(link)
    world.rig.clock.advance(seconds=119)
    late = await world.check_link()
    fresh = await world.engine.passkey_options(late)
    world.rig.clock.advance(seconds=1)
    assert await _refusal(world, link, answer(options, CRED_ANN, 1)) == "expired"
    await world.engine.finish_passkey_check(late, answer(fresh, CRED_ANN, 1))
    assert len(world.rig.notifier.of(PayerVerified)) == 1


async def test_a_challenge_of_another_payer_does_not_count(world: World) -> None:
    bobs = await world.check_link(BOB)
    options = await world.engine.passkey_options(bobs)
    anns = await world.check_link()
    # Ann's page is sent Bob's challenge, signed by Bob's passkey or by Ann's: refused.
    assert await _refusal(world, anns, answer(options, CRED_BOB, 1)) == "wrong_payer"
    assert await world.failures(ANN) == 1
    assert await world.failures(BOB) == 0
    assert world.rig.notifier.of(PayerVerified) == []


async def test_a_challenge_for_another_sub_order_does_not_count(world: World) -> None:
    taxi = await world.check_link(order=world.other)
    options = await world.engine.passkey_options(taxi)
    dinner = await world.check_link()
    assert await _refusal(world, dinner, answer(options, CRED_ANN, 1)) == "wrong_sub_order"
    assert world.rig.notifier.of(PayerVerified) == []


async def test_another_payers_passkey_is_refused(world: World) -> None:
    link = await world.check_link()
    options = await world.engine.passkey_options(link)
    assert await _refusal(world, link, answer(options, CRED_BOB, 1)) == "unknown_passkey"


async def test_a_counter_that_goes_backwards_is_refused_and_reported(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    link = await world.check_link()
    await world.engine.finish_passkey_check(
        link, answer(await world.engine.passkey_options(link), CRED_ANN, 7)
    )
    copy = await world.check_link()
    options = await world.engine.passkey_options(copy)
    with caplog.at_level(logging.WARNING, logger="core.usecases.passkeys"):
        assert await _refusal(world, copy, answer(options, CRED_ANN, 5)) == "counter_went_back"
    assert "sign counter went back from 7 to 5" in caplog.text
    (key,) = await world.engine.passkeys_of(ANN)
    assert key.sign_count == 7
    assert len(world.rig.notifier.of(PayerVerified)) == 1


async def test_failed_passkey_checks_lock_payments_like_wrong_passwords(world: World) -> None:
    await world.engine.verify_pin(ANN, PIN)
    with pytest.raises(WrongPassword):
        await world.engine.verify_pin(ANN, "739155")
    tries: list[object] = []
    for _ in range(4):
        link = await world.check_link()
        options = await world.engine.passkey_options(link)
        try:
            await world.engine.finish_passkey_check(link, answer(options, CRED_ANN, 1, valid=False))
        except PasskeyRefused as exc:
            tries.append(exc.fields["tries_left"])
        except LockedOut:
            tries.append("locked")
    assert tries == [3, 2, 1, "locked"]
    with pytest.raises(LockedOut):
        await world.engine.verify_pin(ANN, PIN)
    with pytest.raises(LockedOut):
        await world.check_link()


async def test_a_link_is_one_time_and_for_its_own_ceremony(world: World) -> None:
    link = await world.check_link()
    await world.engine.finish_passkey_check(
        link, answer(await world.engine.passkey_options(link), CRED_ANN, 1)
    )
    with pytest.raises(NotFound):
        await world.engine.passkey_options(link)
    with pytest.raises(NotFound):
        await world.engine.passkey_options("not-a-link")
    enrol = await world.engine.open_enrolment(ANN, PIN)
    with pytest.raises(NotFound):
        await world.engine.finish_passkey_check(enrol, "{}")


async def test_enrolment_needs_the_right_payment_password(world: World) -> None:
    with pytest.raises(WrongPassword):
        await world.engine.open_enrolment(ANN, "739155")
    with pytest.raises(NotAllowed):
        await world.engine.open_enrolment("tg:999", PIN)  # no payment password yet


async def test_a_payer_without_a_passkey_gets_no_check(world: World) -> None:
    await world.engine.set_pin("tg:303", PIN)
    with pytest.raises(NotAllowed):
        await world.check_link("tg:303")


async def test_removing_a_passkey_stops_its_checks(world: World) -> None:
    link = await world.check_link()
    options = await world.engine.passkey_options(link)
    (key,) = await world.engine.passkeys_of(ANN)
    assert not await world.engine.remove_passkey(BOB, key.id)
    assert await world.engine.remove_passkey(ANN, key.id)
    assert await _refusal(world, link, answer(options, CRED_ANN, 1)) == "unknown_passkey"


async def test_without_a_secure_public_url_passkeys_are_off(rig: Rig) -> None:
    assert not rig.engine.passkeys_on
    await rig.engine.set_pin(ANN, PIN)
    with pytest.raises(Unavailable):
        await rig.engine.open_enrolment(ANN, PIN)
    assert await rig.engine.passkeys_of(ANN) == []


@pytest.mark.parametrize("count", [0, 3])
async def test_two_tabs_finishing_at_once_verify_the_payment_once(world: World, count: int) -> None:
    """One link opened twice: each tab gets its own challenge; both answers are checked before
    either is stored (a barrier holds them there), so both race to record their success."""
    link = await world.check_link()
    barrier, use = asyncio.Barrier(2), world.engine._passkeys._use

    async def together(link: VerifyLink, key: tuple[Passkey, int]) -> bool:
        await barrier.wait()
        return await use(link, key)

    world.engine._passkeys._use = together  # type: ignore[method-assign]
    first = answer(await world.engine.passkey_options(link), CRED_ANN, count)
    second = answer(await world.engine.passkey_options(link), CRED_ANN, count + 1 if count else 0)
    results = await asyncio.gather(
        world.engine.finish_passkey_check(link, first),
        world.engine.finish_passkey_check(link, second),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["NoneType", "PasskeyRefused"]
    (lost,) = [r for r in results if isinstance(r, PasskeyRefused)]
    # the other tab won: not a copied key, whatever the counters said
    assert lost.fields["reason"] == "unknown_challenge"
    assert len(world.rig.notifier.of(PayerVerified)) == 1
    with pytest.raises(NotFound):
        await world.engine.passkey_options(link)

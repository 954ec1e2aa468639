"""The outbox on every store: events are written in the transaction of the change they tell of,
turned into letters once, and each chat's letters go one at a time, in order, until sent,
held, failed for good or expired."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.domain.events import HoldReleased, OrderClosed, SubOrderPaid, SubOrderRefunded
from core.domain.model import OrderState
from core.domain.outbox import (
    GIVE_UP_AFTER,
    KEEP_DONE,
    MAX_HELD,
    RATE_LIMITED,
    Letter,
    LetterState,
)
from storage.store import SqlStore
from storage.tables import outbox_letters
from tests.support.harness import Rig, build_rig, open_store, request

GROUP, ANN, BOB = -100, 1, 2


@pytest.fixture
async def rig(store_url: str | None) -> AsyncIterator[Rig]:
    async with open_store(store_url) as store:
        yield build_rig(store)


async def _paid_order(rig: Rig, n: int = 2, paid: int = 1) -> str:
    payee = await rig.payee()
    view = await rig.engine.create_order(payee, request(total="20", payers=n))
    for i in range(paid):
        res = await rig.engine.reserve(view.order.token, f"tg:{10 + i}", source=f"s{i}")
        assert res.sub.checkout_ref is not None
        await rig.engine.apply_event(rig.gateway.pay(res.sub.checkout_ref))
    return view.order.id


async def _kinds(rig: Rig) -> list[str]:
    return [type(q.event).__name__ for q in await rig.engine.due_events()]


async def test_a_settlement_writes_what_it_tells_in_its_own_transaction(rig: Rig) -> None:
    order_id = await _paid_order(rig, n=2, paid=2)
    due = await rig.engine.due_events()
    assert [type(q.event) for q in due] == [SubOrderPaid, SubOrderPaid, OrderClosed]
    paid = due[0].event
    assert isinstance(paid, SubOrderPaid)
    assert (paid.order_id, paid.amount_minor, paid.payer_ref) == (order_id, 1000, "tg:10")
    closed = due[2].event
    assert isinstance(closed, OrderClosed)
    assert (closed.state, closed.paid_count, closed.paid_minor) == (OrderState.COMPLETED, 2, 2000)


async def test_a_duplicate_webhook_tells_nothing_twice(rig: Rig) -> None:
    payee = await rig.payee()
    view = await rig.engine.create_order(payee, request(total="20", payers=2))
    res = await rig.engine.reserve(view.order.token, "tg:10", source="s")
    assert res.sub.checkout_ref is not None
    paid = rig.gateway.pay(res.sub.checkout_ref)
    await rig.engine.apply_event(paid)
    await rig.engine.apply_event(paid)
    assert await _kinds(rig) == ["SubOrderPaid"]


async def test_a_failing_notifier_loses_no_event(rig: Rig) -> None:
    async def broken(events: object) -> None:
        raise RuntimeError("the process died before telling anyone")

    rig.notifier.publish = broken  # type: ignore[method-assign]
    await _paid_order(rig, n=1, paid=1)
    assert await _kinds(rig) == ["SubOrderPaid", "OrderClosed"]


async def test_cancelling_expiring_and_letting_holds_go_are_written_too(rig: Rig) -> None:
    payee = await rig.payee()
    view = await rig.engine.create_order(
        payee, replace(request(total="30", payers=3), valid_s=3600)
    )
    res = await rig.engine.reserve(view.order.token, "tg:10", source="s1")
    assert res.sub.checkout_ref is not None
    await rig.engine.apply_event(rig.gateway.pay(res.sub.checkout_ref))
    await rig.engine.reserve(view.order.token, "tg:11", source="s2")
    await rig.engine.release_part(view.order.id, 1, payee)
    await rig.engine.cancel_order(view.order.id, payee)
    kinds = await _kinds(rig)
    assert kinds[:2] == ["SubOrderPaid", "HoldReleased"]
    assert "SubOrderRefunded" in kinds
    assert kinds[-1] == "OrderClosed"
    released = (await rig.engine.due_events())[1].event
    assert isinstance(released, HoldReleased)
    assert released.by_payee

    other = await rig.engine.create_order(
        payee, replace(request(total="10", payers=1), valid_s=3600)
    )
    rig.clock.advance(hours=2)
    await rig.engine.expire_due()
    last = (await rig.engine.due_events())[-1].event
    assert isinstance(last, OrderClosed)
    assert (last.order_id, last.state) == (other.order.id, OrderState.EXPIRED)
    refunded = [q.event for q in await rig.engine.due_events()]
    assert any(isinstance(e, SubOrderRefunded) for e in refunded)


async def test_an_event_becomes_letters_once(rig: Rig) -> None:
    await _paid_order(rig, n=2, paid=1)
    [queued] = await rig.engine.due_events()
    letter = Letter(BOB, "Paid", "receipt")
    assert await rig.engine.finish_event(queued.id, [letter])
    assert not await rig.engine.finish_event(queued.id, [letter])  # a second relay lost
    assert await rig.engine.due_events() == []
    assert [q.letter for q in await rig.engine.due_letters()] == [letter]


async def _queue(rig: Rig, *letters: Letter) -> None:
    await _paid_order(rig, n=2, paid=1)
    [queued] = await rig.engine.due_events()
    assert await rig.engine.finish_event(queued.id, letters)


async def test_a_chats_letters_go_one_at_a_time_in_order(rig: Rig) -> None:
    first, second, elsewhere = (
        Letter(GROUP, "1", "a"),
        Letter(GROUP, "2", "b"),
        Letter(ANN, "x", "c"),
    )
    await _queue(rig, first, second, elsewhere)
    heads = await rig.engine.due_letters()
    assert [q.letter for q in heads] == [first, elsewhere]
    assert await rig.engine.letter_sending(heads[0].id)
    assert not await rig.engine.letter_sending(heads[0].id)  # taken already
    # still in flight: the chat's second letter waits for it
    assert [q.letter for q in await rig.engine.due_letters()] == [first, elsewhere]
    await rig.engine.letter_sent(heads[0].id)
    assert [q.letter for q in await rig.engine.due_letters()] == [second, elsewhere]


async def test_a_failing_letter_backs_off_then_expires_and_blocks_its_chat_meanwhile(
    rig: Rig,
) -> None:
    await _queue(rig, Letter(GROUP, "1", "a"), Letter(GROUP, "2", "b"))
    [head] = await rig.engine.due_letters()
    await rig.engine.letter_sending(head.id)
    assert await rig.engine.letter_retry(head, "NetworkError: Bad Gateway")
    assert await rig.engine.due_letters() == []  # 1 s of backoff, and the second waits
    rig.clock.advance(seconds=1)
    [again] = await rig.engine.due_letters()
    assert (again.id, again.tries, again.state) == (head.id, 1, LetterState.PENDING)
    await rig.engine.letter_sending(again.id)
    assert await rig.engine.letter_retry(again, "NetworkError: Bad Gateway")
    rig.clock.advance(seconds=1)
    assert await rig.engine.due_letters() == []  # 2 s now
    rig.clock.advance(seconds=1)
    [again] = await rig.engine.due_letters()
    rig.clock.advance(seconds=GIVE_UP_AFTER.total_seconds())
    await rig.engine.letter_sending(again.id)
    assert not await rig.engine.letter_retry(again, "NetworkError: Bad Gateway")
    [second] = await rig.engine.due_letters()
    assert second.letter.text == "2"
    depth = await rig.engine.outbox_depth()
    assert (depth.events, depth.letters, depth.held) == (0, 1, 0)


async def test_a_rate_limit_waits_as_long_as_telegram_asks(rig: Rig) -> None:
    await _queue(rig, Letter(GROUP, "1", "a"))
    [head] = await rig.engine.due_letters()
    await rig.engine.letter_sending(head.id)
    await rig.engine.letter_retry(head, "rate limited", 30.0)
    rig.clock.advance(seconds=29)
    assert await rig.engine.due_letters() == []
    rig.clock.advance(seconds=1)
    assert len(await rig.engine.due_letters()) == 1


async def test_a_refused_private_letter_is_held_for_start_and_its_hint_queued(rig: Rig) -> None:
    hint = Letter(GROUP, "Bob, open the bot", "hint")
    await _queue(rig, Letter(BOB, "receipt", "receipt", fallback=(hint,)))
    [dm] = await rig.engine.due_letters()
    await rig.engine.letter_sending(dm.id)
    await rig.engine.letter_held(dm)
    [queued] = await rig.engine.due_letters()
    assert queued.letter == hint
    assert (await rig.engine.outbox_depth()).held == 1
    assert await rig.engine.release_held(BOB) == 1
    assert [q.letter.text for q in await rig.engine.due_letters()] == [
        "receipt",
        "Bob, open the bot",
    ]
    assert await rig.engine.release_held(BOB) == 0


async def test_only_the_newest_held_letters_are_kept(rig: Rig) -> None:
    await _queue(rig, *[Letter(BOB, f"m{i}", "receipt") for i in range(MAX_HELD + 3)])
    for _ in range(MAX_HELD + 3):
        [dm] = await rig.engine.due_letters()
        await rig.engine.letter_sending(dm.id)
        await rig.engine.letter_held(dm)
    assert await rig.engine.release_held(BOB) == MAX_HELD
    [first] = await rig.engine.due_letters()
    assert first.letter.text == "m3"


async def test_letters_in_flight_at_a_stop_are_sent_again(rig: Rig) -> None:
    await _queue(rig, Letter(GROUP, "1", "a"), Letter(ANN, "2", "b"))
    for q in await rig.engine.due_letters():
        await rig.engine.letter_sending(q.id)
    assert await rig.engine.resend_in_flight() == 2
    assert {q.state for q in await rig.engine.due_letters()} == {LetterState.PENDING}


async def test_waiting_letters_follow_a_group_that_became_a_supergroup(rig: Rig) -> None:
    await _queue(rig, Letter(GROUP, "1", "a"))
    await rig.engine.migrate_chat(GROUP, -1009)
    [moved] = await rig.engine.due_letters()
    assert moved.letter.chat_id == -1009


async def test_old_rows_are_purged_and_unsent_ones_counted(rig: Rig) -> None:
    await _queue(rig, Letter(GROUP, "1", "a"), Letter(ANN, "2", "b"))
    [group, _ann] = await rig.engine.due_letters()
    await rig.engine.letter_sending(group.id)
    await rig.engine.letter_sent(group.id)
    rig.clock.advance(seconds=KEEP_DONE.total_seconds() + 1)
    assert await rig.engine.purge_outbox() == 1  # Ann's was never sent
    depth = await rig.engine.outbox_depth()
    assert (depth.events, depth.letters, depth.oldest_at) == (0, 0, None)


async def test_the_depth_names_the_oldest_row_waiting(rig: Rig) -> None:
    start = rig.clock.now()
    await _paid_order(rig, n=2, paid=1)
    rig.clock.advance(minutes=5)
    depth = await rig.engine.outbox_depth()
    assert (depth.events, depth.letters, depth.oldest_at) == (1, 0, start)
    assert depth.age_s(rig.clock.now()) == pytest.approx(timedelta(minutes=5).total_seconds())


async def test_no_telegram_user_id_is_stored_in_the_clear(rig: Rig) -> None:
    person = 987654321
    await _queue(rig, Letter(person, "Paid", "receipt"), Letter(GROUP, "Done", "announcement"))
    if isinstance(rig.store, SqlStore):
        async with rig.store.engine.connect() as conn:
            rows = (await conn.execute(sa.select(outbox_letters))).mappings().all()
        stored = " ".join(str(v) for row in rows for v in row.values())
        assert str(person) not in stored
        assert str(GROUP) in stored  # a group's id is not personal: moves follow it
    [first, _] = await rig.engine.due_letters()
    assert first.letter.chat_id == person  # read back from the sealed body


async def test_when_telegram_is_back_letters_backing_off_go_now_but_rate_limits_still_wait(
    rig: Rig,
) -> None:
    await _queue(rig, Letter(GROUP, "1", "a"), Letter(ANN, "2", "b"))
    [group, ann] = await rig.engine.due_letters()
    for q, error, wait_s in ((group, "NetworkError: Bad Gateway", None), (ann, RATE_LIMITED, 30.0)):
        await rig.engine.letter_sending(q.id)
        await rig.engine.letter_retry(q, error, wait_s)
    assert await rig.engine.due_letters() == []
    assert await rig.engine.hurry_letters() == 1
    assert [q.letter.text for q in await rig.engine.due_letters()] == ["1"]

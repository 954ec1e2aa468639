"""What the chat interface needs from the engine: named payers, posts, chat moves, records."""

from __future__ import annotations

import pytest

from core.domain.errors import AlreadyPaid, InvalidInput, NotAllowed
from core.domain.events import ReminderDue
from core.domain.model import SubOrderState
from core.usecases.records import RecordQuery, Role
from tests.support.harness import Rig, request


async def test_named_parts_go_to_their_payers_only(rig: Rig) -> None:
    payee = await rig.engine.payee_named("tg:1")
    view = await rig.engine.create_order(
        payee, request(total="90", payers=3), assignees=["@ann", "@bob", "tg:1"]
    )
    token = view.order.token
    bob = await rig.engine.reserve(
        token, "tg:22", payer_name="Bob", aliases=["@Bob", "tg:22"], source="tg:22"
    )
    assert (bob.sub.idx, bob.sub.payer_name) == (1, "Bob")
    me = await rig.engine.reserve(token, "tg:1", aliases=["@someone", "tg:1"], source="tg:1")
    assert me.sub.idx == 2
    with pytest.raises(NotAllowed, match="not one of them"):
        await rig.engine.reserve(token, "tg:99", aliases=["@mallory", "tg:99"], source="tg:99")
    fresh = await rig.engine.public_order(token)
    assert [s.state for s in fresh.subs] == [
        SubOrderState.AVAILABLE,
        SubOrderState.RESERVED,
        SubOrderState.RESERVED,
    ]


async def test_one_name_per_part(rig: Rig) -> None:
    payee = await rig.engine.payee_named("tg:1")
    with pytest.raises(InvalidInput):
        await rig.engine.create_order(payee, request(total="90", payers=3), assignees=["@ann"])


async def test_posts_follow_a_group_that_became_a_supergroup(rig: Rig) -> None:
    payee = await rig.engine.payee_named("tg:1")
    view = await rig.engine.create_order(payee, request())
    await rig.engine.attach_post(view.order.id, -42, 10, 11)
    assert [v.order.id for _, v in await rig.engine.open_orders_in_chat(-42)] == [view.order.id]
    assert await rig.engine.migrate_chat(-42, -1009) == 1
    assert await rig.engine.open_orders_in_chat(-42) == []
    (post,) = await rig.engine.posts_of(view.order.id)
    # The old messages stay in the old group: the interface posts the progress again.
    assert (post.chat_id, post.progress_message_id, post.qr_message_id) == (-1009, None, None)
    await rig.engine.repost_progress(view.order.id, -1009, 77)
    (post,) = await rig.engine.posts_of(view.order.id)
    assert post.progress_message_id == 77
    await rig.engine.remind(view.order.id, -1009)
    (post,) = await rig.engine.posts_of(view.order.id)
    assert post.reminded_at == rig.clock.now()
    # the reminder itself waits in the outbox, written with the note that it was sent
    [queued] = await rig.engine.due_events()
    assert queued.event == ReminderDue(view.order.id, rig.clock.now(), -1009)


async def test_records_show_both_roles_newest_first_and_only_mine(rig: Rig) -> None:
    ann = await rig.engine.payee_named("tg:1")
    bob = await rig.engine.payee_named("tg:2")
    await rig.engine.create_order(ann, request(total="20", payers=2, title="Anns"))
    rig.clock.advance(minutes=1)
    bobs = await rig.engine.create_order(bob, request(total="20", payers=2, title="Bobs"))
    rig.clock.advance(minutes=1)
    res = await rig.engine.reserve(bobs.order.token, "tg:1", source="tg:1")
    assert res.sub.checkout_ref
    await rig.engine.apply_event(rig.gateway.pay(res.sub.checkout_ref))
    me = await rig.engine.viewer(payer_ref="tg:1")
    records = await rig.engine.records(me, RecordQuery())
    assert [(r.roles, r.order_title) for r in records.items] == [((Role.PAYER,), "Bobs")]
    them = await rig.engine.viewer(payer_ref="tg:2")
    theirs = await rig.engine.records(them, RecordQuery())
    assert [(r.roles, r.order_title) for r in theirs.items] == [((Role.PAYEE,), "Bobs")]
    with pytest.raises(AlreadyPaid):
        await rig.engine.reserve(bobs.order.token, "tg:1", source="tg:1")

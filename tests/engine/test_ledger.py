"""Every money event appends one ledger entry, in the transaction that makes it."""

from __future__ import annotations

from collections import Counter

import pytest

from core.domain.errors import NotFound
from core.domain.ledger.entries import (
    MONEY_BACK,
    MONEY_IN,
    EntryKind,
    LedgerEntry,
    commitment,
    head_message,
)
from core.domain.ledger.merkle import (
    leaf_hash,
    root_from_hashes,
    verify_consistency,
    verify_inclusion,
)
from core.domain.model import OrderState
from core.ports.store import GatewayEventKind
from core.usecases.deps import Outcome
from tests.support.fakes.signer import FakeSigner
from tests.support.harness import Rig, request


async def entries(rig: Rig) -> list[LedgerEntry]:
    async with rig.store.transaction() as tx:
        return await tx.ledger.ledger_entries(0, await tx.ledger.ledger_size())


async def kinds(rig: Rig) -> list[str]:
    return [e.kind.value for e in await entries(rig)]


async def new_order(rig: Rig, **kw: object) -> tuple[str, str]:
    payee = await rig.payee()
    view = await rig.engine.create_order(payee, request(**kw))  # type: ignore[arg-type]
    return view.order.id, view.order.token


async def pay(rig: Rig, token: str, payer: str) -> str:
    res = await rig.engine.reserve(token, payer, payer_name=payer.title(), source=payer)
    assert res.sub.checkout_ref is not None
    assert await rig.engine.apply_event(rig.gateway.pay(res.sub.checkout_ref)) == Outcome.APPLIED
    return res.sub.checkout_ref


def balance(found: list[LedgerEntry], order_id: str) -> int:
    mine = [e for e in found if e.order_id == order_id]
    return sum(e.amount_minor for e in mine if e.kind in MONEY_IN) - sum(
        e.amount_minor for e in mine if e.kind in MONEY_BACK
    )


async def test_a_completed_order_books_each_part_then_the_completion(rig: Rig) -> None:
    order_id, token = await new_order(rig, total="100", payers=3)
    for payer in ("ann", "bob", "cid"):
        await pay(rig, token, payer)
    found = await entries(rig)
    assert [e.kind for e in found] == [EntryKind.PART_PAID] * 3 + [EntryKind.ORDER_COMPLETED]
    assert [e.index for e in found] == [0, 1, 2, 3]
    assert [e.amount_minor for e in found] == [3334, 3333, 3333, 10000]
    assert found[3].note == "3/3 paid"
    assert {e.currency for e in found} == {"USD"}
    assert all(e.order_id == order_id and e.payee_id for e in found)
    assert balance(found, order_id) == 10000


async def test_the_payer_is_a_commitment_opened_only_by_the_sealed_secret(rig: Rig) -> None:
    _, token = await new_order(rig, total="10", payers=2)
    await pay(rig, token, "tg:4242")
    [entry] = await entries(rig)
    assert b"4242" not in entry.leaf()
    async with rig.store.transaction() as tx:
        secret = await tx.ledger.payer_secret(entry.index)
    assert secret is not None
    assert secret.payer_ref == "tg:4242"
    assert secret.payer_name == "Tg:4242"
    assert entry.payer_commitment == commitment("tg:4242", secret.salt)
    assert entry.payer_commitment != commitment("tg:4243", secret.salt)


async def test_a_duplicate_webhook_books_nothing_more(rig: Rig) -> None:
    _, token = await new_order(rig, total="10", payers=2)
    res = await rig.engine.reserve(token, "ann", source="ann")
    assert res.sub.checkout_ref is not None
    event = rig.gateway.pay(res.sub.checkout_ref)
    await rig.engine.apply_event(event)
    assert await rig.engine.apply_event(event) == Outcome.DUPLICATE
    again = rig.gateway.pay(res.sub.checkout_ref)  # same money, another event id
    assert await rig.engine.apply_event(again) == Outcome.DUPLICATE
    assert await kinds(rig) == ["part.paid"]


async def test_a_late_payment_is_booked_late_then_refunded_without_counting(rig: Rig) -> None:
    order_id, token = await new_order(rig, total="10", payers=1)
    late = await rig.engine.reserve(token, "ann", source="ann")
    assert late.sub.checkout_ref is not None
    rig.clock.advance(minutes=20)  # ann's hold lapses; bob takes the part and pays
    await rig.engine.tick()
    await pay(rig, token, "bob")
    outcome = await rig.engine.apply_event(rig.gateway.pay(late.sub.checkout_ref))
    assert outcome == Outcome.REFUNDING
    found = await entries(rig)
    assert [e.kind.value for e in found] == [
        "part.paid",
        "order.completed",
        "payment.late",
        "late.refunded",
    ]
    assert found[2].note == "order completed"
    assert found[2].payer_commitment is None
    assert balance(found, order_id) == 500 * 2


async def test_mode_all_books_authorisations_then_captures(rig: Rig) -> None:
    _, token = await new_order(rig, total="20", payers=2, mode="all")
    await pay(rig, token, "ann")
    await pay(rig, token, "bob")
    await rig.engine.tick()
    assert Counter(await kinds(rig)) == Counter(
        {"part.authorised": 2, "order.completed": 1, "payment.captured": 2}
    )


async def test_a_cancelled_order_books_the_cancel_then_each_refund(rig: Rig) -> None:
    order_id, token = await new_order(rig, total="30", payers=3)
    await pay(rig, token, "ann")
    await pay(rig, token, "bob")
    payee = await rig.payee()
    await rig.engine.cancel_order(order_id, payee)
    await rig.engine.tick()
    found = await entries(rig)
    assert [e.kind.value for e in found] == [
        "part.paid",
        "part.paid",
        "order.cancelled",
        "payment.refunded",
        "payment.refunded",
    ]
    assert found[2].amount_minor == 0  # collected net of what goes back
    assert balance(found, order_id) == 0
    refunds = [e for e in found if e.kind == EntryKind.PAYMENT_REFUNDED]
    assert all(e.payer_commitment for e in refunds)


async def test_an_expired_all_order_books_the_expiry_and_the_voids(rig: Rig) -> None:
    order_id, token = await new_order(rig, total="20", payers=2, mode="all")
    await pay(rig, token, "ann")
    rig.clock.advance(days=30)
    await rig.engine.tick()
    await rig.engine.tick()
    found = await entries(rig)
    assert [e.kind.value for e in found] == ["part.authorised", "order.expired", "payment.voided"]
    assert balance(found, order_id) == 0


async def test_a_refund_made_at_the_gateway_is_booked(rig: Rig) -> None:
    order_id, token = await new_order(rig, total="20", payers=2)
    ref = await pay(rig, token, "ann")
    await rig.engine.apply_event(rig.gateway.event(ref, GatewayEventKind.REFUNDED))
    assert await kinds(rig) == ["part.paid", "payment.refunded"]
    assert balance(await entries(rig), order_id) == 0


async def test_a_failed_transaction_leaves_neither_money_nor_entry(rig: Rig) -> None:
    _, token = await new_order(rig, total="10", payers=2)
    res = await rig.engine.reserve(token, "ann", source="ann")
    assert res.sub.checkout_ref is not None
    store = rig.store

    class Boom(Exception):
        pass

    original = store.transaction

    def failing():  # type: ignore[no-untyped-def]
        cm = original()

        class Wrapped:
            async def __aenter__(self):  # type: ignore[no-untyped-def]
                tx = await cm.__aenter__()
                real = tx.ledger.append_ledger

                def append_then_crash(draft):  # type: ignore[no-untyped-def]
                    real(draft)
                    raise Boom

                tx.ledger.append_ledger = append_then_crash  # type: ignore[method-assign]
                return tx

            async def __aexit__(self, *exc):  # type: ignore[no-untyped-def]
                return await cm.__aexit__(*exc)

        return Wrapped()

    store.transaction = failing  # type: ignore[method-assign]
    with pytest.raises(Boom):
        await rig.engine.apply_event(rig.gateway.pay(res.sub.checkout_ref))
    store.transaction = original  # type: ignore[method-assign]
    assert await kinds(rig) == []
    view = await rig.engine.order_view(res.order.id)
    assert view is not None
    assert view.order.paid_count == 0
    # The gateway delivers again: now it counts, once, with its entry.
    assert await rig.engine.apply_event(rig.gateway.pay(res.sub.checkout_ref)) == Outcome.APPLIED
    assert await kinds(rig) == ["part.paid"]


async def test_signed_heads_and_proofs_check_out(rig: Rig) -> None:
    _, token = await new_order(rig, total="40", payers=4)
    await pay(rig, token, "ann")
    first = await rig.engine.sign_head()
    assert first.head.tree_size == 1
    assert await rig.engine.sign_head() == first  # nothing new: the same head
    await pay(rig, token, "bob")
    await pay(rig, token, "cid")
    second = await rig.engine.sign_head()
    assert second.head.tree_size == 3
    assert FakeSigner().verify(head_message(second.head), second.signature)
    found = await entries(rig)
    hashes = [leaf_hash(e.leaf()) for e in found]
    assert second.head.root_hash == root_from_hashes(hashes)
    for i in range(3):
        proof = await rig.engine.inclusion(i, 3)
        assert proof.leaf_hash == hashes[i]
        assert verify_inclusion(hashes[i], i, 3, list(proof.path), second.head.root_hash)
    cons = await rig.engine.consistency(1, 3)
    assert verify_consistency(1, 3, first.head.root_hash, second.head.root_hash, list(cons.path))
    forced = await rig.engine.sign_head(force=True)
    assert forced.head.timestamp_ms >= second.head.timestamp_ms
    assert forced.head.tree_size == 3


@pytest.mark.parametrize(("index", "size"), [(-1, 1), (1, 1), (0, 0), (0, 99)])
async def test_a_proof_outside_the_tree_is_a_clear_error(rig: Rig, index: int, size: int) -> None:
    from core.domain.errors import InvalidInput

    _, token = await new_order(rig, total="10", payers=1)
    await pay(rig, token, "ann")
    with pytest.raises(InvalidInput):
        await rig.engine.inclusion(index, size)


async def test_a_receipt_proves_the_payers_part_and_only_to_that_payer(rig: Rig) -> None:
    order_id, token = await new_order(rig, total="20", payers=2)
    await pay(rig, token, "ann")
    async with rig.store.transaction() as tx:
        [payment] = await tx.payments.payments_of_order(order_id)  # type: ignore[arg-type]
    receipt = await rig.engine.receipt(payment.id, payer_ref="ann")
    assert receipt.entry.amount_minor == 1000
    assert receipt.payer.payer_ref == "ann"
    assert receipt.head.head.tree_size >= 1
    assert verify_inclusion(
        leaf_hash(receipt.entry.leaf()),
        receipt.entry.index,
        receipt.head.head.tree_size,
        list(receipt.proof.path),
        receipt.head.head.root_hash,
    )
    assert receipt.receipt_id.startswith(f"rcpt-{receipt.entry.index}-")
    payee = await rig.payee()
    by_payee = await rig.engine.receipt(payment.id, payee_id=payee)
    assert by_payee.entry == receipt.entry
    with pytest.raises(NotFound):
        await rig.engine.receipt(payment.id, payer_ref="bob")
    with pytest.raises(NotFound):
        await rig.engine.receipt(payment.id, payee_id="pye_other")
    with pytest.raises(NotFound):
        await rig.engine.receipt(payment.id)
    with pytest.raises(NotFound):
        await rig.engine.receipt("pmt_nope", payer_ref="ann")


async def test_a_closed_order_state_matches_its_entry(rig: Rig) -> None:
    order_id, token = await new_order(rig, total="10", payers=1)
    await pay(rig, token, "ann")
    view = await rig.engine.order_view(order_id)
    assert view is not None
    assert view.order.state == OrderState.COMPLETED
    assert (await entries(rig))[-1].kind == EntryKind.ORDER_COMPLETED

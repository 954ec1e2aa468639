"""A receipt's id is part of what `chipin receipt verify` vouches for: it cannot be swapped."""

from __future__ import annotations

import pytest

from tests.support.harness import Rig, request
from tests.support.trust_builders import memory_ca
from trust import ca
from trust.receipts import ReceiptInvalid, receipt_json, verify_receipt


async def test_a_receipt_with_another_id_does_not_verify(rig: Rig) -> None:
    authority = memory_ca(rig.clock.now())
    rig = rig.swap(signer=authority.signer)
    payee = await rig.payee()
    view = await rig.engine.create_order(payee, request(total="20", payers=2))
    res = await rig.engine.reserve(view.order.token, "tg:7", source="tg:7")
    assert res.sub.checkout_ref is not None
    await rig.engine.apply_event(rig.gateway.pay(res.sub.checkout_ref))
    async with rig.store.transaction() as tx:
        [payment] = await tx.payments.payments_of_order(view.order.id)
    receipt = await rig.engine.receipt(payment.id, payer_ref="tg:7")
    chain = ca.to_pem(authority.root) + ca.to_pem(authority.signer.cert)
    doc = receipt_json(receipt, chain)
    pin = ca.fingerprint(authority.root)
    assert verify_receipt(doc, pin).receipt_id == receipt.receipt_id

    with pytest.raises(ReceiptInvalid, match="receipt_id"):
        verify_receipt({**doc, "receipt_id": "rcpt-9-0123456789ab"}, pin)

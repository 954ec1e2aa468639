"""A paid part's receipt, as `chipin receipt verify` reads it, from a rig signing heads."""

from __future__ import annotations

from typing import Any

from tests.support.harness import Rig, request
from tests.support.trust_builders import memory_ca
from trust import ca
from trust.receipts import receipt_json


async def paid_receipt(rig: Rig) -> tuple[dict[str, Any], str]:
    """Bob (tg:7) pays one of two parts of a 20.00 order; his receipt and the root CA's
    fingerprint that pins it."""
    authority = memory_ca(rig.clock.now())
    rig = rig.swap(signer=authority.signer)
    payee = await rig.payee()
    view = await rig.engine.create_order(payee, request(total="20", payers=2))
    res = await rig.engine.reserve(view.order.token, "tg:7", source="tg:7")
    assert res.sub.checkout_ref is not None
    await rig.engine.apply_event(rig.gateway.pay(res.sub.checkout_ref))
    async with rig.store.transaction() as tx:
        [payment] = await tx.payments.payments_of_order(view.order.id)
    found = await rig.engine.receipt(payment.id, payer_ref="tg:7")
    chain = ca.to_pem(authority.root) + ca.to_pem(authority.signer.cert)
    return receipt_json(found, chain), ca.fingerprint(authority.root)

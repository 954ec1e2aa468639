"""A receipt of a card part paid into the payee's own account says so (`account` "payee") and
names the platform's fee; `chipin receipt verify` vouches for both, and an older receipt
without them still verifies."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from tests.support.harness import Rig, request
from tests.support.trust_builders import memory_ca
from trust import ca
from trust.receipts import ReceiptInvalid, receipt_json, verify_receipt


async def receipt_of(rig: Rig, *, into_payee: bool) -> tuple[dict[str, Any], str]:
    """A paid part's receipt (its JSON) and the root fingerprint to pin."""
    authority = memory_ca(rig.clock.now())
    rig = rig.swap(signer=authority.signer)
    payee = await rig.payee()
    view = await rig.engine.create_order(payee, request(total="80", payers=2, cur="EUR"))
    res = await rig.engine.reserve(view.order.token, "tg:7", source="tg:7")
    assert res.sub.checkout_ref is not None
    event = rig.gateway.pay(res.sub.checkout_ref)
    if into_payee:
        event = replace(event, payout_account="acct_test", fee_minor=60)
    await rig.engine.apply_event(event)
    async with rig.store.transaction() as tx:
        [payment] = await tx.payments.payments_of_order(view.order.id)
    receipt = await rig.engine.receipt(payment.id, payer_ref="tg:7")
    chain = ca.to_pem(authority.root) + ca.to_pem(authority.signer.cert)
    return receipt_json(receipt, chain), ca.fingerprint(authority.root)


async def test_a_receipt_into_the_payee_account_names_it_and_the_fee(rig: Rig) -> None:
    doc, pin = await receipt_of(rig, into_payee=True)
    assert (doc["entry"]["account"], doc["entry"]["fee"]) == ("payee", 60)
    assert "acct_test" not in str(doc)
    checked = verify_receipt(doc, pin)
    assert (checked.entry.account, checked.entry.fee_minor) == ("payee", 60)
    assert checked.entry.to_payee_account

    for forged in ({"fee": 0}, {"fee": None}, {"account": None}, {"account": "operator"}):
        entry = {**doc["entry"], **forged}
        with pytest.raises(ReceiptInvalid, match="not in the signed tree"):
            verify_receipt({**doc, "entry": entry}, pin)


async def test_an_operator_receipt_has_neither_and_cannot_gain_them(rig: Rig) -> None:
    doc, pin = await receipt_of(rig, into_payee=False)
    assert "account" not in doc["entry"]
    assert "fee" not in doc["entry"]
    assert verify_receipt(doc, pin).entry.account is None
    entry = {**doc["entry"], "account": "payee", "fee": 0}
    with pytest.raises(ReceiptInvalid, match="not in the signed tree"):
        verify_receipt({**doc, "entry": entry}, pin)


async def test_a_malformed_account_or_fee_is_refused(rig: Rig) -> None:
    doc, pin = await receipt_of(rig, into_payee=True)
    for forged in ({"fee": "60"}, {"fee": 0.6}, {"fee": True}, {"account": 1}):
        entry = {**doc["entry"], **forged}
        with pytest.raises(ReceiptInvalid, match=r"^entry: "):
            verify_receipt({**doc, "entry": entry}, pin)

"""A receipt's id is part of what `chipin receipt verify` vouches for: it cannot be swapped."""

from __future__ import annotations

import pytest

from tests.support.harness import Rig
from tests.trust.paid import paid_receipt
from trust.receipts import ReceiptInvalid, verify_receipt


async def test_a_receipt_with_another_id_does_not_verify(rig: Rig) -> None:
    doc, pin = await paid_receipt(rig)
    assert verify_receipt(doc, pin).receipt_id == doc["receipt_id"]

    with pytest.raises(ReceiptInvalid, match="receipt_id"):
        verify_receipt({**doc, "receipt_id": "rcpt-9-0123456789ab"}, pin)

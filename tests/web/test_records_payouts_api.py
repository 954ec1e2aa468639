"""The records API on card money paid into the payee's own account: each record says whose
account (`account` payee or operator) and the platform's fee apart, /stats sums the card money
and the fees net of refunds, and the receipt's entry commits to both."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from tests.support.trust_builders import memory_ca
from tests.web.conftest import Api, bearer, token_of
from tests.web.test_records_api import app_with_chain
from trust import ca
from trust.receipts import verify_receipt

T0 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


async def pay(api: Api, order: dict[str, Any], payer: str, *, into_payee: bool) -> None:
    """`payer` pays a part: into Ann's own account (60 cents of platform fee) or the operator's."""
    res = await api.rig.engine.reserve(
        token_of(order), payer, payer_name=payer.title(), source=payer
    )
    assert res.sub.checkout_ref is not None
    event = api.rig.gateway.pay(res.sub.checkout_ref)
    if into_payee:
        event = replace(event, payout_account="acct_test", fee_minor=60)
    await api.rig.engine.apply_event(event)


async def dinner(api: Api) -> dict[str, Any]:
    """Ann's dinner, 3 × 40.00 EUR: Bob pays into her account, Cat into the operator's."""
    api.rig.clock.at = T0
    order = await api.create(total="120", payers=3, currency="EUR", title="Dinner")
    await pay(api, order, "bob", into_payee=True)
    await pay(api, order, "cat", into_payee=False)
    return order


async def test_records_say_whose_account_and_the_fee(api: Api) -> None:
    await dinner(api)
    items = (await api.get("/api/v1/records")).json()["items"]
    by_payer = {i["payer_name"]: i for i in items}
    bob, cat = by_payer["Bob"], by_payer["Cat"]
    assert (bob["account"], bob["fee"], bob["fee_minor"]) == ("payee", "0.60", 60)
    assert (bob["amount"], bob["signed_minor"]) == ("40.00", 4000)  # the fee stays apart
    assert (cat["account"], cat["fee"], cat["fee_minor"]) == ("operator", None, None)
    assert (bob["method"], bob["settled"]) == ("fake", "gateway")


async def test_stats_sum_card_money_and_fees_net_of_refunds(api: Api) -> None:
    order = await dinner(api)
    [total] = (await api.get("/api/v1/stats")).json()["totals"]
    assert {k: total[k] for k in ("net", "through_operator", "to_payee_account")} == {
        "net": "80.00",
        "through_operator": "80.00",
        "to_payee_account": "40.00",
    }
    assert (total["to_payee_account_minor"], total["platform_fees"]) == (4000, "0.60")
    assert total["platform_fees_minor"] == 60
    stats = (await api.get("/api/v1/stats")).json()
    assert [(m["to_payee_account_minor"], m["platform_fees_minor"]) for m in stats["by_month"]] == [
        (4000, 60)
    ]
    assert [o["platform_fees"] for o in stats["by_order"]] == ["0.60"]
    table = list(csv.DictReader(io.StringIO((await api.get("/api/v1/stats.csv")).text)))
    assert [(r["section"], r["to_payee_account"], r["platform_fees"]) for r in table] == [
        ("total", "40.00", "0.60"),
        ("month", "40.00", "0.60"),
        ("order", "40.00", "0.60"),
    ]

    assert (await api.post(f"/api/v1/orders/{order['id']}/cancel")).status_code == 200
    await api.rig.engine.tick()  # both refunded: the fee came back with Bob's
    [total] = (await api.get("/api/v1/stats")).json()["totals"]
    assert (total["net_minor"], total["to_payee_account_minor"], total["platform_fees_minor"]) == (
        0,
        0,
        0,
    )
    refunds = (await api.get("/api/v1/records?kind=payment.refunded")).json()["items"]
    assert sorted((i["account"], i["fee_minor"]) for i in refunds if i["fee_minor"]) == [
        ("payee", 60)
    ]
    rows = list(csv.DictReader(io.StringIO((await api.get("/api/v1/records.csv")).text)))
    assert sorted((r["kind"], r["account"], r["fee"], r["fee_minor"]) for r in rows) == [
        ("order.cancelled", "", "", ""),
        ("part.paid", "operator", "", ""),
        ("part.paid", "payee", "0.60", "60"),
        ("payment.refunded", "operator", "", ""),
        ("payment.refunded", "payee", "0.60", "60"),
    ]
    assert list(rows[0])[-3:] == ["account", "fee", "fee_minor"]


async def test_a_receipt_into_the_payee_account_verifies_with_account_and_fee(api: Api) -> None:
    authority = memory_ca(datetime.now(UTC))
    rig = api.rig.swap(signer=authority.signer)
    chain = ca.to_pem(authority.root) + ca.to_pem(authority.signer.cert)
    rig.clock.at = datetime.now(UTC)
    async with app_with_chain(rig, chain) as client:
        card = Api(client, rig, api.ann, api.bob)
        order = await card.create(total="80", payers=2, currency="EUR")
        await pay(card, order, "bob", into_payee=True)
        [paid] = (await card.get("/api/v1/records?kind=part.paid")).json()["items"]
        response = await client.get(
            f"/api/v1/receipts/{paid['payment_id']}", headers=bearer(api.ann)
        )
    assert response.status_code == 200, response.text
    doc = response.json()
    assert (doc["entry"]["account"], doc["entry"]["fee"]) == ("payee", 60)
    checked = verify_receipt(doc, ca.fingerprint(authority.root))
    assert (checked.entry.account, checked.entry.fee_minor) == ("payee", 60)


async def test_openapi_documents_account_and_fees(api: Api) -> None:
    schemas = (await api.client.get("/openapi.json")).json()["components"]["schemas"]
    assert schemas["RecordOut"]["properties"]["account"]["anyOf"][0]["enum"] == [
        "payee",
        "operator",
    ]
    for name in ("fee", "fee_minor"):
        assert name in schemas["RecordOut"]["properties"]
    totals = schemas["TotalsOut"]["properties"]
    for name in ("to_payee_account", "to_payee_account_minor", "platform_fees"):
        assert name in totals
    assert "platform_fees_minor" in totals
    assert {"account", "fee"} <= set(schemas["ReceiptEntryOut"]["properties"])

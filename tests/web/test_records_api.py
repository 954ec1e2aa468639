"""The records API: my entries, figures and receipts only, as JSON and CSV, behind my key."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.support.harness import Rig, build_rig
from tests.support.trust_builders import memory_ca
from tests.web.conftest import (
    BASE_URL,
    MAX_AMOUNT_MINOR,
    Api,
    bearer,
    client_for,
    snapshot,
    token_of,
)
from trust import ca
from trust.receipts import verify_receipt
from web.app import create_app

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
ENDPOINTS = [
    "/api/v1/records",
    "/api/v1/records.csv",
    "/api/v1/stats",
    "/api/v1/stats.csv",
    "/api/v1/receipts/pmt_000001",
]


async def pay(api: Api, order: dict[str, Any], payer: str) -> None:
    """`payer` (named after their ref) reserves a part and pays it at the gateway."""
    res = await api.rig.engine.reserve(
        token_of(order), payer, payer_name=payer.title(), source=payer
    )
    assert res.sub.checkout_ref is not None
    await api.rig.engine.apply_event(api.rig.gateway.pay(res.sub.checkout_ref))


async def scripted(api: Api) -> dict[str, dict[str, Any]]:
    """Ann: a completed dinner (January), a cancelled taxi; Bob: a lunch Ann paid a part of."""
    api.rig.clock.at = T0
    dinner = await api.create(total="90", payers=3, title="Dinner")
    api.rig.clock.advance(minutes=30)
    for payer in ("bob", "cat", "dan"):
        await pay(api, dinner, payer)
    api.rig.clock.at = datetime(2026, 2, 3, 9, 0, tzinfo=UTC)
    taxi = await api.create(total="20", payers=2, title="Taxi")
    await pay(api, taxi, "bob")
    assert (await api.post(f"/api/v1/orders/{taxi['id']}/cancel")).status_code == 200
    await api.rig.engine.tick()
    lunch = await api.create(api.bob, total="30", payers=2, title="Lunch")
    await pay(api, lunch, "ann")
    return {"dinner": dinner, "taxi": taxi, "lunch": lunch}


# ---- keys ----


@pytest.mark.parametrize("path", ENDPOINTS)
async def test_every_records_endpoint_needs_a_key(api: Api, path: str) -> None:
    response = await api.client.get(path)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    wrong = await api.client.get(path, headers=bearer("chp_not-a-real-key"))
    assert wrong.status_code == 401


# ---- /records ----


async def test_my_records_are_mine_and_another_payees_never_show(api: Api) -> None:
    orders = await scripted(api)
    ann = (await api.get("/api/v1/records?limit=100")).json()
    bob = (await api.get("/api/v1/records?limit=100", api.bob)).json()
    assert ann["total"] == len(ann["items"]) == 7
    assert {i["order_id"] for i in ann["items"]} == {orders["dinner"]["id"], orders["taxi"]["id"]}
    assert [(i["kind"], i["payer_name"]) for i in bob["items"]] == [("part.paid", "Ann")]
    assert all(i["roles"] == ["payee"] for i in ann["items"] + bob["items"])
    newest = ann["items"][0]
    assert newest["kind"] == "payment.refunded"
    assert (newest["amount"], newest["signed_amount"], newest["signed_minor"]) == (
        "10.00",
        "-10.00",
        -1000,
    )
    paid = [i for i in ann["items"] if i["kind"] == "part.paid"]
    assert all(i["receipt_id"].startswith(f"rcpt-{i['index']}-") for i in paid)
    assert {i["order_title"] for i in ann["items"]} == {"Dinner", "Taxi"}


async def test_records_filter_by_time_order_and_kind_and_page(api: Api) -> None:
    orders = await scripted(api)
    january = await api.get(
        "/api/v1/records?since=2026-01-01T00:00:00Z&until=2026-02-01T00:00:00%2B00:00"
    )
    assert {i["order_title"] for i in january.json()["items"]} == {"Dinner"}
    taxi = (await api.get(f"/api/v1/records?order_id={orders['taxi']['id']}")).json()
    assert sorted(i["kind"] for i in taxi["items"]) == [
        "order.cancelled",
        "part.paid",
        "payment.refunded",
    ]
    kinds = (await api.get("/api/v1/records?kind=order.completed&kind=order.cancelled")).json()
    assert [i["kind"] for i in kinds["items"]] == ["order.cancelled", "order.completed"]
    first = (await api.get("/api/v1/records?limit=4")).json()
    rest = (await api.get("/api/v1/records?limit=4&offset=4")).json()
    past = (await api.get("/api/v1/records?limit=4&offset=8")).json()
    everything = (await api.get("/api/v1/records?limit=100")).json()
    pages = first["items"] + rest["items"]
    assert [i["index"] for i in pages] == [i["index"] for i in everything["items"]]
    assert (len(rest["items"]), rest["total"], rest["limit"], rest["offset"]) == (3, 7, 4, 4)
    assert (past["items"], past["total"]) == ([], 7)
    theirs = (await api.get(f"/api/v1/records?order_id={orders['lunch']['id']}")).json()
    assert theirs == {"items": [], "total": 0, "limit": 20, "offset": 0}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("offset=-1", "offset"),
        ("since=2026-01-01T00:00:00", "since"),  # no time zone
        ("since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z", "until"),
        ("kind=paid", "kind"),
        ("limit=ten", "limit"),
        ("since=yesterday", "since"),
        ("order_id=" + "o" * 65, "order_id"),
    ],
)
async def test_bad_filters_are_422_and_change_nothing(api: Api, query: str, field: str) -> None:
    await scripted(api)
    before = await snapshot(api.rig)
    response = await api.get(f"/api/v1/records?{query}")
    assert response.status_code == 422, response.text
    body = response.json()
    assert (body["error"], body["field"]) == ("invalid_input", field)
    assert await snapshot(api.rig) == before


async def test_a_telegram_payee_also_sees_what_they_paid(api: Api) -> None:
    _, key = await api.rig.engine.create_api_key("tg:77")
    order = await api.create(total="20", payers=2, title="Dinner")
    await pay(api, order, "tg:77")
    mine = (await api.get("/api/v1/records", key)).json()
    assert [(i["roles"], i["payer_name"], i["order_title"]) for i in mine["items"]] == [
        (["payer"], "Tg:77", "Dinner")
    ]
    stats = (await api.get("/api/v1/stats", key)).json()
    assert stats["totals"] == []  # as payee, tg:77 collected nothing


# ---- /stats and the CSV files ----


async def test_stats_are_exact_and_only_mine(api: Api) -> None:
    await scripted(api)
    ann = (await api.get("/api/v1/stats")).json()
    assert ann["totals"] == [
        {
            "currency": "USD",
            "collected": "100.00",
            "collected_minor": 10000,
            "refunded": "10.00",
            "refunded_minor": 1000,
            "net": "90.00",
            "net_minor": 9000,
            "direct": "0.00",
            "direct_minor": 0,
            "through_operator": "90.00",
            "through_operator_minor": 9000,
            "to_payee_account": "0.00",
            "to_payee_account_minor": 0,
            "platform_fees": "0.00",
            "platform_fees_minor": 0,
        }
    ]
    assert [(m["month"], m["net_minor"]) for m in ann["by_month"]] == [
        ("2026-01", 9000),
        ("2026-02", 0),
    ]
    assert [(o["title"], o["net_minor"], o["parts_paid"]) for o in ann["by_order"]] == [
        ("Taxi", 0, 1),
        ("Dinner", 9000, 3),
    ]
    assert (ann["payers"], ann["orders_completed"], ann["orders_cancelled"]) == (3, 1, 1)
    assert ann["avg_complete_s"] == 30 * 60
    bob = (await api.get("/api/v1/stats", api.bob)).json()
    assert [(o["title"], o["net_minor"]) for o in bob["by_order"]] == [("Lunch", 1500)]
    february = await api.get("/api/v1/stats?since=2026-02-01T00:00:00Z")
    assert [o["title"] for o in february.json()["by_order"]] == ["Taxi"]
    bad = await api.get("/api/v1/stats?since=2026-02-01T00:00:00")
    assert (bad.status_code, bad.json()["field"]) == (422, "since")


async def test_the_records_csv_sums_to_the_stats_net(api: Api) -> None:
    await scripted(api)
    response = await api.get("/api/v1/records.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="chipin-records-20260203.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(response.text, newline="")))
    assert len(rows) == 7
    net: dict[str, int] = defaultdict(int)
    for row in rows:
        net[row["currency"]] += int(row["signed_minor"])
    stats = (await api.get("/api/v1/stats")).json()
    assert dict(net) == {t["currency"]: t["net_minor"] for t in stats["totals"]}
    assert {r["payer_name"] for r in rows if r["kind"] == "part.paid"} == {"Bob", "Cat", "Dan"}
    bobs = list(csv.DictReader(io.StringIO((await api.get("/api/v1/records.csv", api.bob)).text)))
    assert {r["order_title"] for r in bobs} == {"Lunch"}


async def test_the_stats_csv_has_totals_months_and_orders(api: Api) -> None:
    await scripted(api)
    response = await api.get("/api/v1/stats.csv?until=2026-02-01T00:00:00Z")
    assert response.status_code == 200
    assert "chipin-stats-" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text, newline="")))
    assert [(r["section"], r["key"], r["net_minor"]) for r in rows] == [
        ("total", "", "9000"),
        ("month", "2026-01", "9000"),
        ("order", rows[2]["key"], "9000"),
    ]
    assert rows[2]["title"] == "Dinner"


# ---- receipts ----


async def _payment_id(api: Api, key: str | None = None) -> str:
    items = (await api.get("/api/v1/records?kind=part.paid", key)).json()["items"]
    payment_id: str = items[0]["payment_id"]
    return payment_id


def app_with_chain(rig: Rig, chain: str | None) -> httpx.AsyncClient:
    app = create_app(
        rig.engine,
        public_base_url=BASE_URL + "/",
        health=_healthy,
        max_amount_minor=MAX_AMOUNT_MINOR,
        default_currency="USD",
        chain_pem=(lambda: chain) if chain is not None else None,
    )
    return client_for(app)


async def _healthy() -> bool:
    return True


async def test_a_receipt_without_a_certificate_authority_is_503(api: Api) -> None:
    await scripted(api)
    response = await api.get(f"/api/v1/receipts/{await _payment_id(api)}")
    assert response.status_code == 503
    assert response.json() == {
        "error": "unavailable",
        "message": "the ledger is not signing yet: no certificate authority is set up",
    }


async def test_a_receipt_is_for_the_payee_of_its_order_only(api: Api) -> None:
    await scripted(api)
    anns = await _payment_id(api)
    bobs = await _payment_id(api, api.bob)
    async with app_with_chain(api.rig, "PEM") as client:
        mine = await client.get(f"/api/v1/receipts/{anns}", headers=bearer(api.ann))
        theirs = await client.get(f"/api/v1/receipts/{bobs}", headers=bearer(api.ann))
        nothing = await client.get("/api/v1/receipts/pmt_nope", headers=bearer(api.ann))
    assert mine.status_code == 200, mine.text
    doc = mine.json()
    assert (doc["format"], doc["entry"]["payment"], doc["chain"]) == (
        "chipin-receipt/1",
        anns,
        "PEM",
    )
    assert doc["proof"]["leaf_index"] == doc["entry"]["index"]
    assert (theirs.status_code, nothing.status_code) == (404, 404)
    assert theirs.json()["error"] == "not_found"


async def test_a_receipt_from_the_api_verifies_offline() -> None:
    authority = memory_ca(datetime.now(UTC))
    rig = build_rig().swap(signer=authority.signer)
    chain = ca.to_pem(authority.root) + ca.to_pem(authority.signer.cert)
    rig.clock.at = datetime.now(UTC)
    _, ann = await rig.engine.create_api_key("Ann")
    async with app_with_chain(rig, chain) as client:
        api = Api(client, rig, ann, ann)
        order = await api.create(total="20", payers=2)
        await pay(api, order, "bob")
        response = await api.get(f"/api/v1/receipts/{await _payment_id(api)}")
    assert response.status_code == 200, response.text
    checked = verify_receipt(response.json(), ca.fingerprint(authority.root))
    assert (checked.payer_ref, checked.entry.amount_minor) == ("bob", 1000)


async def test_openapi_documents_the_records_endpoints(api: Api) -> None:
    spec = (await api.client.get("/openapi.json")).json()
    for path in [*ENDPOINTS[:-1], "/api/v1/receipts/{payment_id}"]:
        assert path in spec["paths"], path
    schemas = spec["components"]["schemas"]
    for name in ("RecordPageOut", "RecordOut", "StatsOut", "ReceiptOut"):
        assert name in schemas
    kinds = schemas["EntryKind"]["enum"]
    assert "part.paid" in kinds
    csv_doc = spec["paths"]["/api/v1/records.csv"]["get"]["responses"]["200"]["content"]
    assert "text/csv" in csv_doc

"""Money straight to the payee over the API: a reservation says how to pay by transfer (with
its payment QR code), the payer claims the part, the payee confirms or denies it or imports a
bank statement that does, and money that came too late is listed to return by hand."""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import httpx
import pytest
import zxingcpp
from PIL import Image

from core.domain.payqr.rf import is_valid_rf
from core.ports.store import StatementReader
from core.usecases.engine import Engine
from gateways.statements import read_statement
from tests.support.harness import Rig
from tests.web.conftest import Api, bearer, client_for, make_app, snapshot, token_of

IBAN = "DE89370400440532013000"  # the IBAN registry's German example (valid check digits)
SEPA = {"kind": "sepa", "holder": "Ann Example", "iban": IBAN, "bic": "COBADEFFXXX"}
UPI = {"kind": "upi", "holder": "Ann Kumar", "vpa": "ann.kumar@okaxis"}
FIVE_MB = 5 * 1024 * 1024


@asynccontextmanager
async def api_over(rig: Rig, statements: StatementReader | None) -> AsyncIterator[Api]:
    """The API over `rig`'s engine with this statement reader (None: statements are off)."""
    engine = Engine(replace(rig.engine.deps, statements=statements))
    swapped = replace(rig, engine=engine)
    _, ann = await engine.create_api_key("Ann")
    _, bob = await engine.create_api_key("Bob")
    async with client_for(make_app(swapped)) as client:
        yield Api(client, swapped, ann, bob)


@pytest.fixture
async def reading(rig: Rig) -> AsyncIterator[Api]:
    """The API over an engine that reads bank statements (gateways.statements)."""
    async with api_over(rig, read_statement) as api:
        yield api


async def sepa_order(api: Api, n: int = 3, **extra: Any) -> dict[str, Any]:
    """Ann's SEPA method, and an order of hers of 90 EUR in `n` parts."""
    methods = (await api.get("/api/v1/methods")).json()["items"]
    if not any(m["kind"] == "sepa" for m in methods):
        assert (await api.post("/api/v1/methods", SEPA)).status_code == 201
    return await api.create(total="90", payers=n, currency="EUR", title="Dinner", **extra)


async def reserve_by(api: Api, order: dict[str, Any], payer: str, method: str) -> dict[str, Any]:
    response = await api.reserve(order, payer, method=method)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def hold(reserved: dict[str, Any]) -> dict[str, str]:
    return {"Chipin-Hold": reserved["hold_secret"]}


async def claim(
    api: Api, order: dict[str, Any], payer: str, headers: dict[str, str], **extra: Any
) -> httpx.Response:
    path = f"/api/v1/pay/{token_of(order)}/claim"
    return await api.client.post(path, json={"payer": payer, **extra}, headers=headers)


async def parts(api: Api, order: dict[str, Any]) -> list[str]:
    view = (await api.get(f"/api/v1/orders/{order['id']}")).json()
    return [s["state"] for s in view["sub_orders"]]


def qr_path(reserved: dict[str, Any]) -> str:
    return str(reserved["transfer"]["qr_url"]).removeprefix("https://chipin.test")


# ---- reserving by transfer ----


async def test_reserving_by_sepa_says_how_to_pay_and_keeps_the_reference(api: Api) -> None:
    order = await sepa_order(api)
    first = await reserve_by(api, order, "bob", "sepa")
    assert first["checkout_url"] is None
    assert first["sub_order"]["state"] == "reserved"
    how = first["transfer"]
    reference = how["reference"]
    assert is_valid_rf(reference)
    assert len(reference) == 14
    assert how["reference_printed"] == " ".join(
        reference[i : i + 4] for i in range(0, len(reference), 4)
    )
    assert {k: v for k, v in how.items() if k not in ("instructions", "late_money")} == {
        "method": "sepa",
        "label": "SEPA bank transfer",
        "reference": reference,
        "reference_printed": how["reference_printed"],
        "payload": "\n".join(
            ["BCD", "002", "1", "SCT", "COBADEFFXXX", "Ann Example", IBAN, "EUR30", "", reference]
        ),
        "qr_url": f"https://chipin.test/api/v1/pay/{token_of(order)}/transfers/{reference}/qr.png",
        "holder": "Ann Example",
        "account": IBAN,
        "bic": "COBADEFFXXX",
        "city": None,
        "amount": "30.00",
        "amount_minor": 3000,
        "currency": "EUR",
    }
    for said in ("exactly 30.00 EUR", IBAN, "Ann Example", how["reference_printed"], "claim"):
        assert said in how["instructions"]
    assert "copy the reference exactly" in how["instructions"]
    assert "not refunded by Chipin" in how["late_money"]
    assert "returns it to you by hand" in how["late_money"]

    again = await api.reserve(order, "bob", headers=hold(first), method="sepa")
    assert again.status_code == 200
    assert again.json()["transfer"] == how
    assert again.json()["hold_secret"] is None
    other = await reserve_by(api, order, "cat", "sepa")
    assert other["transfer"]["reference"] != reference
    read = await api.client.get(f"/api/v1/pay/{token_of(order)}/hold", headers=hold(first))
    assert read.status_code == 200
    assert (read.json()["transfer"], read.json()["checkout_url"]) == (how, None)
    assert await parts(api, order) == ["reserved", "reserved", "available"]


async def test_the_qr_code_decodes_to_exactly_the_payload(api: Api) -> None:
    order = await sepa_order(api)
    reserved = await reserve_by(api, order, "bob", "sepa")
    response = await api.client.get(qr_path(reserved))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Cache-Control"] == "no-store"
    (code,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(response.content)))
    assert code.text == reserved["transfer"]["payload"]
    assert code.ec_level == "M"
    printed = reserved["transfer"]["reference_printed"]
    spaced = await api.client.get(f"/api/v1/pay/{token_of(order)}/transfers/{printed}/qr.png")
    assert spaced.content == response.content


async def test_a_qr_code_is_404_unless_token_and_reference_go_together(api: Api) -> None:
    order = await sepa_order(api)
    other = await sepa_order(api)
    reference = (await reserve_by(api, order, "bob", "sepa"))["transfer"]["reference"]
    paths = [
        f"/api/v1/pay/{token_of(other)}/transfers/{reference}/qr.png",
        f"/api/v1/pay/{token_of(order)}/transfers/RF18539007547034/qr.png",
        f"/api/v1/pay/nope/transfers/{reference}/qr.png",
    ]
    for path in paths:
        response = await api.client.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"] == "not_found"


@pytest.mark.parametrize(
    ("currency", "mode", "method", "reason"),
    [
        ("USD", "keep", "sepa", "currency"),
        ("EUR", "all", "sepa", "mode_all"),
        ("BRL", "keep", "pix", "method"),
    ],
)
async def test_transfers_are_refused_where_they_cannot_work(
    api: Api, currency: str, mode: str, method: str, reason: str
) -> None:
    await sepa_order(api)
    order = await api.create(total="90", payers=3, currency=currency, mode=mode)
    before = await snapshot(api.rig)
    refused = await api.reserve(order, "bob", method=method)
    assert refused.status_code == 422
    assert (refused.json()["error"], refused.json()["reason"]) == ("unsupported", reason)
    assert await snapshot(api.rig) == before


async def test_a_hold_pays_one_way_only(api: Api) -> None:
    order = await sepa_order(api)
    by_transfer = await reserve_by(api, order, "bob", "sepa")
    by_card = await reserve_by(api, order, "cat", "fake")
    assert by_card["transfer"] is None
    assert by_card["checkout_url"]
    before = await snapshot(api.rig)
    to_card = await api.reserve(order, "bob", headers=hold(by_transfer), gateway="fake")
    to_transfer = await api.reserve(order, "cat", headers=hold(by_card), method="sepa")
    assert (to_card.status_code, to_card.json()["reason"]) == (403, "transfer")
    assert (to_transfer.status_code, to_transfer.json()["reason"]) == (403, "checkout")
    assert to_card.json()["error"] == to_transfer.json()["error"] == "not_allowed"
    both = await api.reserve(order, "dan", method="sepa", gateway="fake")
    assert (both.status_code, both.json()["field"]) == (422, "method")
    assert await snapshot(api.rig) == before
    alias = await api.reserve(order, "dan", gateway="fake", method="fake")
    assert alias.status_code == 201


# ---- claims ----


async def test_a_claim_holds_the_part_and_saying_it_again_answers_the_same(api: Api) -> None:
    order = await sepa_order(api)
    reserved = await reserve_by(api, order, "bob", "sepa")
    before = await snapshot(api.rig)
    for headers in ({}, {"Chipin-Hold": "w" * 43}):
        stolen = await claim(api, order, "bob", headers)
        assert (stolen.status_code, stolen.json()["error"]) == (403, "hold_not_yours")
    assert await snapshot(api.rig) == before

    first = await claim(api, order, "bob", hold(reserved))
    assert first.status_code == 200, first.text
    claimed = first.json()
    reference = reserved["transfer"]["reference"]
    assert {k: v for k, v in claimed.items() if k != "claimed_at"} == {
        "reference": reference,
        "reference_printed": reserved["transfer"]["reference_printed"],
        "state": "claimed",
        "method": "sepa",
        "amount": "30.00",
        "amount_minor": 3000,
        "currency": "EUR",
    }
    assert claimed["claimed_at"] is not None
    again = await claim(api, order, "bob", hold(reserved))
    assert (again.status_code, again.json()) == (200, claimed)
    assert await parts(api, order) == ["claimed", "available", "available"]
    read = await api.client.get(f"/api/v1/pay/{token_of(order)}/hold", headers=hold(reserved))
    assert (read.json()["sub_order"]["state"], read.json()["transfer"]) == (
        "claimed",
        reserved["transfer"],
    )
    released = await api.client.delete(
        f"/api/v1/pay/{token_of(order)}/hold", headers=hold(reserved)
    )
    assert (released.status_code, released.json()["error"]) == (409, "not_held")

    listed = (await api.get("/api/v1/claims")).json()["items"]
    assert listed == [
        {
            "reference": reference,
            "reference_printed": reserved["transfer"]["reference_printed"],
            "order_id": order["id"],
            "order_title": "Dinner",
            "sub_order_id": listed[0]["sub_order_id"],
            "amount": "30.00",
            "amount_minor": 3000,
            "currency": "EUR",
            "method": "sepa",
            "payer": "bob",
            "payer_name": None,
            "issued_at": listed[0]["issued_at"],
            "claimed_at": claimed["claimed_at"],
            "utr": None,
        }
    ]
    assert (await api.get("/api/v1/claims", api.bob)).json() == {"items": []}


async def test_claim_refusals(api: Api) -> None:
    order = await sepa_order(api)
    by_card = await reserve_by(api, order, "cat", "fake")
    before = await snapshot(api.rig)
    no_transfer = await claim(api, order, "cat", hold(by_card))
    nobody = await claim(api, order, "eve", {})
    assert (no_transfer.status_code, no_transfer.json()["error"]) == (409, "not_held")
    assert (nobody.status_code, nobody.json()["error"]) == (409, "not_held")
    unknown = await api.client.post("/api/v1/pay/nope/claim", json={"payer": "cat"})
    assert (unknown.status_code, unknown.json()["error"]) == (404, "not_found")
    for body, field in (({}, "payer"), ({"payer": "tg:5"}, "payer"), ({"payer": "c", "x": 1}, "x")):
        path = f"/api/v1/pay/{token_of(order)}/claim"
        bad = await api.client.post(path, json=body, headers=hold(by_card))
        assert (bad.status_code, bad.json()["field"]) == (422, field)
    assert await snapshot(api.rig) == before


async def test_a_upi_claim_needs_its_twelve_digit_utr(api: Api) -> None:
    assert (await api.post("/api/v1/methods", UPI)).status_code == 201
    order = await api.create(total="900", payers=3, currency="INR")
    reserved = await reserve_by(api, order, "bob", "upi")
    assert reserved["transfer"]["payload"].startswith("upi://pay?pa=ann.kumar@okaxis")
    assert "UTR" in reserved["transfer"]["instructions"]
    before = await snapshot(api.rig)
    for utr in (None, "12345", "x" * 41):
        extra = {} if utr is None else {"utr": utr}
        refused = await claim(api, order, "bob", hold(reserved), **extra)
        assert (refused.status_code, refused.json()["field"]) == (422, "utr")
    assert await snapshot(api.rig) == before
    claimed = await claim(api, order, "bob", hold(reserved), utr="4012 3456 7890")
    assert claimed.status_code == 200
    [pending] = (await api.get("/api/v1/claims")).json()["items"]
    assert (pending["utr"], pending["method"], pending["amount"]) == (
        "401234567890",
        "upi",
        "300.00",
    )


# ---- the payee decides ----


async def test_confirming_counts_the_part_once(api: Api) -> None:
    order = await sepa_order(api)
    reserved = await reserve_by(api, order, "bob", "sepa")
    assert (await claim(api, order, "bob", hold(reserved))).status_code == 200
    reference = reserved["transfer"]["reference"]
    before = await snapshot(api.rig)
    for path in (f"/api/v1/claims/{reference}/confirm", "/api/v1/claims/RF18539007547034/confirm"):
        theirs = await api.post(path, key=api.bob if reference in path else None)
        assert (theirs.status_code, theirs.json()["error"]) == (404, "not_found")
    assert await snapshot(api.rig) == before

    first = await api.post(f"/api/v1/claims/{reference}/confirm")
    assert first.status_code == 200, first.text
    payment = first.json()
    assert payment["payment_id"].startswith("pmt")
    assert {k: v for k, v in payment.items() if k != "payment_id"} == {
        "order_id": order["id"],
        "reference": reference,
        "amount": "30.00",
        "amount_minor": 3000,
        "currency": "EUR",
        "method": "sepa",
        "status": "captured",
        "counted": True,
        "settled_by": "payee",
        "reason": "confirmed by the payee",
    }
    printed = reserved["transfer"]["reference_printed"]
    again = await api.post(f"/api/v1/claims/{printed}/confirm")
    assert (again.status_code, again.json()) == (200, payment)
    assert (await api.get("/api/v1/claims")).json() == {"items": []}
    assert await parts(api, order) == ["paid", "available", "available"]
    view = (await api.get(f"/api/v1/orders/{order['id']}")).json()
    assert (view["paid_count"], view["paid"]) == (1, "30.00")

    paid_again = await claim(api, order, "bob", hold(reserved))
    assert (paid_again.status_code, paid_again.json()["error"]) == (409, "already_paid")
    denied = await api.post(f"/api/v1/claims/{reference}/deny")
    assert (denied.status_code, denied.json()["error"]) == (403, "not_allowed")

    records = (await api.get("/api/v1/records")).json()["items"]
    assert [(r["kind"], r["method"], r["settled"]) for r in records] == [
        ("part.paid", "sepa", "payee")
    ]
    [totals] = (await api.get("/api/v1/stats")).json()["totals"]
    assert (totals["net"], totals["direct"], totals["through_operator"]) == (
        "30.00",
        "30.00",
        "0.00",
    )
    assert (totals["direct_minor"], totals["through_operator_minor"]) == (3000, 0)


async def test_records_of_a_gateway_payment_and_of_an_order_say_so(api: Api) -> None:
    order = await api.create(total="10", payers=1)
    reserved = await reserve_by(api, order, "bob", "fake")
    checkout = reserved["checkout_url"].rsplit("/", 1)[1]
    await api.rig.engine.apply_event(api.rig.gateway.pay(checkout))
    records = (await api.get("/api/v1/records")).json()["items"]
    assert [(r["kind"], r["method"], r["settled"]) for r in records] == [
        ("order.completed", None, None),
        ("part.paid", "fake", "gateway"),
    ]
    [totals] = (await api.get("/api/v1/stats")).json()["totals"]
    assert (totals["direct"], totals["through_operator"]) == ("0.00", "10.00")


async def test_denying_frees_the_part_and_denying_again_is_409(api: Api) -> None:
    order = await sepa_order(api)
    reserved = await reserve_by(api, order, "bob", "sepa")
    reference = reserved["transfer"]["reference"]
    unclaimed = await api.post(f"/api/v1/claims/{reference}/deny")
    assert (unclaimed.status_code, unclaimed.json()["error"]) == (409, "not_held")
    assert (await claim(api, order, "bob", hold(reserved))).status_code == 200
    theirs = await api.post(f"/api/v1/claims/{reference}/deny", key=api.bob)
    assert theirs.status_code == 404
    denied = await api.post(f"/api/v1/claims/{reference}/deny")
    assert (denied.status_code, denied.content) == (204, b"")
    assert await parts(api, order) == ["available", "available", "available"]
    assert (await api.get("/api/v1/claims")).json() == {"items": []}
    before = await snapshot(api.rig)
    again = await api.post(f"/api/v1/claims/{reference}/deny")
    assert (again.status_code, again.json()["error"]) == (409, "not_held")
    reclaimed = await claim(api, order, "bob", hold(reserved))
    assert (reclaimed.status_code, reclaimed.json()["error"]) == (409, "not_held")
    assert await snapshot(api.rig) == before


async def test_money_too_late_is_listed_to_return_by_hand(api: Api) -> None:
    order = await sepa_order(api, n=1)
    engine = api.rig.engine
    token = token_of(order)
    late = await engine.reserve(token, "tg:10", method="sepa", payer_name="Bob", source="tg:10")
    assert late.transfer is not None
    api.rig.clock.advance(minutes=16)
    await engine.release_lapsed_holds()
    other = await engine.reserve(token, "tg:11", source="tg:11")
    assert other.sub.checkout_ref is not None
    await engine.apply_event(api.rig.gateway.pay(other.sub.checkout_ref))

    owed = (await api.post(f"/api/v1/claims/{late.transfer.reference}/confirm")).json()
    assert (owed["status"], owed["counted"], owed["reason"]) == (
        "refund_owed",
        False,
        "order completed",
    )
    listed = (await api.get("/api/v1/returns")).json()["items"]
    assert listed == [
        {
            "payment_id": owed["payment_id"],
            "order_id": order["id"],
            "order_title": "Dinner",
            "amount": "90.00",
            "amount_minor": 9000,
            "currency": "EUR",
            "method": "sepa",
            "reference": late.transfer.reference,
            "reason": "order completed",
            "payer_name": "Bob",
            "since": listed[0]["since"],
        }
    ]
    assert (await api.get("/api/v1/returns", api.bob)).json() == {"items": []}

    path = f"/api/v1/returns/{owed['payment_id']}/returned"
    before = await snapshot(api.rig)
    theirs = await api.post(path, key=api.bob)
    assert (theirs.status_code, theirs.json()["error"]) == (404, "not_found")
    unknown = await api.post("/api/v1/returns/pmt_nope/returned")
    assert (unknown.status_code, unknown.json()["error"]) == (404, "not_found")
    assert await snapshot(api.rig) == before
    done = await api.post(path)
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["payment_id"]) == ("refunded", owed["payment_id"])
    again = await api.post(path)
    assert (again.status_code, again.json()) == (200, done.json())
    assert (await api.get("/api/v1/returns")).json() == {"items": []}

    counted = [p for p in await _payments(api) if p != owed["payment_id"]]
    not_owed = await api.post(f"/api/v1/returns/{counted[0]}/returned")
    assert (not_owed.status_code, not_owed.json()["error"]) == (403, "not_allowed")


async def _payments(api: Api) -> list[str]:
    records = (await api.get("/api/v1/records?limit=100")).json()["items"]
    return [r["payment_id"] for r in records if r["payment_id"]]


# ---- bank statements ----


def camt(*entries: str) -> bytes:
    """A camt.053.001.08 statement of Ann's account with these entries (`Ntry`)."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>STMT-20261207</MsgId><CreDtTm>2026-12-07T18:00:00+01:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>STMT-20261207-1</Id>
      <CreDtTm>2026-12-07T18:00:00+01:00</CreDtTm>
      <Acct><Id><IBAN>{IBAN}</IBAN></Id><Ccy>EUR</Ccy></Acct>
      {"".join(entries)}
    </Stmt>
  </BkToCstmrStmt>
</Document>
""".encode()


def credit(amount: str, debtor: str, remittance: str, ref: int) -> str:
    return f"""<Ntry>
        <Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>2026-12-07</Dt></BookgDt><AcctSvcrRef>BANK-{ref}</AcctSvcrRef>
        <NtryDtls><TxDtls>
          <Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd>
          <RltdPties><Dbtr><Pty><Nm>{debtor}</Nm></Pty></Dbtr></RltdPties>
          <RmtInf>{remittance}</RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>"""


async def upload(
    api: Api, data: bytes, key: str | None = None, content_type: str = "application/xml"
) -> httpx.Response:
    headers = {**bearer(key or api.ann), "Content-Type": content_type}
    return await api.client.post("/api/v1/statements", content=data, headers=headers)


async def test_a_statement_confirms_claimed_parts_and_again_changes_nothing(
    reading: Api,
) -> None:
    api = reading
    order = await sepa_order(api)
    bob = await reserve_by(api, order, "bob", "sepa")
    cat = await reserve_by(api, order, "cat", "sepa")
    for payer, reserved in (("bob", bob), ("cat", cat)):
        assert (await claim(api, order, payer, hold(reserved))).status_code == 200
    structured = bob["transfer"]["reference"]
    printed = cat["transfer"]["reference_printed"]  # split across two lines of free text
    statement = camt(
        credit(
            "30.00",
            "Bob Payer",
            f"<Strd><CdtrRefInf><Ref>{structured}</Ref></CdtrRefInf></Strd>",
            1,
        ),
        credit(
            "30.00",
            "Cat Payer",
            f"<Ustrd>Dinner {printed[:9]}</Ustrd><Ustrd>{printed[9:]} thanks</Ustrd>",
            2,
        ),
        credit("12.34", "Dora Nomatch", "<Ustrd>Birthday gift</Ustrd>", 3),
    )
    response = await upload(api, statement)
    assert response.status_code == 200, response.text
    report = response.json()
    [unmatched] = report["to_check"]
    assert {k: v for k, v in report.items() if k != "to_check"} == {
        "format": "camt.053",
        "lines": 3,
        "credits": 3,
        "imported_again": 0,
        "matched": 2,
        "outcomes": {"matched": 2, "unmatched": 1},
    }
    assert len(unmatched["line_hash"]) == 16
    assert {k: v for k, v in unmatched.items() if k not in ("line_hash", "imported_at")} == {
        "booking_date": "2026-12-07",
        "amount": "12.34",
        "amount_minor": 1234,
        "currency": "EUR",
        "counterparty": "Dora Nomatch",
        "text": "Birthday gift",
        "outcome": "unmatched",
        "reference": None,
        "payment_id": None,
    }
    assert (await api.get("/api/v1/claims")).json() == {"items": []}
    assert await parts(api, order) == ["paid", "paid", "available"]
    records = (await api.get("/api/v1/records")).json()["items"]
    assert [(r["kind"], r["method"], r["settled"]) for r in records] == [
        ("part.paid", "sepa", "statement")
    ] * 2
    assert (await api.get("/api/v1/statements/lines")).json() == {"items": [unmatched]}

    before = await snapshot(api.rig)
    again = await upload(api, statement, content_type="application/octet-stream")
    assert again.status_code == 200
    assert again.json() == {
        "format": "camt.053",
        "lines": 3,
        "credits": 3,
        "imported_again": 3,
        "matched": 0,
        "outcomes": {},
        "to_check": [],
    }
    assert await snapshot(api.rig) == before

    theirs = await upload(api, statement, api.bob)  # Bob's import: none of these are his
    assert theirs.json()["outcomes"] == {"unmatched": 3}
    assert await parts(api, order) == ["paid", "paid", "available"]
    assert (await api.get("/api/v1/statements/lines")).json() == {"items": [unmatched]}


async def test_a_statement_with_another_amount_is_left_to_the_payee(reading: Api) -> None:
    api = reading
    order = await sepa_order(api)
    bob = await reserve_by(api, order, "bob", "sepa")
    assert (await claim(api, order, "bob", hold(bob))).status_code == 200
    ref = bob["transfer"]["reference"]
    statement = camt(credit("29.00", "Bob Payer", f"<Ustrd>{ref}</Ustrd>", 1))
    report = (await upload(api, statement)).json()
    assert report["outcomes"] == {"underpaid": 1}
    assert [(line["outcome"], line["reference"]) for line in report["to_check"]] == [
        ("underpaid", ref)
    ]
    assert await parts(api, order) == ["claimed", "available", "available"]
    assert len((await api.get("/api/v1/claims")).json()["items"]) == 1


async def test_a_file_that_is_no_statement_is_422_and_changes_nothing(reading: Api) -> None:
    api = reading
    before = await snapshot(api.rig)
    pdf = await upload(api, b"%PDF-1.7 a statement, printed", content_type="application/pdf")
    assert pdf.status_code == 422
    assert pdf.json() == {
        "error": "statement_unreadable",
        "message": "this is a PDF; download the statement as CAMT.053 (XML), MT940 or OFX instead",
    }
    headers = {**bearer(api.ann), "Content-Type": "text/csv"}
    path = "/api/v1/statements?filename=export.csv"
    sheet = await api.client.post(path, content=b"date;amount\n", headers=headers)
    assert (sheet.status_code, sheet.json()["error"]) == (422, "statement_unreadable")
    assert "spreadsheet" in sheet.json()["message"]
    empty = await upload(api, b"")
    assert (empty.status_code, empty.json()["message"]) == (422, "the file is empty")
    big = await upload(api, b"x" * 100_000)  # past 64 KiB, the limit of other bodies
    assert (big.status_code, big.json()["error"]) == (422, "statement_unreadable")
    form = await api.client.post(
        "/api/v1/statements",
        files={"file": ("s.xml", camt())},
        headers=bearer(api.ann),
    )
    assert (form.status_code, form.json()["error"]) == (415, "unsupported_media_type")
    assert "--data-binary" in form.json()["message"]
    assert await snapshot(api.rig) == before


async def test_a_statement_over_5_mb_is_413(reading: Api) -> None:
    api = reading
    declared = await upload(api, b" " * (FIVE_MB + 1))
    assert declared.status_code == 413
    assert declared.json() == {"error": "too_large", "message": "the request body is over 5 MB"}

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(6):
            yield b" " * (1024 * 1024)

    headers = {**bearer(api.ann), "Content-Type": "application/octet-stream"}
    streamed = await api.client.post("/api/v1/statements", content=chunks(), headers=headers)
    assert streamed.status_code == 413
    assert streamed.json()["error"] == "too_large"
    assert "5 MB" in streamed.json()["message"]
    at_limit = await upload(api, b" " * FIVE_MB)
    assert (at_limit.status_code, at_limit.json()["message"]) == (422, "the file is empty")


async def test_without_a_statement_reader_imports_are_503(rig: Rig) -> None:
    async with api_over(rig, None) as api:
        before = await snapshot(api.rig)
        response = await upload(api, camt())
        assert (response.status_code, response.json()["error"]) == (503, "unavailable")
        assert "cannot be imported" in response.json()["message"]
        assert await snapshot(api.rig) == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/claims"),
        ("POST", "/api/v1/claims/RF18539007547034/confirm"),
        ("POST", "/api/v1/claims/RF18539007547034/deny"),
        ("GET", "/api/v1/returns"),
        ("POST", "/api/v1/returns/pmt_1/returned"),
        ("POST", "/api/v1/statements"),
        ("GET", "/api/v1/statements/lines"),
    ],
)
async def test_every_payee_route_needs_a_key(api: Api, method: str, path: str) -> None:
    response = await api.client.request(method, path)
    assert (response.status_code, response.json()["error"]) == (401, "unauthorized")


# ---- nothing personal in the logs ----


async def test_no_payer_or_account_details_reach_the_logs(
    reading: Api, caplog: pytest.LogCaptureFixture
) -> None:
    api = reading
    caplog.set_level(logging.DEBUG)
    order = await sepa_order(api)
    payer = "bob.private@example.com"
    reserved = await reserve_by(api, order, payer, "sepa")
    assert (await claim(api, order, payer, hold(reserved))).status_code == 200
    reference = reserved["transfer"]["reference"]
    statement = camt(credit("30.00", "Robert Private", f"<Ustrd>{reference}</Ustrd>", 1))
    assert (await upload(api, statement)).json()["matched"] == 1
    assert (await api.post("/api/v1/methods", UPI)).status_code == 201
    inr = await api.create(total="900", payers=3, currency="INR")
    upi = await reserve_by(api, inr, payer, "upi")
    assert (await claim(api, inr, payer, hold(upi), utr="401234567890")).status_code == 200
    assert (await api.post(f"/api/v1/claims/{upi['transfer']['reference']}/confirm")).is_success
    assert (await api.client.get(qr_path(upi))).status_code == 200
    logged = "\n".join(
        f"{r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records
    ).lower()
    assert logged  # the flow did log
    for secret in (
        payer,
        IBAN,
        "DE89 3704",
        "ann example",
        "cobadeffxxx",
        "robert private",
        "ann.kumar@okaxis",
        "ann kumar",
        "401234567890",
        reserved["hold_secret"],
    ):
        assert secret.lower() not in logged, secret

"""The Connect layer of the test localstripe (tests.gateways.connect_layer), over real HTTP.

Every test shares the session's localstripe: each makes its own accounts and intents, and
its own webhook endpoints (unique ids, removed after), and looks only at those.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import socket
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import stripe
from starlette.types import Receive, Scope, Send

from gateways.stripe.http import HttpxClient
from tests.gateways.stripe_rig import (
    API_KEY,
    CONNECT_HOOK_PATH,
    CONNECT_WEBHOOK_SECRET,
    HOOK_PATH,
    Admin,
    Delivery,
    Gate,
    Listener,
    Localstripe,
    _answer,
    _read_body,
    account_event_doc,
    signed_connect,
)

SECRET = "whsec_connect_layer_tests_0123456789"
RETURN_URL = "https://chipin.example/payouts/return"
REFRESH_URL = "https://chipin.example/payouts/refresh"


@dataclass
class Posted:
    path: str
    doc: dict[str, Any]
    body: bytes
    headers: dict[str, str]


@dataclass
class Receiver:
    """A webhook endpoint on both registries: /platform (localstripe's own webhooks) and
    /connect (the layer's Connect webhooks), recording what arrives."""

    posted: list[Posted] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await _read_body(receive)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        self.posted.append(Posted(scope["path"], json.loads(body), body, headers))
        await _answer(send, 200, b"{}")

    def at(self, path: str, keep: Callable[[dict[str, Any]], bool]) -> list[Posted]:
        return [p for p in self.posted if p.path == path and keep(p.doc)]

    async def wait(
        self, path: str, keep: Callable[[dict[str, Any]], bool], timeout_s: float = 10.0
    ) -> Posted:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = self.at(path, keep)
            if found:
                return found[0]
            await asyncio.sleep(0.02)
        seen = [(p.path, p.doc.get("type"), p.doc.get("account")) for p in self.posted]
        raise AssertionError(f"nothing at {path} within {timeout_s} s; saw {seen}")


@pytest.fixture
async def admin(localstripe: Localstripe) -> AsyncIterator[Admin]:
    found = Admin(localstripe.base_url)
    yield found
    await found.close()


@pytest.fixture
async def api(localstripe: Localstripe) -> AsyncIterator[httpx.AsyncClient]:
    """Raw calls with the secret key, form-encoded as stripe-python sends them."""
    async with httpx.AsyncClient(
        base_url=localstripe.base_url, auth=(API_KEY, ""), timeout=10
    ) as client:
        yield client


@pytest.fixture
async def receiver(localstripe: Localstripe, api: httpx.AsyncClient) -> AsyncIterator[Receiver]:
    found = Receiver()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    listener = Listener(found, sock)
    await listener.start()
    hook_id = f"connect-layer-{secrets.token_hex(6)}"
    for registry, path in (("webhooks", "/platform"), ("connect_webhooks", "/connect")):
        answer = await api.post(
            f"/_config/{registry}/{hook_id}",
            data={"url": listener.base_url + path, "secret": SECRET},
        )
        answer.raise_for_status()
    try:
        yield found
    finally:
        for registry in ("webhooks", "connect_webhooks"):
            (await api.delete(f"/_config/{registry}/{hook_id}")).raise_for_status()
        await listener.stop()


async def ready_account(admin: Admin) -> str:
    """An Express account through onboarding: it takes destination charges."""
    account_id = str((await admin.create_account())["id"])
    assert await admin.onboard(await admin.account_link(account_id)) == (
        "https://chipin.example/return"
    )
    return account_id


async def destination_intent(
    admin: Admin, account_id: str, amount: int, fee: int, currency: str = "nok", **more: str
) -> str:
    params: dict[str, str | int] = {"transfer_data[destination]": account_id, **more}
    if fee:
        params["application_fee_amount"] = fee
    return await admin.create_intent(amount, currency, params)


def error_of(answer: httpx.Response, status: int = 400) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    error: dict[str, Any] = answer.json()["error"]
    assert error["type"] == "invalid_request_error"
    return error


# ---- accounts ----


async def test_an_express_account_has_stripes_fields_and_can_be_read_updated_listed_deleted(
    localstripe: Localstripe,
) -> None:
    http = HttpxClient(10)
    client = stripe.StripeClient(
        API_KEY, base_addresses={"api": localstripe.base_url}, http_client=http
    )
    try:
        made = await client.v1.accounts.create_async(
            {
                "type": "express",
                "country": "DE",
                "email": "ann@example.com",
                "capabilities": {
                    "card_payments": {"requested": True},
                    "transfers": {"requested": True},
                },
                "metadata": {"chipin_payee": "payee_1"},
            },
            {"idempotency_key": "acct-create-1"},
        )
        doc = made.to_dict()
        account_id = doc["id"]
        assert account_id.startswith("acct_")
        assert len(account_id) == len("acct_") + 16
        assert doc["object"] == "account"
        assert doc["type"] == "express"
        assert (doc["country"], doc["default_currency"], doc["email"]) == (
            "DE",
            "eur",
            "ann@example.com",
        )
        assert not doc["charges_enabled"]
        assert not doc["payouts_enabled"]
        assert not doc["details_submitted"]
        assert doc["capabilities"] == {"card_payments": "inactive", "transfers": "inactive"}
        assert doc["metadata"] == {"chipin_payee": "payee_1"}
        assert doc["controller"]["stripe_dashboard"] == {"type": "express"}
        due = doc["requirements"]
        assert {"business_type", "external_account", "individual.dob.day"} <= set(
            due["currently_due"]
        )
        assert "tos_acceptance.date" in due["currently_due"]
        assert due["past_due"] == due["currently_due"]
        assert set(due["eventually_due"]) >= set(due["currently_due"])
        assert due["disabled_reason"] == "requirements.past_due"
        assert (due["pending_verification"], due["errors"], due["current_deadline"]) == (
            [],
            [],
            None,
        )
        assert isinstance(doc["created"], int)
        assert doc["livemode"] is False

        found = await client.v1.accounts.retrieve_async(account_id)
        assert found.to_dict() == doc
        updated = await client.v1.accounts.update_async(
            account_id, {"metadata": {"note": "x", "chipin_payee": ""}}
        )
        assert updated.to_dict()["metadata"] == {"note": "x"}
        listed = await client.v1.accounts.list_async({"limit": 100})
        assert account_id in [a.id for a in listed.data]
        gone = await client.v1.accounts.delete_async(account_id)
        assert gone.to_dict() == {"id": account_id, "object": "account", "deleted": True}
        with pytest.raises(stripe.InvalidRequestError) as missing:
            await client.v1.accounts.retrieve_async(account_id)
        assert missing.value.http_status == 404
        assert missing.value.code == "resource_missing"
    finally:
        await http.close_async()


async def test_a_controller_account_and_bad_account_parameters(api: httpx.AsyncClient) -> None:
    made = await api.post(
        "/v1/accounts",
        data={
            "controller[stripe_dashboard][type]": "express",
            "controller[fees][payer]": "application",
            "controller[losses][payments]": "application",
        },
    )
    assert made.status_code == 200, made.text
    assert (made.json()["type"], made.json()["country"]) == ("express", "US")
    unknown = await api.post("/v1/accounts", data={"type": "express", "colour": "blue"})
    assert error_of(unknown) == {
        "type": "invalid_request_error",
        "message": "Received unknown parameter: colour",
        "param": "colour",
        "code": "parameter_unknown",
    }
    for form, param in (
        ({"type": "express", "country": "XX"}, "country"),
        ({"type": "sometimes"}, "type"),
        ({"type": "express", "email": "not an email"}, "email"),
        ({"type": "express", "capabilities[transfers][requested]": "maybe"}, None),
        ({"type": "express", "controller[stripe_dashboard][type]": "express"}, "controller"),
    ):
        error = error_of(await api.post("/v1/accounts", data=form))
        if param is not None:
            assert error["param"] == param, error


# ---- account links and onboarding ----


async def test_account_links_are_made_for_existing_accounts_with_both_urls(
    admin: Admin, api: httpx.AsyncClient, localstripe: Localstripe
) -> None:
    account_id = str((await admin.create_account())["id"])
    good = {
        "account": account_id,
        "type": "account_onboarding",
        "refresh_url": REFRESH_URL,
        "return_url": RETURN_URL,
    }
    before = int(time.time())
    made = await api.post("/v1/account_links", data=good)
    assert made.status_code == 200, made.text
    link = made.json()
    assert set(link) == {"object", "created", "expires_at", "url"}
    assert link["object"] == "account_link"
    assert link["created"] >= before
    assert link["expires_at"] == link["created"] + 300
    assert link["url"].startswith(f"{localstripe.base_url}/connect/onboarding/")
    cases = [
        ({k: v for k, v in good.items() if k != "return_url"}, "return_url", "parameter_missing"),
        ({k: v for k, v in good.items() if k != "account"}, "account", "parameter_missing"),
        ({**good, "type": "account_signup"}, "type", None),
        ({**good, "return_url": "not a url"}, "return_url", "url_invalid"),
        ({**good, "account": "acct_0000000000000000"}, "account", "resource_missing"),
        # Express accounts have Stripe's dashboard: their updates are Stripe's to collect.
        ({**good, "type": "account_update"}, "type", None),
        ({**good, "colour": "blue"}, "colour", "parameter_unknown"),
    ]
    for form, param, code in cases:
        error = error_of(await api.post("/v1/account_links", data=form))
        assert error["param"] == param, (form, error)
        assert error.get("code") == code, (form, error)
        assert error["message"], error


async def test_onboarding_enables_the_account_and_tells_the_connect_endpoints(
    admin: Admin, api: httpx.AsyncClient, receiver: Receiver
) -> None:
    account_id = str((await admin.create_account())["id"])
    link = await admin.account_link(account_id, REFRESH_URL, RETURN_URL)
    page = await api.get(link)  # a browser: no key needed, but one does no harm
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert account_id in page.text
    assert "Agree and submit" in page.text
    assert "Submit without ID document" in page.text
    sent = await api.post(link, data={"outcome": "agree"})
    assert (sent.status_code, sent.headers["location"]) == (303, RETURN_URL)

    account = await admin.account(account_id)
    assert account["details_submitted"]
    assert account["charges_enabled"]
    assert account["payouts_enabled"]
    assert account["capabilities"] == {"card_payments": "active", "transfers": "active"}
    due = account["requirements"]
    assert due["currently_due"] == due["past_due"] == due["eventually_due"] == []
    assert due["disabled_reason"] is None

    posted = await receiver.wait("/connect", lambda d: d.get("account") == account_id)
    event = stripe.Webhook.construct_event(
        posted.body.decode(), posted.headers["stripe-signature"], SECRET
    ).to_dict()
    assert event["type"] == "account.updated"
    assert event["object"] == "event"
    assert event["id"].startswith("evt_")
    assert event["data"]["object"]["id"] == account_id
    assert event["data"]["object"]["charges_enabled"] is True
    previous = event["data"]["previous_attributes"]
    assert previous["charges_enabled"] is False
    assert previous["details_submitted"] is False
    assert previous["capabilities"] == {"card_payments": "inactive", "transfers": "inactive"}
    assert previous["requirements"]["disabled_reason"] == "requirements.past_due"
    assert "email" not in previous  # unchanged fields are left out
    assert not receiver.at("/platform", lambda d: d["type"].startswith("account."))

    listed = await api.get("/v1/events", params={"type": "account.updated", "limit": 100})
    assert event["id"] in [e["id"] for e in listed.json()["data"]]

    # Single use: visited and submitted, the link now sends the payee to refresh_url.
    assert await admin.onboard(link) == REFRESH_URL
    again = await api.post(link, data={"outcome": "agree"})
    assert (again.status_code, again.headers["location"]) == (303, REFRESH_URL)


async def test_without_an_id_document_the_account_stays_restricted(
    admin: Admin, receiver: Receiver
) -> None:
    account_id = str((await admin.create_account())["id"])
    link = await admin.account_link(account_id, REFRESH_URL, RETURN_URL)
    assert await admin.onboard(link, complete=False) == RETURN_URL
    account = await admin.account(account_id)
    assert account["details_submitted"] is True
    assert account["charges_enabled"] is False
    assert account["payouts_enabled"] is False
    due = account["requirements"]
    assert due["currently_due"] == due["past_due"] == ["individual.verification.document"]
    assert due["disabled_reason"] == "requirements.past_due"
    posted = await receiver.wait("/connect", lambda d: d.get("account") == account_id)
    assert posted.doc["data"]["object"]["details_submitted"] is True


async def test_a_visited_or_expired_link_goes_to_refresh_url(
    admin: Admin, api: httpx.AsyncClient
) -> None:
    account_id = str((await admin.create_account())["id"])
    visited = await admin.account_link(account_id, REFRESH_URL, RETURN_URL)
    assert (await api.get(visited)).status_code == 200
    second = await api.get(visited)
    assert (second.status_code, second.headers["location"]) == (303, REFRESH_URL)

    expired = await admin.account_link(account_id, REFRESH_URL, RETURN_URL)
    (await api.post("/_config/account_links/expire", data={"url": expired})).raise_for_status()
    assert await admin.onboard(expired) == REFRESH_URL
    late = await api.post(expired, data={"outcome": "agree"})
    assert (late.status_code, late.headers["location"]) == (303, REFRESH_URL)
    assert (await admin.account(account_id))["charges_enabled"] is False


async def test_the_test_control_restricts_an_account_and_says_so(
    admin: Admin, receiver: Receiver
) -> None:
    account_id = await ready_account(admin)
    deadline = int(time.time()) + 86400
    account = await admin.set_account(
        account_id,
        charges_enabled=False,
        disabled_reason="requirements.past_due",
        currently_due=["individual.id_number"],
        past_due=["individual.id_number"],
        current_deadline=deadline,
    )
    assert account["charges_enabled"] is False
    assert account["payouts_enabled"] is True
    assert account["capabilities"] == {"card_payments": "inactive", "transfers": "inactive"}
    assert account["requirements"]["current_deadline"] == deadline
    posted = await receiver.wait(
        "/connect",
        lambda d: (
            d.get("account") == account_id
            and "current_deadline"
            in d["data"].get("previous_attributes", {}).get("requirements", {})
        ),
    )
    assert posted.doc["data"]["previous_attributes"]["charges_enabled"] is True


# ---- destination charges ----


async def test_a_destination_charge_transfers_the_amount_and_takes_the_fee(
    admin: Admin, api: httpx.AsyncClient, receiver: Receiver
) -> None:
    account_id = await ready_account(admin)
    platform_before = (await admin.balance()).get("nok", 0)
    intent_id = await destination_intent(admin, account_id, 1000, 30)
    created = await admin.intent(intent_id)
    assert created["transfer_data"] == {"destination": account_id}
    assert created["application_fee_amount"] == 30
    assert created["on_behalf_of"] is None
    assert created["transfer_group"] is None
    assert not await admin.transfers(account_id)

    paid = await admin.pay(intent_id)
    assert paid["status"] == "succeeded", paid
    charge = paid["latest_charge"]
    (transfer,) = await admin.transfers(account_id)
    assert transfer["object"] == "transfer"
    assert transfer["id"].startswith("tr_")
    assert (transfer["amount"], transfer["currency"]) == (1000, "nok")
    assert transfer["amount_reversed"] == 0
    assert transfer["reversed"] is False
    assert transfer["reversals"]["data"] == []
    assert transfer["reversals"]["object"] == "list"
    assert transfer["destination"] == account_id
    assert transfer["source_transaction"] == charge["id"]
    assert transfer["destination_payment"].startswith("py_")
    assert transfer["transfer_group"] == f"group_{intent_id}"
    (fee,) = await admin.application_fees(charge["id"])
    assert fee["object"] == "application_fee"
    assert fee["id"].startswith("fee_")
    assert (fee["amount"], fee["currency"], fee["account"]) == (30, "nok", account_id)
    assert fee["originating_transaction"] == charge["id"]
    assert fee["amount_refunded"] == 0
    assert fee["refunded"] is False
    assert charge["transfer"] == transfer["id"]
    assert charge["application_fee"] == fee["id"]
    assert charge["application_fee_amount"] == 30
    assert charge["destination"] == account_id
    assert charge["transfer_data"] == {"amount": None, "destination": account_id}
    one = await api.get(f"/v1/transfers/{transfer['id']}")
    assert one.json() == transfer
    by_group = await api.get("/v1/transfers", params={"transfer_group": f"group_{intent_id}"})
    assert [t["id"] for t in by_group.json()["data"]] == [transfer["id"]]

    assert await admin.balance(account_id) == {"nok": 970}
    assert (await admin.balance()).get("nok", 0) - platform_before == 30

    # Connect events go to Connect endpoints only, platform events to platform ones only.
    await receiver.wait("/platform", lambda d: d["data"]["object"].get("id") == intent_id)
    assert not receiver.at("/connect", lambda d: d["data"]["object"].get("id") == intent_id)


async def test_a_manual_capture_transfers_only_what_is_captured_when_it_is(
    admin: Admin, api: httpx.AsyncClient
) -> None:
    account_id = await ready_account(admin)
    intent_id = await destination_intent(
        admin, account_id, 1000, 30, capture_method="manual", transfer_group="order_7"
    )
    held = await admin.pay(intent_id)
    assert held["status"] == "requires_capture"
    assert held["latest_charge"]["transfer"] is None
    assert held["latest_charge"]["amount_captured"] == 0
    assert not await admin.transfers(account_id)

    answer = await api.post(
        f"/v1/payment_intents/{intent_id}/capture",
        data={"amount_to_capture": 600, "application_fee_amount": 20},
    )
    assert answer.status_code == 200, answer.text
    captured = answer.json()
    assert captured["status"] == "succeeded"
    assert captured["application_fee_amount"] == 20
    charge = captured["latest_charge"]
    assert charge["amount_captured"] == 600
    assert charge["transfer_group"] == "order_7"
    (transfer,) = await admin.transfers(account_id)
    assert (transfer["amount"], transfer["transfer_group"]) == (600, "order_7")
    (fee,) = await admin.application_fees(charge["id"])
    assert fee["amount"] == 20
    assert await admin.balance(account_id) == {"nok": 580}
    again = await api.post(f"/v1/payment_intents/{intent_id}/capture")
    assert again.status_code == 400
    assert len(await admin.transfers(account_id)) == 1


async def test_a_full_refund_takes_back_the_transfer_and_the_fee(admin: Admin) -> None:
    account_id = await ready_account(admin)
    platform_before = (await admin.balance()).get("nok", 0)
    intent_id = await destination_intent(admin, account_id, 1000, 30)
    charge_id = (await admin.pay(intent_id))["latest_charge"]["id"]
    refund = await admin.refund(intent_id, reverse_transfer="true", refund_application_fee="true")
    assert refund["amount"] == 1000
    assert refund["transfer_reversal"].startswith("trr_")

    (transfer,) = await admin.transfers(account_id)
    assert transfer["amount_reversed"] == 1000
    assert transfer["reversed"] is True
    (reversal,) = transfer["reversals"]["data"]
    assert reversal == {
        **reversal,
        "object": "transfer_reversal",
        "id": refund["transfer_reversal"],
        "amount": 1000,
        "currency": "nok",
        "transfer": transfer["id"],
        "source_refund": refund["id"],
        "metadata": {},
    }
    assert reversal["destination_payment_refund"].startswith("pyr_")
    (fee,) = await admin.application_fees(charge_id)
    assert fee["amount_refunded"] == 30
    assert fee["refunded"] is True
    (fee_refund,) = fee["refunds"]["data"]
    assert fee_refund["object"] == "fee_refund"
    assert fee_refund["id"].startswith("fr_")
    assert (fee_refund["amount"], fee_refund["fee"], fee_refund["currency"]) == (
        30,
        fee["id"],
        "nok",
    )
    assert await admin.balance(account_id) == {"nok": 0}
    assert (await admin.balance()).get("nok", 0) == platform_before  # never pays a refund


async def test_partial_refunds_take_back_in_proportion(
    admin: Admin, api: httpx.AsyncClient
) -> None:
    account_id = await ready_account(admin)
    intent_id = await destination_intent(admin, account_id, 1000, 30)
    charge_id = (await admin.pay(intent_id))["latest_charge"]["id"]
    both = {"reverse_transfer": "true", "refund_application_fee": "true"}
    await admin.refund(intent_id, amount=250, **both)
    (transfer,) = await admin.transfers(account_id)
    (fee,) = await admin.application_fees(charge_id)
    assert (transfer["amount_reversed"], transfer["reversed"]) == (250, False)
    assert (fee["amount_refunded"], fee["refunded"]) == (8, False)  # 7.5 rounded half up
    assert await admin.balance(account_id) == {"nok": 1000 - 250 - 30 + 8}

    await admin.refund(intent_id, amount=750, **both)
    (transfer,) = await admin.transfers(account_id)
    (fee,) = await admin.application_fees(charge_id)
    assert [r["amount"] for r in transfer["reversals"]["data"]] == [750, 250]
    assert [r["amount"] for r in fee["refunds"]["data"]] == [22, 8]
    assert transfer["reversed"] is True
    assert fee["refunded"] is True
    assert await admin.balance(account_id) == {"nok": 0}
    reversals = await api.get(f"/v1/transfers/{transfer['id']}/reversals")
    assert reversals.json()["data"] == transfer["reversals"]["data"]
    refunds = await api.get(f"/v1/application_fees/{fee['id']}/refunds")
    assert refunds.json()["data"] == fee["refunds"]["data"]


async def test_a_refund_without_connect_parameters_leaves_the_transfer_alone(
    admin: Admin,
) -> None:
    account_id = await ready_account(admin)
    intent_id = await destination_intent(admin, account_id, 1000, 30)
    await admin.pay(intent_id)
    refund = await admin.refund(intent_id, amount=400)
    assert refund["transfer_reversal"] is None
    (transfer,) = await admin.transfers(account_id)
    assert transfer["amount_reversed"] == 0
    assert await admin.balance(account_id) == {"nok": 970}


async def test_plain_intents_and_refunds_are_as_before(admin: Admin) -> None:
    intent_id = await admin.create_intent(500, "usd")
    paid = await admin.pay(intent_id)
    assert paid["status"] == "succeeded"
    for name in ("transfer_data", "application_fee_amount", "on_behalf_of", "transfer_group"):
        assert paid[name] is None, name
        assert paid["latest_charge"][name] is None, name
    assert paid["latest_charge"]["transfer"] is None
    assert paid["latest_charge"]["application_fee"] is None
    refund = await admin.refund(intent_id)
    assert (refund["amount"], refund["status"], refund["transfer_reversal"]) == (
        500,
        "succeeded",
        None,
    )
    assert await admin.refunded_minor(intent_id) == 500


# ---- Stripe's errors ----


async def test_destination_charges_are_checked_as_stripe_checks_them(
    admin: Admin, api: httpx.AsyncClient
) -> None:
    ready = await ready_account(admin)
    fresh = str((await admin.create_account())["id"])

    async def create(form: dict[str, str | int]) -> httpx.Response:
        return await api.post(
            "/v1/payment_intents", data={"amount": 1000, "currency": "nok", **form}
        )

    missing = error_of(await create({"transfer_data[destination]": "acct_0000000000000000"}))
    assert missing == {
        "type": "invalid_request_error",
        "code": "resource_missing",
        "param": "transfer_data[destination]",
        "message": "No such destination: 'acct_0000000000000000'",
    }
    restricted = error_of(await create({"transfer_data[destination]": fresh}))
    assert restricted["code"] == "insufficient_capabilities_for_transfer"
    assert restricted["param"] == "transfer_data[destination]"
    assert "transfers" in restricted["message"]
    alone = error_of(await create({"application_fee_amount": 30}))
    assert alone["param"] == "application_fee_amount"
    assert alone["message"].startswith("Can only apply an application_fee_amount")
    too_big = error_of(
        await create({"transfer_data[destination]": ready, "application_fee_amount": 1001})
    )
    assert too_big["param"] == "application_fee_amount"
    negative = error_of(
        await create({"transfer_data[destination]": ready, "application_fee_amount": -1})
    )
    assert negative["param"] == "application_fee_amount"
    not_a_number = error_of(
        await create({"transfer_data[destination]": ready, "application_fee_amount": "ten"})
    )
    assert not_a_number["message"] == "Invalid integer: ten"
    odd_key = error_of(await create({"transfer_data[account]": ready}))
    assert odd_key["message"] == "Received unknown parameter: transfer_data[account]"
    fine = await create(
        {"transfer_data[destination]": ready, "application_fee_amount": 1000, "on_behalf_of": ready}
    )
    assert fine.status_code == 200, fine.text
    assert fine.json()["on_behalf_of"] == ready


async def test_a_destination_restricted_after_the_intent_is_refused_at_confirm(
    admin: Admin, api: httpx.AsyncClient
) -> None:
    account_id = await ready_account(admin)
    intent_id = await destination_intent(admin, account_id, 1000, 30)
    await admin.set_account(account_id, charges_enabled=False)
    await admin.update(intent_id, payment_method="pm_card_visa")
    error = error_of(await api.post(f"/v1/payment_intents/{intent_id}/confirm"))
    assert error["code"] == "insufficient_capabilities_for_transfer"
    assert (await admin.intent(intent_id))["status"] == "requires_confirmation"
    assert not await admin.transfers(account_id)


async def test_reverse_transfer_needs_a_destination_charge(
    admin: Admin, api: httpx.AsyncClient
) -> None:
    intent_id = await admin.create_intent(500, "usd")
    await admin.pay(intent_id)
    answer = await api.post(
        "/v1/refunds", data={"payment_intent": intent_id, "reverse_transfer": "true"}
    )
    error = error_of(answer)
    assert error["param"] == "reverse_transfer"
    assert await admin.refunded_minor(intent_id) == 0  # nothing refunded
    bad_flag = await api.post(
        "/v1/refunds", data={"payment_intent": intent_id, "reverse_transfer": "yes"}
    )
    assert error_of(bad_flag)["message"] == "Invalid boolean: yes"


async def test_balances_and_lists_name_their_own_errors(api: httpx.AsyncClient) -> None:
    nobody = await api.get("/v1/balance", headers={"Stripe-Account": "acct_0000000000000000"})
    assert error_of(nobody, 403)["code"] == "account_invalid"
    for url in ("/v1/transfers/tr_nothing", "/v1/application_fees/fee_nothing"):
        assert error_of(await api.get(url), 404)["code"] == "resource_missing"
    odd = await api.get("/v1/transfers", params={"colour": "blue"})
    assert error_of(odd)["param"] == "colour"
    async with httpx.AsyncClient(base_url=str(api.base_url)) as keyless:
        assert (await keyless.get("/v1/accounts")).status_code == 401


# ---- the Gate of stripe_rig, on the Connect endpoint ----


async def test_the_gate_passes_connect_events_about_its_own_accounts() -> None:
    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await _read_body(receive)
        seen.append(scope["path"])
        await _answer(send, 200, b'{"outcomes": ["noted"]}')

    gate = Gate(app, lambda account_id: account_id == "acct_mine")
    transport = httpx.ASGITransport(app=gate)
    async with httpx.AsyncClient(transport=transport, base_url="http://listener") as client:
        for account_id in ("acct_mine", "acct_other"):
            doc = account_event_doc(
                "account.updated", {"id": account_id, "object": "account"}, {"x": 1}
            )
            hook: Delivery = signed_connect(doc)
            assert (hook.path, hook.account_id) == (CONNECT_HOOK_PATH, account_id)
            await client.post(hook.path, content=hook.body, headers=hook.headers)
    assert seen == [CONNECT_HOOK_PATH]
    (arrived,) = gate.arrived
    assert (arrived.event_type, arrived.intent_id, arrived.outcomes) == (
        "account.updated",
        "acct_mine",
        ["noted"],
    )
    assert arrived.path == CONNECT_HOOK_PATH != HOOK_PATH
    event = stripe.Webhook.construct_event(
        arrived.body.decode(), arrived.headers["stripe-signature"], CONNECT_WEBHOOK_SECRET
    )
    assert event.to_dict()["account"] == "acct_mine"

"""A payee's own Stripe account over the API (/api/v1/payouts): connected on Stripe's sign-up,
read as Stripe last said, disconnected; never its id; refusals change nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from core.domain.errors import GatewayFinal, GatewayRetryable
from tests.support.harness import Rig
from tests.web.conftest import Api, bearer, snapshot
from tests.web.connect import SignedPayouts, api_over, with_connect

PATH = "/api/v1/payouts"
TIMES = ("connected_at", "updated_at")


@pytest.fixture
def payouts() -> SignedPayouts:
    return SignedPayouts()


@pytest.fixture
async def connect_api(rig: Rig, payouts: SignedPayouts) -> AsyncIterator[Api]:
    async with api_over(with_connect(rig, payouts)) as api:
        yield api


def _without(body: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in names}


async def _sync(api: Api, payouts: SignedPayouts) -> None:
    """Stripe's news of the one account reached Chipin."""
    [account_id] = payouts.statuses
    await api.rig.engine.sync_payout_account(account_id)


async def test_a_payee_connects_reads_and_disconnects_the_account(
    connect_api: Api, payouts: SignedPayouts
) -> None:
    api = connect_api
    never = await api.get(PATH)
    assert never.status_code == 404
    assert never.json()["error"] == "not_found"
    assert "POST /api/v1/payouts" in never.json()["message"]

    made = await api.post(PATH, {"country": "de"})
    assert made.status_code == 200, made.text
    first = made.json()
    assert _without(first, *TIMES) == {
        "gateway": "stripe",
        "state": "pending",
        "reason": "you have not finished Stripe's sign-up yet",
        "due": [],
        "deadline": None,
        "payouts_enabled": False,
        "onboarding_url": "https://connect.example.test/onboard/1",
    }
    ann = await api.rig.engine.payee_named("Ann")
    assert payouts.created == [(ann, "DE")]
    assert "acct_" not in made.text  # never the account's id

    read = (await api.get(PATH)).json()
    assert read == _without(first, "onboarding_url")

    # again, without a body: the same account, a new one-time link
    again = await api.client.post(PATH, headers=bearer(api.ann))
    assert again.status_code == 200, again.text
    assert again.json()["onboarding_url"] == "https://connect.example.test/onboard/2"
    assert again.json()["connected_at"] == first["connected_at"]
    assert len(payouts.created) == 1

    [account_id] = payouts.statuses
    payouts.enable(account_id)
    await _sync(api, payouts)
    enabled = (await api.get(PATH)).json()
    assert (enabled["state"], enabled["reason"], enabled["payouts_enabled"]) == (
        "enabled",
        "",
        True,
    )

    deadline = datetime(2031, 5, 1, 12, tzinfo=UTC)
    payouts.restrict(account_id, due=("individual.verification.document",), deadline=deadline)
    await _sync(api, payouts)
    restricted = (await api.get(PATH)).json()
    assert _without(restricted, *TIMES) == {
        "gateway": "stripe",
        "state": "restricted",
        "reason": "Stripe needs more information from you",
        "due": ["individual.verification.document"],
        "deadline": "2031-05-01T12:00:00Z",
        "payouts_enabled": False,
    }

    gone = await api.client.delete(PATH, headers=bearer(api.ann))
    assert gone.status_code == 200, gone.text
    assert (gone.json()["state"], gone.json()["reason"]) == (
        "disconnected",
        "you disconnected it from Chipin",
    )
    assert (await api.get(PATH)).json()["state"] == "disconnected"
    twice = await api.client.delete(PATH, headers=bearer(api.ann))
    assert (twice.status_code, twice.json()["error"]) == (404, "not_found")

    back = await api.post(PATH)  # connecting again takes the same account back
    assert back.status_code == 200
    assert back.json()["state"] == "restricted"
    assert back.json()["connected_at"] == first["connected_at"]
    assert len(payouts.created) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"country": "Germany"}, "country"),
        ({"country": "D1"}, "country"),
        ({"country": "d"}, "country"),
        ({"country": 49}, "country"),
        ({"country": "DEU" * 4}, "country"),  # over 10 characters
        ({"region": "DE"}, "region"),  # not a field at all
        ([], "body"),
    ],
)
async def test_a_bad_body_is_422_naming_the_field_and_changes_nothing(
    connect_api: Api, payouts: SignedPayouts, body: object, field: str
) -> None:
    before = await snapshot(connect_api.rig)
    refused = await connect_api.post(PATH, body)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"] == "invalid_input"
    assert refused.json()["field"] == field
    assert refused.json()["message"]
    assert await snapshot(connect_api.rig) == before
    assert payouts.calls == 0  # Stripe was not even asked


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
@pytest.mark.parametrize("key", [None, "chp_not-a-key"])
async def test_every_payout_route_needs_a_key(
    connect_api: Api, payouts: SignedPayouts, method: str, key: str | None
) -> None:
    before = await snapshot(connect_api.rig)
    headers = bearer(key) if key else {}
    response = await connect_api.client.request(
        method, PATH, json={"country": "DE"} if method == "POST" else None, headers=headers
    )
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert await snapshot(connect_api.rig) == before
    assert payouts.calls == 0


async def test_one_payees_account_is_theirs_alone(connect_api: Api, payouts: SignedPayouts) -> None:
    api = connect_api
    assert (await api.post(PATH)).status_code == 200
    assert (await api.get(PATH, api.bob)).status_code == 404
    before = await snapshot(api.rig)
    theirs = await api.client.delete(PATH, headers=bearer(api.bob))
    assert (theirs.status_code, theirs.json()["error"]) == (404, "not_found")
    assert await snapshot(api.rig) == before
    assert (await api.get(PATH)).json()["state"] == "pending"
    bobs = await api.post(PATH, key=api.bob)  # Bob gets an account of his own
    assert bobs.status_code == 200
    assert len(payouts.created) == 2


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
async def test_without_connect_set_up_every_route_is_503(api: Api, method: str) -> None:
    before = await snapshot(api.rig)
    response = await api.client.request(method, PATH, headers=bearer(api.ann))
    assert response.status_code == 503
    assert response.json() == {
        "error": "unavailable",
        "message": "card payouts into payees' own accounts are not set up here",
    }
    assert await snapshot(api.rig) == before


@pytest.mark.parametrize(
    ("failure", "status", "error"),
    [
        (GatewayRetryable("timeout"), 503, "gateway_unavailable"),
        (GatewayFinal("refused"), 502, "gateway_refused"),
    ],
)
async def test_stripe_failing_on_connect_changes_nothing(
    connect_api: Api, payouts: SignedPayouts, failure: Exception, status: int, error: str
) -> None:
    before = await snapshot(connect_api.rig)
    payouts.fail_next.append(failure)
    refused = await connect_api.post(PATH, {"country": "DE"})
    assert (refused.status_code, refused.json()["error"]) == (status, error)
    assert await snapshot(connect_api.rig) == before
    assert (await connect_api.get(PATH)).status_code == 404


async def test_the_openapi_documents_the_payout_routes(connect_api: Api) -> None:
    doc = (await connect_api.client.get("/openapi.json")).json()
    item = doc["paths"][PATH]
    assert set(item) == {"get", "post", "delete"}
    for method, schema in (
        ("get", "PayoutAccountOut"),
        ("post", "PayoutOnboardingOut"),
        ("delete", "PayoutAccountOut"),
    ):
        operation = item[method]
        assert operation["security"] == [{"ApiKey": []}]
        assert operation["tags"] == ["payouts"]
        ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok["$ref"].endswith(f"/{schema}")
        assert "503" in operation["responses"]
    assert "404" in item["get"]["responses"]
    assert "404" in item["delete"]["responses"]
    schemas = doc["components"]["schemas"]
    account = schemas["PayoutAccountOut"]["properties"]
    assert "account_id" not in account
    for name in ("state", "reason", "due", "deadline", "payouts_enabled"):
        assert account[name].get("description"), name
    assert schemas["PayoutOnboardingOut"]["properties"]["onboarding_url"]["examples"]
    connect_in = schemas["ConnectPayoutsIn"]
    assert connect_in["additionalProperties"] is False
    assert connect_in["properties"]["country"]["examples"] == ["DE"]
    assert not any(p.startswith("/payouts/") for p in doc["paths"])  # the pages are not API

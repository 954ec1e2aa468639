"""The app as a whole: health, the OpenAPI document, configuration, extra routes, error shapes."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from core.domain.errors import InvariantViolation
from tests.support.harness import Rig
from tests.web.conftest import Api, client_for, healthy, make_app
from web import health as health_api
from web.app import create_app


async def unhealthy() -> bool:
    return False


async def broken() -> bool:
    raise ConnectionRefusedError("no database")


async def slow() -> bool:
    await asyncio.sleep(5)
    return True


async def test_healthz_is_200_while_the_database_answers(rig: Rig) -> None:
    async with client_for(make_app(rig, healthy)) as client:
        response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("check", [unhealthy, broken, slow])
async def test_healthz_is_503_when_the_database_does_not_answer(
    rig: Rig, check: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(health_api, "HEALTH_TIMEOUT_S", 0.05)
    async with client_for(make_app(rig, check)) as client:
        response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}


EXPECTED_OPERATIONS = {
    ("post", "/webhooks/{gateway}"),
    ("get", "/healthz"),
    ("post", "/api/v1/orders"),
    ("get", "/api/v1/orders"),
    ("get", "/api/v1/orders/{order_id}"),
    ("post", "/api/v1/orders/{order_id}/cancel"),
    ("post", "/api/v1/orders/{order_id}/parts/{index}/release"),
    ("get", "/api/v1/orders/{order_id}/qr.png"),
    # the guesses at an order's password (web/api/password_locks.py)
    ("get", "/api/v1/orders/{order_id}/password-locks"),
    ("delete", "/api/v1/orders/{order_id}/password-locks"),
    ("get", "/api/v1/pay/{token}"),
    ("post", "/api/v1/pay/{token}/reserve"),
    ("get", "/api/v1/pay/{token}/hold"),
    ("delete", "/api/v1/pay/{token}/hold"),
    ("get", "/api/v1/pay/{token}/receipt"),
    ("get", "/api/v1/records"),
    ("get", "/api/v1/records.csv"),
    ("get", "/api/v1/stats"),
    ("get", "/api/v1/stats.csv"),
    ("get", "/api/v1/receipts/{payment_id}"),
    # static codes (web/api/codes.py)
    ("get", "/api/v1/codes"),
    ("get", "/api/v1/codes/{code}"),
    ("post", "/api/v1/codes/{code}/bind"),
    ("post", "/api/v1/codes/{code}/unbind"),
    ("post", "/api/v1/codes/{code}/switch"),
    ("post", "/api/v1/codes/{code}/move"),
    # the transparency ledger's public routes (web/api/ledger.py): no key, like a CT log
    ("get", "/api/v1/ledger/head"),
    ("get", "/api/v1/ledger/proof/inclusion"),
    ("get", "/api/v1/ledger/proof/consistency"),
    ("get", "/api/v1/ledger/certificates"),
    # money straight to the payee (web/api/methods.py, transfers.py, statements.py, pay.py)
    ("get", "/api/v1/methods"),
    ("post", "/api/v1/methods"),
    ("delete", "/api/v1/methods/{method_id}"),
    ("get", "/api/v1/pay/{token}/transfers/{reference}/qr.png"),
    ("post", "/api/v1/pay/{token}/claim"),
    ("get", "/api/v1/claims"),
    ("post", "/api/v1/claims/{reference}/confirm"),
    ("post", "/api/v1/claims/{reference}/deny"),
    ("get", "/api/v1/returns"),
    ("post", "/api/v1/returns/{payment_id}/returned"),
    ("post", "/api/v1/statements"),
    ("get", "/api/v1/statements/lines"),
    # a payee's own Stripe account (web/api/payouts.py) and Stripe Connect's webhook
    ("get", "/api/v1/payouts"),
    ("post", "/api/v1/payouts"),
    ("delete", "/api/v1/payouts"),
    ("post", "/webhooks/stripe/connect"),
}
# a payee's own data: every route under these needs the API key
SECURED_PREFIXES = (
    "/api/v1/orders",
    "/api/v1/records",
    "/api/v1/stats",
    "/api/v1/receipts",
    "/api/v1/codes",
    "/api/v1/methods",
    "/api/v1/claims",
    "/api/v1/returns",
    "/api/v1/statements",
    "/api/v1/payouts",
)


async def test_openapi_lists_every_route_with_bearer_security(api: Api) -> None:
    response = await api.client.get("/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["info"]["title"] == "Chipin API"
    assert doc["info"]["version"] == "1"
    operations = {(m, p) for p, item in doc["paths"].items() for m in item}
    assert operations == EXPECTED_OPERATIONS
    assert doc["components"]["securitySchemes"]["ApiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "chp_…",
        "description": doc["components"]["securitySchemes"]["ApiKey"]["description"],
    }
    for method, path in operations:
        secured = "security" in doc["paths"][path][method]
        assert secured == path.startswith(SECURED_PREFIXES), (method, path)


async def test_openapi_documents_our_error_body_and_no_secrets(api: Api) -> None:
    doc = (await api.client.get("/openapi.json")).json()
    schemas = doc["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    created = doc["paths"]["/api/v1/orders"]["post"]["responses"]
    assert created["201"]["content"]["application/json"]["schema"]["$ref"].endswith("/OrderOut")
    assert created["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ApiError")
    for name, schema in schemas.items():
        if name.endswith("Out"):
            assert "password" not in schema.get("properties", {}), name
    assert schemas["CreateOrderIn"]["additionalProperties"] is False


def test_every_api_route_is_in_the_openapi_document(rig: Rig) -> None:
    app = make_app(rig)
    paths = app.openapi()["paths"]
    for route in app.routes:
        if isinstance(route, APIRoute):
            assert route.path in paths


async def ping(request: Request) -> PlainTextResponse:
    return PlainTextResponse("pong")


async def test_extra_routes_are_served_but_not_documented(rig: Rig) -> None:
    app = create_app(
        rig.engine,
        public_base_url="http://127.0.0.1:8080",
        health=healthy,
        extra_routes=[Route("/sandbox/ping", ping)],
        max_amount_minor=100,
        default_currency="EUR",
    )
    async with client_for(app) as client:
        assert (await client.get("/sandbox/ping")).text == "pong"
        assert "/sandbox/ping" not in (await client.get("/openapi.json")).json()["paths"]


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"public_base_url": "chipin.test"}, "public_base_url"),
        ({"public_base_url": "ftp://chipin.test"}, "public_base_url"),
        ({"public_base_url": "https://chipin.test/?x=1"}, "public_base_url"),
        ({"default_currency": "XYZ"}, "default_currency"),
        ({"max_amount_minor": 0}, "max_amount_minor"),
    ],
)
def test_bad_settings_fail_at_start_up(rig: Rig, overrides: dict[str, Any], complaint: str) -> None:
    settings: dict[str, Any] = {
        "public_base_url": "https://chipin.test",
        "health": healthy,
        "max_amount_minor": 100,
        "default_currency": "USD",
        **overrides,
    }
    with pytest.raises(ValueError, match=complaint):
        create_app(rig.engine, **settings)


async def test_unknown_paths_and_methods_answer_in_json(api: Api) -> None:
    missing = await api.client.get("/nowhere")
    wrong = await api.client.delete("/api/v1/orders")
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found"
    assert wrong.status_code == 405
    assert wrong.json()["error"] == "method_not_allowed"
    assert "POST" in wrong.headers["allow"]


async def test_a_database_outage_on_the_api_is_503(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def down(*args: object, **kwargs: object) -> None:
        raise ConnectionRefusedError("db down")

    monkeypatch.setattr(api.rig.engine, "authenticate", down)
    with caplog.at_level(logging.ERROR, logger="web"):
        response = await api.get("/api/v1/orders")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "10"
    assert api.ann not in caplog.text


async def test_a_broken_invariant_is_500_and_logged_critical(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def bug(*args: object, **kwargs: object) -> None:
        raise InvariantViolation("paid count above n")

    monkeypatch.setattr(api.rig.engine, "get_order", bug)
    with caplog.at_level(logging.CRITICAL, logger="web"):
        response = await api.get("/api/v1/orders/ord_000001")
    assert response.status_code == 500
    assert response.json() == {"error": "internal", "message": "internal error"}
    assert any(r.levelno == logging.CRITICAL for r in caplog.records)

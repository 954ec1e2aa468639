"""A JSON body sent without the JSON content type (curl -d sends a form) is 415 with a message
that says so, on every route that takes a body, before anything reads it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute

from tests.support.harness import build_rig
from tests.web.conftest import Api, bearer, make_app, snapshot

CURL_FORM = "application/x-www-form-urlencoded"  # what curl -d sends without -H


def _routes(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _routes(included.routes)
        elif isinstance(route, APIRoute):
            yield route


def body_routes() -> list[tuple[str, str]]:
    """(method, path with every parameter filled) of each route that takes a JSON body."""
    app = make_app(build_rig())
    return sorted(
        (method, re.sub(r"\{\w+\}", "x", route.path))
        for route in _routes(app.routes)
        if route.body_field is not None
        for method in route.methods or ()
    )


def test_the_routes_with_a_body_are_all_checked() -> None:
    paths = {path for _, path in body_routes()}
    assert {"/api/v1/orders", "/api/v1/orders/x/cancel", "/api/v1/pay/x/reserve"} <= paths
    assert len(paths) >= 9


@pytest.mark.parametrize(("method", "path"), body_routes())
@pytest.mark.parametrize("content_type", [CURL_FORM, None])
async def test_a_body_not_sent_as_json_is_415_and_says_so(
    api: Api, method: str, path: str, content_type: str | None
) -> None:
    headers = bearer(api.ann)
    if content_type is not None:
        headers["Content-Type"] = content_type
    before = await snapshot(api.rig)
    answer = await api.client.request(method, path, content=b'{"payer": "bob"}', headers=headers)
    assert answer.status_code == 415, answer.text
    assert answer.json() == {
        "error": "unsupported_media_type",
        "message": (
            "the body must be JSON, sent with the header Content-Type: application/json "
            "(curl -d sends a form unless you add -H 'Content-Type: application/json')"
        ),
    }
    assert await snapshot(api.rig) == before


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "application/x+json"]
)
async def test_json_in_any_json_media_type_is_taken(api: Api, content_type: str) -> None:
    headers = {**bearer(api.ann), "Content-Type": content_type}
    made = await api.client.post(
        "/api/v1/orders", content=b'{"total": "240", "payers": 6}', headers=headers
    )
    assert made.status_code == 201, made.text


async def test_a_route_whose_body_is_optional_takes_none_without_a_content_type(
    api: Api,
) -> None:
    order = await api.create()
    cancelled = await api.client.post(
        f"/api/v1/orders/{order['id']}/cancel", headers=bearer(api.ann)
    )
    assert cancelled.status_code == 200, cancelled.text


async def test_every_route_with_a_body_documents_413_and_415(api: Api) -> None:
    spec = (await api.client.get("/openapi.json")).json()
    for operation in (
        op for item in spec["paths"].values() for op in item.values() if "requestBody" in op
    ):
        if "application/json" in operation["requestBody"]["content"]:
            assert {"413", "415"} <= operation["responses"].keys(), operation["operationId"]

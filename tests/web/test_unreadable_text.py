"""Text no store can hold (a lone UTF-16 surrogate, a NUL) wherever a request carries text:
refused with a 4xx that names the field, and nothing is stored, on every store."""

from __future__ import annotations

import json
from collections.abc import Mapping

import httpx
import pytest

from tests.web.conftest import Api, bearer, snapshot, token_of

BAD = ["\ud800", "\udfff", "a\ud800b", "nul\x00"]
NEW_ORDER = {"total": "100", "payers": 3}


def raw(doc: Mapping[str, object]) -> bytes:
    """JSON as a hostile client writes it: a lone surrogate goes out as its \\u escape."""
    return json.dumps(doc).encode()


async def post_raw(
    api: Api, path: str, doc: Mapping[str, object], key: str | None = None
) -> httpx.Response:
    headers = {"Content-Type": "application/json", **(bearer(key) if key else {})}
    return await api.client.post(path, content=raw(doc), headers=headers)


def refused_naming(response: httpx.Response, field: str) -> None:
    body = response.json()
    assert response.status_code == 422, body
    assert body["error"] == "invalid_input"
    assert body["field"] == field
    assert body["message"] == (
        f"{field}: holds a character that cannot be stored (a lone UTF-16 surrogate or a NUL)"
    )


@pytest.mark.parametrize(
    "field", ["title", "password", "currency", "total", "expires_in", "hold", "shares"]
)
async def test_any_text_field_of_a_new_order_is_refused_by_name(api: Api, field: str) -> None:
    """Such text would fail in the hash and in the answer's JSON: it never gets that far."""
    before = await snapshot(api.rig)
    for bad in BAD:
        doc: dict[str, object] = {**NEW_ORDER, field: f"2{bad}"}
        if field == "shares":
            doc = {"total": "100", "shares": f"2:1{bad}"}
        refused_naming(await post_raw(api, "/api/v1/orders", doc, api.ann), field)
    assert await snapshot(api.rig) == before


@pytest.mark.parametrize("field", ["payer", "password", "gateway"])
async def test_any_text_field_of_a_reservation_is_refused_by_name(api: Api, field: str) -> None:
    """Refused by name before a refusal could quote it (its JSON could not hold it)."""
    order = await api.create(password="open-sesame")
    path = f"/api/v1/pay/{token_of(order)}/reserve"
    before = await snapshot(api.rig)
    for bad in BAD:
        refused_naming(await post_raw(api, path, {"payer": "bob", field: f"x{bad}"}), field)
    assert await snapshot(api.rig) == before


async def test_text_that_cannot_be_stored_is_found_at_any_depth_and_in_keys(api: Api) -> None:
    before = await snapshot(api.rig)
    nested = {"kind": "tip", "name": "Jar", "title": ["ok", {"x": "\ud800"}]}
    bad_key = {"kind": "tip", "name": "Jar", "\udfff": "1"}
    refused_naming(await post_raw(api, "/api/v1/codes/K7PQ-3MXD/bind", nested, api.ann), "title")
    refused_naming(await post_raw(api, "/api/v1/codes/K7PQ-3MXD/bind", bad_key, api.ann), "body")
    assert await snapshot(api.rig) == before


async def test_a_surrogate_pair_is_one_character_and_is_kept(api: Api) -> None:
    order = await post_raw(api, "/api/v1/orders", {**NEW_ORDER, "title": "Ramen 🍜"}, api.ann)
    assert order.status_code == 201
    assert order.json()["title"] == "Ramen 🍜"


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/pay/%00", "path"),
        ("/api/v1/pay/ab%00cd/reserve", "path"),
        ("/api/v1/orders/ord%00", "path"),
        ("/api/v1/codes/%00", "path"),
        ("/pay/%00", "path"),
        ("/verify/%00", "path"),
        ("/api/v1/records?order_id=%00", "order_id"),
        ("/api/v1/records.csv?order_id=x%00&since=2026-01-01T00:00:00Z", "order_id"),
        ("/api/v1/records?%00=1", "query"),
    ],
)
async def test_a_nul_in_a_path_or_a_query_is_refused_before_any_store_sees_it(
    api: Api, path: str, field: str
) -> None:
    """A NUL in a path never reaches PostgreSQL (which cannot hold it): 422 on the API and
    on the pay page alike."""
    before = await snapshot(api.rig)
    for method in ("GET", "POST"):
        response = await api.client.request(method, path, headers=bearer(api.ann))
        assert response.status_code == 422, (method, response.text)
        assert response.json()["field"] == field
    assert await snapshot(api.rig) == before


def utf7_form(fields: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    """A multipart form in UTF-7, which decodes to lone surrogates (`+2AA-` is U+D800)."""
    parts = [
        f'--b\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    body = ("".join(parts) + "--b--\r\n").encode("ascii")
    return body, {"Content-Type": "multipart/form-data; boundary=b; charset=utf-7"}


@pytest.mark.parametrize("field", ["name", "password", "gateway"])
async def test_the_pay_page_refuses_a_form_with_unstorable_text(api: Api, field: str) -> None:
    """A password that decodes to a lone surrogate is refused before the hash check."""
    order = await api.create(password="open-sesame")
    before = await snapshot(api.rig)
    fields = {"name": "Ann", "password": "open-sesame", "gateway": "fake", field: "x+2AA-"}
    body, headers = utf7_form(fields)
    page = await api.client.post(f"/pay/{token_of(order)}", content=body, headers=headers)
    assert page.status_code == 422
    assert "cannot be stored" in page.text
    assert await snapshot(api.rig) == before

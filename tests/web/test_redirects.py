"""Every redirect the listener answers is relative or under its public base URL, whatever
Host header (or X-Forwarded-Host) the client sends: a link of ours can never be made to
send a browser or a client elsewhere."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import BASE_URL, Api, bearer, token_of

HOSTILE = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}


def safe(location: str) -> bool:
    """Under our base URL, or a path on this host (not '//host', which leaves it)."""
    return location.startswith(BASE_URL + "/") or (
        location.startswith("/") and not location.startswith("//")
    )


@pytest.mark.parametrize(
    ("sent", "to"),
    [
        ("/healthz/", "/healthz"),
        ("/api/v1/orders/", "/api/v1/orders"),
        ("/api/v1/orders/?limit=5&offset=0", "/api/v1/orders?limit=5&offset=0"),
        ("/api/v1/ledger/head/", "/api/v1/ledger/head"),
        ("/api/v1/pay/{token}/", "/api/v1/pay/{token}"),
        ("/pay/{token}/", "/pay/{token}"),
    ],
)
async def test_a_trailing_slash_is_redirected_under_the_public_url_not_the_host(
    api: Api, sent: str, to: str
) -> None:
    """The redirect goes under the public URL whatever Host the client names."""
    token = token_of(await api.create())
    headers = {**HOSTILE, **bearer(api.ann)}
    response = await api.client.get(sent.format(token=token), headers=headers)
    assert response.status_code == 307
    assert response.headers["location"] == BASE_URL + to.format(token=token)


async def test_every_documented_path_with_a_slash_more_redirects_only_to_us(api: Api) -> None:
    paths = (await api.client.get("/openapi.json")).json()["paths"]
    assert len(paths) > 15
    for template, operations in paths.items():
        path = re.sub(r"\{[^}]+\}", "x", template) + "/"
        for method in operations:
            response = await api.client.request(method, path, headers=HOSTILE)
            location = response.headers.get("location")
            assert location is None or safe(location), (method, path, location)


async def test_a_path_no_route_takes_is_a_json_404_not_a_redirect(api: Api) -> None:
    response = await api.client.get("/api/v1/nothing/", headers=HOSTILE)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert "location" not in response.headers


async def test_the_pay_page_sends_the_payer_to_the_gateways_checkout_not_the_host(
    api: Api,
) -> None:
    order = await api.create()
    page = await api.client.post(
        f"/pay/{token_of(order)}", data={"name": "Ann"}, headers={"Host": "evil.example"}
    )
    assert page.status_code == 303
    assert page.headers["location"] == "https://pay.test/co1"

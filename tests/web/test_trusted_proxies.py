"""X-Forwarded-For is believed only from the proxies named in CHIPIN_TRUSTED_PROXIES; a
client on loopback cannot claim another address by default."""

from __future__ import annotations

import logging

import httpx
import pytest
from fastapi import FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from bot.app.runner import listener_config
from bot.app.settings import Settings
from tests.web.conftest import BASE_URL, MAX_AMOUNT_MINOR, Api, healthy
from web.api.keyguard import KeyGuard
from web.app import create_app


def guarded_app(api: Api, trusted: tuple[str, ...]) -> FastAPI:
    return create_app(
        api.rig.engine,
        public_base_url=BASE_URL,
        health=healthy,
        max_amount_minor=MAX_AMOUNT_MINOR,
        default_currency="USD",
        key_guard=KeyGuard(max_failures=2, window_s=60),
        trusted_proxies=trusted,
    )


async def wrong_keys(app: FastAPI, peer: str, forwarded_for: list[str]) -> list[int]:
    """A wrong key from each claimed address, all through the TCP peer `peer`."""
    transport = httpx.ASGITransport(app=app, client=(peer, 4000))
    async with httpx.AsyncClient(transport=transport, base_url="http://listener") as client:
        statuses = []
        for claimed in forwarded_for:
            response = await client.get(
                "/api/v1/orders",
                headers={"Authorization": "Bearer chp_guess", "X-Forwarded-For": claimed},
            )
            statuses.append(response.status_code)
        return statuses


async def test_loopback_is_not_trusted_by_default(api: Api) -> None:
    app = guarded_app(api, ())
    claims = [f"198.51.100.{n}" for n in range(1, 5)]
    # every claimed address is the one loopback peer: the third wrong key is refused
    assert await wrong_keys(app, "127.0.0.1", claims) == [401, 401, 429, 429]


async def test_a_named_proxy_is_believed(api: Api) -> None:
    app = guarded_app(api, ("127.0.0.1",))
    claims = [f"198.51.100.{n}" for n in range(1, 5)]
    assert await wrong_keys(app, "127.0.0.1", claims) == [401, 401, 401, 401]


async def test_a_peer_outside_the_named_network_is_not_believed(api: Api) -> None:
    app = guarded_app(api, ("10.0.0.0/8",))
    claims = [f"198.51.100.{n}" for n in range(1, 5)]
    assert await wrong_keys(app, "192.0.2.50", claims) == [401, 401, 429, 429]
    assert await wrong_keys(app, "10.1.2.3", claims) == [401, 401, 401, 401]


async def test_a_client_cannot_hide_behind_an_address_it_prepends(api: Api) -> None:
    """The proxy appends the real client; what the client wrote before it is not believed."""
    app = guarded_app(api, ("127.0.0.1",))
    claims = [f"198.51.100.{n}, 203.0.113.9" for n in range(1, 5)]
    assert await wrong_keys(app, "127.0.0.1", claims) == [401, 401, 429, 429]


def test_the_setting_names_a_bad_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHIPIN_TRUSTED_PROXIES", "10.0.0.1, proxy.example")
    with pytest.raises(ValueError, match=r"'proxy\.example' is not an IP address or network"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_the_setting_takes_addresses_and_networks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHIPIN_TRUSTED_PROXIES", " 10.0.0.1 ,192.168.0.0/16, ::1")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.trusted_proxy_list == ("10.0.0.1/32", "192.168.0.0/16", "::1/128")


def test_nothing_is_trusted_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHIPIN_TRUSTED_PROXIES", raising=False)
    assert Settings(_env_file=None).trusted_proxy_list == ()  # type: ignore[call-arg]


def test_uvicorns_own_proxy_setting_is_refused_without_ours(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "127.0.0.1")
    monkeypatch.delenv("CHIPIN_TRUSTED_PROXIES", raising=False)
    with pytest.raises(ValueError, match="name your reverse proxies there"):
        Settings(_env_file=None)  # type: ignore[call-arg]
    monkeypatch.setenv("CHIPIN_TRUSTED_PROXIES", "127.0.0.1")
    assert Settings(_env_file=None).trusted_proxy_list == ("127.0.0.1/32",)  # type: ignore[call-arg]


def test_the_listener_leaves_x_forwarded_for_to_chipin(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """uvicorn's own handling (which trusts loopback by default) stays off."""
    monkeypatch.delenv("CHIPIN_TRUSTED_PROXIES", raising=False)
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    config = listener_config(guarded_app(api, ()), Settings(_env_file=None))  # type: ignore[call-arg]
    config.load()
    assert not isinstance(config.loaded_app, ProxyHeadersMiddleware)


async def test_an_ignored_x_forwarded_for_is_reported_once(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    app = guarded_app(api, ())
    with caplog.at_level(logging.WARNING, logger="web.clients"):
        await wrong_keys(app, "127.0.0.1", ["198.51.100.1", "198.51.100.2"])
    told = [r.getMessage() for r in caplog.records if "CHIPIN_TRUSTED_PROXIES" in r.getMessage()]
    assert told == [
        "a request from 127.0.0.1 carries X-Forwarded-For, which Chipin ignores: behind a "
        "reverse proxy, name it in CHIPIN_TRUSTED_PROXIES, or every client counts as the "
        "proxy's one address"
    ]

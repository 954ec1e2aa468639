"""Clients of a Chipin that may be down: every call is retried on connection errors and 503s."""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

RETRY_PAUSE_S = 0.25
CALL_DEADLINE_S = 90.0  # one call, retries included: longer than any outage we make


class ChaosTimeout(AssertionError):
    """A call kept failing past its deadline: Chipin did not come back."""


@dataclass(slots=True)
class Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]

    @property
    def error(self) -> str:
        return str(self.body.get("error", ""))


class Checkout(StrEnum):
    """What pressing Pay or Decline on the sandbox page did (from where it redirects)."""

    DONE = "done"  # paid, authorised or declined just now
    ALREADY_PAID = "already_paid"
    ALREADY_DECLINED = "already_declined"
    CANCELLED = "cancelled"
    NOT_FOUND = "not_found"


@dataclass(slots=True)
class Counters:
    """What the clients saw: retries, and the answers that were not plain successes."""

    retries: int = 0
    unavailable: int = 0  # 503 answers (retried)
    by_status: dict[int, int] = field(default_factory=dict)

    def saw(self, status: int) -> None:
        self.by_status[status] = self.by_status.get(status, 0) + 1


class ChipinApi:
    """REST API and sandbox checkout calls that ride out restarts and outages."""

    def __init__(self, client: httpx.AsyncClient, base: str, counters: Counters) -> None:
        self._client = client
        self.base = base
        self.counters = counters
        # each payer's hold secret per order, chosen before the first try (Chipin-Hold), so
        # a retry after an answer lost to a crash gets the same part back
        self._holds: dict[tuple[str, str], str] = {}

    async def call(
        self,
        method: str,
        url: str,
        *,
        retry_503: bool = True,
        deadline_s: float = CALL_DEADLINE_S,
        **kwargs: Any,
    ) -> httpx.Response:
        """The first answer that is neither a connection error nor (unless told) a 503."""
        end = time.monotonic() + deadline_s
        while True:
            try:
                response = await self._client.request(method, url, **kwargs)
            except httpx.TransportError:
                response = None
            if response is not None:
                self.counters.saw(response.status_code)
                if response.status_code != 503 or not retry_503:
                    return response
                self.counters.unavailable += 1
            if time.monotonic() > end:
                raise ChaosTimeout(f"{method} {urlsplit(url).path}: no answer in {deadline_s} s")
            self.counters.retries += 1
            await asyncio.sleep(RETRY_PAUSE_S)

    async def json(self, method: str, path: str, key: str | None = None, **kwargs: Any) -> Answer:
        headers = dict(kwargs.pop("headers", {}))
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        r = await self.call(method, self.base + path, headers=headers, **kwargs)
        body = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
        return Answer(r.status_code, body, dict(r.headers))

    async def create_order(self, key: str, idempotency_key: str, **body: Any) -> dict[str, Any]:
        """Create an order; a retry with the same key returns the first one."""
        headers = {"Idempotency-Key": idempotency_key}
        a = await self.json("POST", "/api/v1/orders", key, json=body, headers=headers)
        assert a.status == 201, (a.status, a.body)
        return a.body

    async def get_order(self, key: str, order_id: str) -> dict[str, Any]:
        a = await self.json("GET", f"/api/v1/orders/{order_id}", key)
        assert a.status == 200, (a.status, a.body)
        return a.body

    async def cancel(self, key: str, order_id: str) -> Answer:
        return await self.json("POST", f"/api/v1/orders/{order_id}/cancel", key)

    async def reserve(self, token: str, payer: str) -> Answer:
        """Reserve as `payer`, with the hold secret this payer uses for this order."""
        secret = self._holds.setdefault((token, payer), secrets.token_urlsafe(32))
        path = f"/api/v1/pay/{token}/reserve"
        return await self.json("POST", path, json={"payer": payer}, headers={"Chipin-Hold": secret})

    async def checkout(self, checkout_url: str, action: str) -> Checkout:
        """Press Pay or Decline on the hosted checkout page (a retry after a cut-off POST
        finds it already paid or declined: the sandbox applies each press once)."""
        r = await self.call("POST", f"{checkout_url}/{action}", follow_redirects=False)
        if r.status_code == 404:
            return Checkout.NOT_FOUND
        assert r.status_code == 303, (r.status_code, r.text[:300])
        code = parse_qs(urlsplit(r.headers["location"]).query).get("r", [""])[0]
        return Checkout(code) if code else Checkout.DONE


def token_of(order: dict[str, Any]) -> str:
    return str(order["pay_url"]).rstrip("/").rsplit("/", 1)[1]

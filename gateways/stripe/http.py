"""Stripe's HTTP client over httpx: async, with a timeout, request bodies sent as content."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from typing import Any

import httpx
import stripe


class HttpxClient(stripe.HTTPClient):
    """What stripe-python's own HTTPXClient does, without httpx's deprecated `data=<str>`.

    The `transport` is for tests (a recording or failing transport); by default httpx
    verifies TLS as usual. Network failures become APIConnectionError, which the
    gateway turns into GatewayRetryable.
    """

    name = "chipin-httpx"

    def __init__(self, timeout_s: float, transport: httpx.AsyncBaseTransport | None = None) -> None:
        super().__init__()
        self._client = httpx.AsyncClient(
            timeout=timeout_s, transport=transport, follow_redirects=False
        )

    async def request_async(
        self, method: str, url: str, headers: Mapping[str, str], post_data: Any = None
    ) -> tuple[bytes, int, Mapping[str, str]]:
        try:
            response = await self._client.request(
                method, url, headers=dict(headers), content=post_data
            )
        except httpx.HTTPError as exc:
            # The message names only the kind of failure: never a URL with parameters.
            message = f"network error talking to Stripe: {type(exc).__name__}"
            raise stripe.APIConnectionError(  # type: ignore[no-untyped-call]  # untyped upstream
                message, should_retry=True
            ) from exc
        return response.content, response.status_code, response.headers

    def sleep_async(self, secs: float) -> Awaitable[None]:
        return asyncio.sleep(secs)

    async def close_async(self) -> None:
        await self._client.aclose()

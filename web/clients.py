"""Who is asking: the client address limits count against, and the source of a try or hold.

The address is the TCP peer's, or, only behind a proxy named in CHIPIN_TRUSTED_PROXIES,
the first address in X-Forwarded-For that no trusted proxy added (web.app installs
uvicorn's ProxyHeadersMiddleware for exactly those proxies; loopback is not trusted by
default, so a client on the same host cannot claim another address).
"""

from __future__ import annotations

import ipaddress
import logging

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from core.domain.payers import address_source

log = logging.getLogger(__name__)


def client_of(request: Request) -> str:
    """The address limits count against; an IPv6 address stands for its /64 (the block one
    subscriber gets), an IPv4-mapped one for its IPv4 address."""
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def source_of(request: Request) -> str:
    """The source a web payer's tries and holds count against: `ip:<address or /64>`."""
    return address_source(client_of(request))


def check_proxies(entries: str) -> tuple[str, ...]:
    """CHIPIN_TRUSTED_PROXIES: comma-separated addresses or networks (CIDR); ValueError
    naming the first that is neither."""
    found: list[str] = []
    for raw in entries.split(","):
        entry = raw.strip()
        if not entry:
            continue
        try:
            found.append(str(ipaddress.ip_network(entry, strict=False)))
        except ValueError:
            raise ValueError(
                f"CHIPIN_TRUSTED_PROXIES: {entry!r} is not an IP address or network"
            ) from None
    return tuple(found)


class ForwardedUnheeded:
    """With no trusted proxy: tell the operator once that a request came with X-Forwarded-For,
    which Chipin ignores (a reverse proxy not named in CHIPIN_TRUSTED_PROXIES makes every
    client one address, and so one source for every limit)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.told = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.told and scope["type"] == "http" and _forwarded(scope):
            self.told = True
            peer = scope.get("client") or ("?", 0)
            log.warning(
                "a request from %s carries X-Forwarded-For, which Chipin ignores: behind a "
                "reverse proxy, name it in CHIPIN_TRUSTED_PROXIES, or every client counts as "
                "the proxy's one address",
                peer[0],
            )
        await self.app(scope, receive, send)


def _forwarded(scope: Scope) -> bool:
    return any(name == b"x-forwarded-for" for name, _ in scope["headers"])

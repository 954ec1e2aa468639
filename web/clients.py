"""Who is asking: the client address limits count against, and the source of a try or hold.

The address is the TCP peer's, or, only behind a proxy named in CHIPIN_TRUSTED_PROXIES,
the first address in X-Forwarded-For that no trusted proxy added (web.app installs
uvicorn's ProxyHeadersMiddleware for exactly those proxies; loopback is not trusted by
default, so a client on the same host cannot claim another address).
"""

from __future__ import annotations

import ipaddress

from starlette.requests import Request


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
    return f"ip:{client_of(request)}"


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

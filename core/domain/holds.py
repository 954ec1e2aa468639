"""Who may hold parts of an order: per-source limits on holds, and the secret a hold answers to.

A source is who asks, as limits count them: the Telegram user ('tg:<id>') or the web
client's address ('ip:<address or IPv6 /64>'). One source may hold HOLDS_PER_SOURCE parts
of an order at once (the payee may raise it for the order: a till or a venue behind one
address) and take at most TAKES_PER_OPEN_HOLD times that many new holds per HOLD_WINDOW_S,
so a lapsed or released hold cannot be taken again and again. A real payer holds one part
and takes it once or twice; a group behind one address (a flat, an office) stays far below.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime

from core.domain.errors import HoldNotYours, InvalidInput
from core.domain.model import Order, SubOrder
from core.domain.payers import ADDRESS, vouched_for

HOLDS_PER_SOURCE = 10
MAX_HOLDS_PER_SOURCE = 1000  # an order has at most 1000 parts
HOLD_WINDOW_S = 10 * 60
TAKES_PER_OPEN_HOLD = 3  # so 30 new holds per 10 minutes by default

_IPV6_LOOPBACK = ipaddress.IPv6Address("::1")
_SECRET = re.compile(r"[A-Za-z0-9_-]{32,128}")


@dataclass(frozen=True, slots=True)
class HoldLimits:
    open_holds: int  # parts one source may hold at once
    takes: int  # new holds one source may take per window
    window_s: int = HOLD_WINDOW_S


@dataclass(frozen=True, slots=True)
class HoldTakes:
    """How many new holds one source took of one order in its current window."""

    window_start: datetime
    count: int


def limits_of(order: Order) -> HoldLimits:
    per_source = order.holds_per_source or HOLDS_PER_SOURCE
    return HoldLimits(per_source, per_source * TAKES_PER_OPEN_HOLD)


def check_holds_per_source(value: int | None) -> int | None:
    """The payee's limit for one order: 1 to 1000 parts per source, or None for the default."""
    if value is not None and not 1 <= value <= MAX_HOLDS_PER_SOURCE:
        raise InvalidInput(
            "holds_per_client",
            "one client may hold 1 to {max_holds} parts at once",
            max_holds=MAX_HOLDS_PER_SOURCE,
        )
    return value


def loopback_source(source: str) -> bool:
    """An `ip:` source on this very host: 127.0.0.0/8, or ::1 (which web.clients gives as
    its /64, ::/64, where no routable address lives)."""
    if not source.startswith(ADDRESS):
        return False
    try:
        net = ipaddress.ip_network(source.removeprefix(ADDRESS), strict=False)
    except ValueError:
        return False
    if isinstance(net, ipaddress.IPv4Network):
        return net.network_address.is_loopback and net.prefixlen >= 8
    return _IPV6_LOOPBACK in net and net.prefixlen >= 64


def check_hold_secret(secret: str) -> str:
    """A hold secret a client sends: 32 to 128 characters of [A-Za-z0-9_-].

    A client may choose the secret of its next hold itself (as it would an idempotency key),
    so that a retry whose answer was lost still gets its part back.
    """
    if not _SECRET.fullmatch(secret):
        raise InvalidInput(
            "Chipin-Hold",
            "a hold secret is {min_chars} to {max_chars} letters, digits, '-' or '_'",
            min_chars=32,
            max_chars=128,
        )
    return secret


def hold_secret_hash(secret: str) -> str:
    """SHA-256 (hex) of a hold secret: 256 random bits need no salt and no slow hash."""
    return hashlib.sha256(secret.encode()).hexdigest()


def receipt_key(secret_hash: str) -> str:
    """The key of a paid part's receipt address, from its hold secret's hash: one way, so the
    address (which a proxy's access log may keep) opens the receipt and never the hold."""
    return hashlib.sha256(f"chipin-receipt:{secret_hash}".encode()).hexdigest()


def opens(sub: SubOrder, payer_ref: str, hold_secret: str | None) -> bool:
    """Whether this payer may see and act on their hold `sub`: a payer someone vouches for
    (Telegram) always may; anyone else only with the secret the reservation returned."""
    if vouched_for(payer_ref):
        return True
    if not hold_secret or sub.hold_secret_hash is None:
        return False
    return hmac.compare_digest(hold_secret_hash(hold_secret), sub.hold_secret_hash)


def not_yours() -> HoldNotYours:
    return HoldNotYours(
        "a part is held under this payer reference; only the Chipin-Hold secret its "
        "reservation returned opens it"
    )

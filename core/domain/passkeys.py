"""Passkeys (WebAuthn) as data: credentials, one-time page links, challenges, and their rules.

A payer enrols a platform authenticator (fingerprint, face) on a Chipin page and later
verifies a payment with it instead of the payment password. The page is reached through a
one-time link token (stored only as its hash); every ceremony on it gets a fresh random
challenge, bound to the payer and the sub-order, usable once, for CHALLENGE_S seconds.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit

from core.domain.errors import DomainError
from core.domain.events import DomainEvent
from core.domain.model import OrderId, SubOrder, SubOrderId, SubOrderState

CHALLENGE_S = 120  # a challenge lives two minutes
LINK_S = 10 * 60  # a page link lives ten minutes, and is spent by its first success
MAX_PASSKEYS = 10  # per payer
DEVICE_NAME_MAX = 60


class Purpose(StrEnum):
    ENROL = "enrol"
    PAY = "pay"


@dataclass(frozen=True, slots=True)
class Passkey:
    """An enrolled credential: its id and public key from the authenticator, its counter."""

    id: str
    payer_ref: str
    credential_id: bytes
    public_key: bytes = field(repr=False)
    sign_count: int
    device_name: str
    created_at: datetime
    last_used_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class VerifyLink:
    """What a page link stands for; the link's token itself is never stored, only its hash."""

    token_hash: str
    payer_ref: str
    purpose: Purpose
    expires_at: datetime
    order_id: OrderId | None = None
    order_token: str | None = None
    sub_order_id: SubOrderId | None = None
    spent: bool = False


@dataclass(frozen=True, slots=True)
class Challenge:
    """One ceremony's challenge: `value` is its base64url form, as clientDataJSON carries it."""

    value: str
    link_hash: str
    payer_ref: str
    sub_order_id: SubOrderId | None
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class NewCredential:
    """What a verified registration gives: the credential to store."""

    credential_id: bytes
    public_key: bytes = field(repr=False)
    sign_count: int


@dataclass(frozen=True, slots=True)
class RelyingParty:
    """Chipin as a WebAuthn relying party: the RP ID and the one origin pages come from."""

    rp_id: str
    origin: str


@dataclass(frozen=True, slots=True)
class PayerVerified(DomainEvent):
    """The payer passed a passkey check on the page for this order and sub-order."""

    payer_ref: str
    sub_order_id: SubOrderId
    order_token: str


class PasskeyRefused(DomainError):
    """A ceremony that does not count: `reason` is a stable word (see REASONS)."""

    code = "passkey_refused"


REASONS = (
    "unknown_challenge",  # never issued, or already used
    "expired",
    "wrong_payer",
    "wrong_sub_order",
    "bad_response",  # the authenticator's answer did not verify (origin, RP ID, UV, signature)
    "unknown_passkey",
    "counter_went_back",
    "not_verified",  # the device refused to verify the user
)


def refused(reason: str) -> PasskeyRefused:
    return PasskeyRefused(f"passkey check refused: {reason}", reason=reason)


def token_hash(token: str) -> str:
    """How a page link's token is stored: it is 144 random bits, so SHA-256 is enough."""
    return hashlib.sha256(token.encode()).hexdigest()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64url(text: str) -> bytes:
    """The bytes of a base64url text; PasskeyRefused('bad_response') if it is not one."""
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError as exc:
        raise refused("bad_response") from exc


def check_challenge(found: Challenge | None, link: VerifyLink, now: datetime) -> Challenge:
    """The challenge a response answers, if it may count for this link: issued (and not
    yet used), not expired, for the link's payer and sub-order."""
    if found is None:
        raise refused("unknown_challenge")
    if found.expires_at <= now:
        raise refused("expired")
    if found.payer_ref != link.payer_ref:
        raise refused("wrong_payer")
    if found.sub_order_id != link.sub_order_id or found.link_hash != link.token_hash:
        raise refused("wrong_sub_order")
    return found


def counter_advanced(stored: int, new: int) -> bool:
    """True unless the counter went backwards (or stood still) on a counting authenticator.

    Authenticators that do not count report 0 every time; that is allowed.
    """
    return (stored == 0 and new == 0) or new > stored


def relying_party(public_url: str) -> RelyingParty | str:
    """Chipin's RP from CHIPIN_PUBLIC_URL, or why passkeys cannot work there.

    Browsers offer WebAuthn only in a secure context: https, or http on localhost. The
    RP ID is a domain name, never an IP address.
    """
    parts = urlsplit(public_url)
    host = (parts.hostname or "").lower()
    local = host == "localhost" or host.endswith(".localhost")
    if parts.scheme != "https" and not (parts.scheme == "http" and local):
        return "https_needed"
    if not host or host.replace(".", "").isdigit() or ":" in host:
        return "domain_needed"
    try:  # browsers use a domain's ASCII (punycode) form in both the RP ID and the origin
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return "domain_needed"
    # the origin a browser reports: without the scheme's default port, and without a path
    default = {"https": 443, "http": 80}[parts.scheme]
    port = f":{parts.port}" if parts.port and parts.port != default else ""
    return RelyingParty(rp_id=host, origin=f"{parts.scheme}://{host}{port}")


def intended_sub(
    subs: tuple[SubOrder, ...] | list[SubOrder], payer_ref: str, aliases: list[str]
) -> SubOrder | None:
    """The part a payer's verification is for: the one they hold, else the one the engine
    would hold for them (core reserve_one: their named part, else the first open one)."""
    held = [s for s in subs if s.payer_ref == payer_ref and s.state == SubOrderState.RESERVED]
    if held:
        return held[0]
    open_ = sorted((s for s in subs if s.state == SubOrderState.AVAILABLE), key=lambda s: s.idx)
    names = set(aliases)
    mine = [s for s in open_ if s.assignee in names] or [s for s in open_ if s.assignee is None]
    return mine[0] if mine else None


def device_name(user_agent: str) -> str:
    """A short name for the device from its browser's User-Agent ('Android', 'iPhone', ...)."""
    ua = user_agent or ""
    for needle, name in (
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Android", "Android"),
        ("Macintosh", "Mac"),
        ("Windows", "Windows"),
        ("CrOS", "Chromebook"),
        ("Linux", "Linux"),
    ):
        if needle in ua:
            browser = next(
                (b for b in ("Edg", "Firefox", "Chrome", "Safari") if b in ua), "browser"
            )
            label = {"Edg": "Edge"}.get(browser, browser)
            return f"{label} on {name}"[:DEVICE_NAME_MAX]
    return "this device"

"""Webhook signatures: `Chipin-Signature: t=<unix s>,v1=<hex HMAC-SHA256>` in Stripe's scheme."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from core.domain.errors import WebhookRejected

SIGNATURE_HEADER = "Chipin-Signature"
SCHEME = "v1"
TOLERANCE_S = 300
MAX_BODY_BYTES = 64 * 1024
_MAX_HEADER_CHARS = 4096
_MAX_TIMESTAMP_DIGITS = 12


def compute_signature(secret: bytes, timestamp: int, body: bytes) -> str:
    """Lowercase hex HMAC-SHA256 of `{timestamp}.` + the raw body."""
    return hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign_header(secret: bytes, timestamp: int, body: bytes) -> str:
    """The value of the signature header for this body, signed at `timestamp`."""
    return f"t={timestamp},{SCHEME}={compute_signature(secret, timestamp, body)}"


def find_header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header lookup over any mapping (a dict or Starlette's Headers)."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def parse_header(value: str) -> tuple[int, list[str]]:
    """(timestamp, v1 signatures); other schemes are ignored so they cannot downgrade us."""
    if len(value) > _MAX_HEADER_CHARS:
        raise WebhookRejected("malformed signature header")
    timestamps: list[str] = []
    signatures: list[str] = []
    for item in value.split(","):
        key, sep, val = item.strip().partition("=")
        if not sep:
            raise WebhookRejected("malformed signature header")
        if key == "t":
            timestamps.append(val)
        elif key == SCHEME and val:
            signatures.append(val)
    if len(timestamps) != 1 or not signatures:
        raise WebhookRejected("malformed signature header")
    raw = timestamps[0]
    if not (raw.isascii() and raw.isdigit()) or len(raw) > _MAX_TIMESTAMP_DIGITS:
        raise WebhookRejected("malformed signature header")
    return int(raw), signatures


def verify(
    secret: bytes,
    body: bytes,
    headers: Mapping[str, str],
    now_s: float,
    tolerance_s: int = TOLERANCE_S,
) -> None:
    """Raise WebhookRejected unless the body is signed with `secret` within the time window.

    Runs before any parsing of the body; every comparison is constant-time.
    """
    if len(body) > MAX_BODY_BYTES:
        raise WebhookRejected("payload too large")
    value = find_header(headers, SIGNATURE_HEADER)
    if value is None:
        raise WebhookRejected("missing signature header")
    timestamp, signatures = parse_header(value)
    expected = compute_signature(secret, timestamp, body).encode()
    matched = False
    for candidate in signatures:
        # Check every candidate, so timing does not tell which one matched.
        matched |= hmac.compare_digest(expected, candidate.encode("utf-8", "replace"))
    if not matched:
        raise WebhookRejected("bad signature")
    if abs(now_s - timestamp) > tolerance_s:
        raise WebhookRejected("timestamp outside tolerance")

"""Signed tree heads: verification against Chipin's CA, and their JSON form.

JSON (RFC 6962 §4.3 get-sth in spirit; byte fields in standard base64 with padding):
    {"tree_size": 7, "timestamp": 1764158400000, "root_hash": "<base64, 32 bytes>",
     "key_id": "<64 lowercase hex: SHA-256 of the signing certificate's DER>",
     "signature": "<base64, 64 bytes: Ed25519 over core.domain.ledger.entries.head_message>"}
`timestamp` is milliseconds since the Unix epoch (UTC), as in RFC 6962.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from core.domain.ledger.entries import SignedHead, TreeHead, head_message
from trust.ca import fingerprint, verify_chain
from trust.errors import ChainInvalid, HeadInvalid

HASH_SIZE = 32
SIGNATURE_SIZE = 64
_UINT64 = 2**64
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def verify_head(
    signed: SignedHead, root: x509.Certificate, signing_certs: Sequence[x509.Certificate]
) -> None:
    """The head was signed by a certificate of `root`'s, valid at the head's timestamp."""
    cert = next((c for c in signing_certs if fingerprint(c) == signed.key_id), None)
    if cert is None:
        raise HeadInvalid(f"no known signing certificate has key id {signed.key_id[:64]!r}")
    try:
        message = head_message(signed.head)
        at = _EPOCH + timedelta(milliseconds=signed.head.timestamp_ms)
    except (ValueError, OverflowError) as exc:
        raise HeadInvalid(f"malformed head: {exc}") from exc
    try:
        verify_chain(cert, root, at)
    except ChainInvalid as exc:
        raise HeadInvalid(f"certificate chain: {exc.reason}") from exc
    public = cert.public_key()
    if not isinstance(public, Ed25519PublicKey):  # verify_chain checked; keeps mypy honest
        raise HeadInvalid("the signing key is not Ed25519")
    try:
        public.verify(signed.signature, message)
    except InvalidSignature as exc:
        raise HeadInvalid("the signature does not match the head") from exc


def signed_head_json(signed: SignedHead) -> dict[str, Any]:
    return {
        "tree_size": signed.head.tree_size,
        "timestamp": signed.head.timestamp_ms,
        "root_hash": base64.b64encode(signed.head.root_hash).decode("ascii"),
        "key_id": signed.key_id,
        "signature": base64.b64encode(signed.signature).decode("ascii"),
    }


def signed_head_from_json(doc: Mapping[str, Any]) -> SignedHead:
    """Parse untrusted JSON strictly; HeadInvalid names the first bad field."""
    head = TreeHead(
        tree_size=_uint64(doc, "tree_size"),
        root_hash=_b64(doc, "root_hash", HASH_SIZE),
        timestamp_ms=_uint64(doc, "timestamp"),
    )
    key_id = doc.get("key_id")
    if not isinstance(key_id, str) or len(key_id) != 64 or not _is_lower_hex(key_id):
        raise HeadInvalid("key_id must be 64 lowercase hex characters")
    return SignedHead(head, key_id, _b64(doc, "signature", SIGNATURE_SIZE))


def _uint64(doc: Mapping[str, Any], field: str) -> int:
    value = doc.get(field)
    # bool is an int subclass: true is not a tree size.
    if type(value) is not int or not 0 <= value < _UINT64:
        raise HeadInvalid(f"{field} must be an integer from 0 to 2**64-1")
    return value


def _b64(doc: Mapping[str, Any], field: str, size: int) -> bytes:
    value = doc.get(field)
    if not isinstance(value, str):
        raise HeadInvalid(f"{field} must be a base64 string")
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise HeadInvalid(f"{field} is not valid base64") from exc
    if len(raw) != size:
        raise HeadInvalid(f"{field} must decode to {size} bytes")
    return raw


def _is_lower_hex(value: str) -> bool:
    return all(c in "0123456789abcdef" for c in value)

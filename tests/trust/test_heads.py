"""Signed tree heads: verification against the chain, tampering, and the JSON form."""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from core.domain.ledger.entries import SignedHead, TreeHead
from tests.support.trust_builders import CertSigner, memory_ca, ms, sign_head
from tests.trust.conftest import T0
from trust import ca
from trust.errors import HeadInvalid
from trust.heads import signed_head_from_json, signed_head_json, verify_head

AT = T0 + timedelta(hours=1)


def _flip(data: bytes, byte: int = 0) -> bytes:
    return data[:byte] + bytes([data[byte] ^ 0x01]) + data[byte + 1 :]


def _with_head(signed: SignedHead, **changes: Any) -> SignedHead:
    return dataclasses.replace(signed, head=dataclasses.replace(signed.head, **changes))


def test_a_head_signed_by_the_current_certificate_verifies() -> None:
    mem = memory_ca(T0)
    verify_head(sign_head(mem.signer, AT), mem.root, [mem.signer.cert])


TAMPERS: dict[str, Callable[[SignedHead], SignedHead]] = {
    "root": lambda s: _with_head(s, root_hash=_flip(s.head.root_hash)),
    "root-last-byte": lambda s: _with_head(s, root_hash=_flip(s.head.root_hash, 31)),
    "size": lambda s: _with_head(s, tree_size=s.head.tree_size ^ 1),
    "timestamp": lambda s: _with_head(s, timestamp_ms=s.head.timestamp_ms ^ 1),
    "signature": lambda s: dataclasses.replace(s, signature=_flip(s.signature)),
    "signature-last-byte": lambda s: dataclasses.replace(s, signature=_flip(s.signature, 63)),
}


@pytest.mark.parametrize("where", TAMPERS)
def test_a_flipped_bit_anywhere_fails(where: str) -> None:
    mem = memory_ca(T0)
    signed = TAMPERS[where](sign_head(mem.signer, AT))
    with pytest.raises(HeadInvalid, match="signature does not match"):
        verify_head(signed, mem.root, [mem.signer.cert])


def test_a_head_signed_under_another_root_fails_the_chain() -> None:
    mine, theirs = memory_ca(T0), memory_ca(T0)
    signed = sign_head(theirs.signer, AT)
    # The impostor's certificate is offered alongside ours: its key id is found, its chain fails.
    with pytest.raises(HeadInvalid, match=r"certificate chain: .*not signed by the root") as info:
        verify_head(signed, mine.root, [mine.signer.cert, theirs.signer.cert])
    assert info.value.reason.startswith("certificate chain")


def test_a_head_with_an_unknown_key_id_fails() -> None:
    mem = memory_ca(T0)
    signed = dataclasses.replace(sign_head(mem.signer, AT), key_id="ab" * 32)
    with pytest.raises(HeadInvalid, match="no known signing certificate"):
        verify_head(signed, mem.root, [mem.signer.cert])


def test_a_head_dated_outside_the_certificate_validity_fails() -> None:
    mem = memory_ca(T0)
    for at in (T0 - timedelta(days=1), T0 + timedelta(days=3 * 365)):
        with pytest.raises(HeadInvalid, match="not valid at"):
            verify_head(sign_head(mem.signer, at), mem.root, [mem.signer.cert])


def test_a_key_of_the_right_id_but_the_wrong_key_fails() -> None:
    mem, other = memory_ca(T0), memory_ca(T0)
    forger = CertSigner(other.signer.key, mem.signer.cert)  # claims our key id
    with pytest.raises(HeadInvalid, match="signature does not match"):
        verify_head(sign_head(forger, AT), mem.root, [mem.signer.cert])


def test_json_round_trip_keeps_every_field() -> None:
    mem = memory_ca(T0)
    signed = sign_head(mem.signer, AT, tree_size=12345)
    doc = json.loads(json.dumps(signed_head_json(signed)))
    assert doc == {
        "tree_size": 12345,
        "timestamp": ms(AT),
        "root_hash": base64.b64encode(bytes(range(32))).decode(),
        "key_id": ca.fingerprint(mem.signer.cert),
        "signature": base64.b64encode(signed.signature).decode(),
    }
    assert signed_head_from_json(doc) == signed
    verify_head(signed_head_from_json(doc), mem.root, [mem.signer.cert])


GOOD: dict[str, Any] = {
    "tree_size": 3,
    "timestamp": 1_764_158_400_000,
    "root_hash": base64.b64encode(b"\x00" * 32).decode(),
    "key_id": "0" * 64,
    "signature": base64.b64encode(b"\x00" * 64).decode(),
}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("tree_size", True),
        ("tree_size", -1),
        ("tree_size", 2**64),
        ("tree_size", "3"),
        ("timestamp", 1.5),
        ("root_hash", base64.b64encode(b"\x00" * 31).decode()),
        ("root_hash", "not base64!"),
        ("root_hash", "00" * 32),
        ("key_id", "A" * 64),
        ("key_id", "0" * 63),
        ("signature", base64.b64encode(b"\x00" * 63).decode()),
        ("signature", None),
    ],
)
def test_malformed_json_is_refused_naming_the_field(field: str, value: Any) -> None:
    assert signed_head_from_json(GOOD) == SignedHead(
        TreeHead(3, b"\x00" * 32, 1_764_158_400_000), "0" * 64, b"\x00" * 64
    )
    with pytest.raises(HeadInvalid, match=field):
        signed_head_from_json({**GOOD, field: value})


def test_a_missing_field_is_refused() -> None:
    doc = dict(GOOD)
    del doc["signature"]
    with pytest.raises(HeadInvalid, match="signature"):
        signed_head_from_json(doc)

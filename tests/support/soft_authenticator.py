"""A software WebAuthn authenticator: real P-256 signatures over real authenticator data, so
py_webauthn's checks (origin, RP ID, user verification, signature) can be tested one by one.

CBOR is written by hand: the few fixed shapes WebAuthn needs ("none" attestation, an EC2 key).
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, AT = 0x01, 0x04, 0x40  # authenticator data flags: user present, verified, credential


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _cbor_bytes(data: bytes) -> bytes:
    return bytes([0x59]) + struct.pack(">H", len(data)) + data


@dataclass
class SoftAuthenticator:
    credential_id: bytes = b"soft-credential-1"
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )

    def cose_key(self) -> bytes:
        """The public key as COSE_Key: {1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y}."""
        numbers = self.key.public_key().public_numbers()
        x, y = numbers.x.to_bytes(32, "big"), numbers.y.to_bytes(32, "big")
        return bytes.fromhex("a5010203262001215820") + x + bytes.fromhex("225820") + y

    def _client_data(self, kind: str, origin: str, challenge: bytes) -> bytes:
        data = {"type": kind, "challenge": b64(challenge), "origin": origin, "crossOrigin": False}
        return json.dumps(data).encode()

    def register(self, *, origin: str, rp_id: str, challenge: bytes, verified: bool = True) -> str:
        """The page's JSON for navigator.credentials.create(), with "none" attestation."""
        flags = UP | AT | (UV if verified else 0)
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([flags])
            + struct.pack(">I", 0)
            + bytes(16)  # AAGUID
            + struct.pack(">H", len(self.credential_id))
            + self.credential_id
            + self.cose_key()
        )
        attestation = (
            bytes([0xA3, 0x63]) + b"fmt" + bytes([0x64]) + b"none"
            + bytes([0x67]) + b"attStmt" + bytes([0xA0])
            + bytes([0x68]) + b"authData" + _cbor_bytes(auth_data)
        )  # fmt: skip
        return json.dumps(
            {
                "id": b64(self.credential_id),
                "rawId": b64(self.credential_id),
                "type": "public-key",
                "response": {
                    "clientDataJSON": b64(self._client_data("webauthn.create", origin, challenge)),
                    "attestationObject": b64(attestation),
                },
            }
        )

    def sign_in(
        self, *, origin: str, rp_id: str, challenge: bytes, count: int = 0, verified: bool = True
    ) -> str:
        """The page's JSON for navigator.credentials.get(), signed with this key."""
        flags = UP | (UV if verified else 0)
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", count)
        )
        client = self._client_data("webauthn.get", origin, challenge)
        signed = auth_data + hashlib.sha256(client).digest()
        signature = self.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        return json.dumps(
            {
                "id": b64(self.credential_id),
                "rawId": b64(self.credential_id),
                "type": "public-key",
                "response": {
                    "clientDataJSON": b64(client),
                    "authenticatorData": b64(auth_data),
                    "signature": b64(signature),
                },
            }
        )

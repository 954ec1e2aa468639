"""Builders for trust tests: a CA in memory, and signed heads from any signer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from core.domain.ledger.entries import SignedHead, TreeHead, head_message
from core.ports.store import HeadSigner
from trust import ca


@dataclass(frozen=True, slots=True)
class CertSigner:
    """A HeadSigner over one key and certificate, without a database."""

    key: Ed25519PrivateKey
    cert: x509.Certificate

    @property
    def key_id(self) -> str:
        return ca.fingerprint(self.cert)

    def sign(self, message: bytes) -> bytes:
        return self.key.sign(message)


@dataclass(frozen=True, slots=True)
class MemoryCa:
    root_key: Ed25519PrivateKey
    root: x509.Certificate
    signer: CertSigner


def memory_ca(now: datetime) -> MemoryCa:
    root_key, root = ca.new_root(now)
    return MemoryCa(root_key, root, CertSigner(*ca.issue_signing(root_key, root, now, 1)))


def ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def sign_head(signer: HeadSigner, at: datetime, tree_size: int = 7) -> SignedHead:
    head = TreeHead(tree_size, bytes(range(32)), ms(at))
    return SignedHead(head, signer.key_id, signer.sign(head_message(head)))

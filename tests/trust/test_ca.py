"""Chipin's CA: certificate profiles, fingerprints, and chain checks."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.x509.oid import NameOID

from tests.support.trust_builders import memory_ca
from tests.trust.conftest import T0
from trust import ca
from trust.errors import ChainInvalid


def _cn(cert: x509.Certificate) -> str:
    return str(cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)


def test_root_is_a_self_signed_ed25519_ca_for_twenty_years() -> None:
    _, root = ca.new_root(T0)
    assert _cn(root) == "Chipin Ledger Root CA"
    assert root.issuer == root.subject
    assert isinstance(root.public_key(), Ed25519PublicKey)
    basic = root.extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical
    assert (basic.value.ca, basic.value.path_length) == (True, 0)
    usage = root.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign
    assert usage.crl_sign
    assert not usage.digital_signature
    root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    assert root.not_valid_after_utc - T0 >= timedelta(days=20 * 365)
    ca.check_root(root)


def test_signing_certificate_is_an_end_entity_for_head_signing() -> None:
    mem = memory_ca(T0)
    cert = mem.signer.cert
    assert _cn(cert) == "Chipin Ledger Signing 1"
    assert cert.issuer == mem.root.subject
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature
    assert not usage.key_cert_sign
    assert list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ca.HEAD_SIGNING
    ]
    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    ski = mem.root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert aki.key_identifier == ski.digest
    assert cert.serial_number != mem.root.serial_number
    assert timedelta(days=2 * 365) <= cert.not_valid_after_utc - T0 < timedelta(days=3 * 365)
    ca.verify_chain(cert, mem.root, T0)


def test_fingerprint_is_lowercase_sha256_hex_of_the_der() -> None:
    _, root = ca.new_root(T0)
    der = root.public_bytes(serialization.Encoding.DER)
    assert ca.fingerprint(root) == hashlib.sha256(der).hexdigest()


def test_a_certificate_from_another_root_does_not_chain() -> None:
    mine, theirs = memory_ca(T0), memory_ca(T0)
    # Same names on both roots: only the signature tells them apart.
    assert mine.root.subject == theirs.root.subject
    with pytest.raises(ChainInvalid, match="not signed by the root"):
        ca.verify_chain(theirs.signer.cert, mine.root, T0)


def test_a_certificate_outside_its_validity_does_not_chain() -> None:
    mem = memory_ca(T0)
    with pytest.raises(ChainInvalid, match="certificate is not valid at"):
        ca.verify_chain(mem.signer.cert, mem.root, T0 + timedelta(days=3 * 365))
    with pytest.raises(ChainInvalid, match="not valid at"):
        ca.verify_chain(mem.signer.cert, mem.root, T0 - timedelta(days=1))


def test_a_signing_certificate_cannot_act_as_the_root() -> None:
    mem = memory_ca(T0)
    with pytest.raises(ChainInvalid, match="not self-issued"):
        ca.verify_chain(mem.signer.cert, mem.signer.cert, T0)


def test_the_root_cannot_pose_as_a_signing_certificate() -> None:
    mem = memory_ca(T0)
    with pytest.raises(ChainInvalid, match="must not be a CA"):
        ca.verify_chain(mem.root, mem.root, T0)


def test_load_chain_reads_root_first() -> None:
    mem = memory_ca(T0)
    pem = (ca.to_pem(mem.root) + ca.to_pem(mem.signer.cert)).encode()
    assert ca.load_chain(pem) == (mem.root, [mem.signer.cert])


def test_load_chain_refuses_a_chain_that_does_not_start_with_a_root() -> None:
    mem = memory_ca(T0)
    with pytest.raises(ChainInvalid):
        ca.load_chain(ca.to_pem(mem.signer.cert).encode())
    with pytest.raises(ChainInvalid, match="PEM"):
        ca.load_chain(b"no certificates here")

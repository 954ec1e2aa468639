"""Chipin's own CA: an Ed25519 root, the head-signing certificates it issues, chain checks.

Profiles. Root: self-signed, CA with path length 0, may only sign certificates and CRLs,
20 years. Signing: end entity, digital signatures only, extended key usage HEAD_SIGNING,
2 years. Both start SKEW before `now`, so a head stamped by a clock slightly behind still
falls inside the window.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TypeVar

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.x509.oid import NameOID

from trust.errors import ChainInvalid

ROOT_CN = "Chipin Ledger Root CA"
SIGNING_CN = "Chipin Ledger Signing"
ORGANIZATION = "Chipin"
ROOT_VALIDITY = timedelta(days=20 * 365 + 5)
SIGNING_VALIDITY = timedelta(days=2 * 365 + 1)
SKEW = timedelta(minutes=5)
# "Chipin ledger tree-head signing": an OID under the UUID arc 2.25 (ITU-T X.667), which
# needs no registration.
HEAD_SIGNING = x509.ObjectIdentifier("2.25.215119779583033877323909619445464923163")

_E = TypeVar("_E", bound=x509.ExtensionType)


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _key_usage(*, sign: bool = False, cert_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def new_root(now: datetime) -> tuple[Ed25519PrivateKey, x509.Certificate]:
    """A fresh self-signed root CA."""
    key = Ed25519PrivateKey.generate()
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(ROOT_CN))
        .issuer_name(_name(ROOT_CN))
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - SKEW)
        .not_valid_after(now + ROOT_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, algorithm=None)
    )
    return key, cert


def issue_signing(
    root_key: Ed25519PrivateKey, root_cert: x509.Certificate, now: datetime, n: int
) -> tuple[Ed25519PrivateKey, x509.Certificate]:
    """The root's n-th head-signing certificate, with a fresh key."""
    key = Ed25519PrivateKey.generate()
    public = key.public_key()
    ski = root_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{SIGNING_CN} {n}"))
        .issuer_name(root_cert.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - SKEW)
        .not_valid_after(min(now + SIGNING_VALIDITY, root_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(sign=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([HEAD_SIGNING]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
        .sign(root_key, algorithm=None)
    )
    return key, cert


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 of the certificate's DER, lowercase hex: the key id of signed heads."""
    return cert.fingerprint(hashes.SHA256()).hex()


def to_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def load_chain(pem: bytes) -> tuple[x509.Certificate, list[x509.Certificate]]:
    """A chain as chain_pem() writes it: the root first, then the signing certificates.

    The root here is only what the file claims: compare its fingerprint with the one
    Chipin publishes before trusting anything it signed.
    """
    try:
        certs = x509.load_pem_x509_certificates(pem)
    except ValueError as exc:
        raise ChainInvalid("the chain is not a list of PEM certificates") from exc
    if not certs:
        raise ChainInvalid("the chain holds no certificate")
    check_root(certs[0])
    return certs[0], certs[1:]


def check_root(root: x509.Certificate) -> None:
    """The root is a self-signed CA allowed to sign certificates."""
    if root.issuer != root.subject:
        raise ChainInvalid("the root is not self-issued")
    if not _extension(root, x509.BasicConstraints, "root").ca:
        raise ChainInvalid("the root is not a CA")
    if not _extension(root, x509.KeyUsage, "root").key_cert_sign:
        raise ChainInvalid("the root may not sign certificates")
    _check_signed_by(root, root, "the root's self-signature does not verify")


def verify_chain(cert: x509.Certificate, root: x509.Certificate, at: datetime) -> None:
    """`cert` is a head-signing certificate issued by `root`, both valid at `at`."""
    check_root(root)
    if cert.issuer != root.subject:
        raise ChainInvalid("the certificate's issuer is not the root")
    _check_signed_by(cert, root, "the certificate is not signed by the root's key")
    if _extension(cert, x509.BasicConstraints, "certificate").ca:
        raise ChainInvalid("a head-signing certificate must not be a CA")
    if not _extension(cert, x509.KeyUsage, "certificate").digital_signature:
        raise ChainInvalid("the certificate may not make digital signatures")
    if HEAD_SIGNING not in _extension(cert, x509.ExtendedKeyUsage, "certificate"):
        raise ChainInvalid("the certificate is not for signing ledger heads")
    if not isinstance(cert.public_key(), Ed25519PublicKey):
        raise ChainInvalid("the certificate's key is not Ed25519")
    _check_window(root, at, "the root")
    _check_window(cert, at, "the certificate")


def _check_signed_by(cert: x509.Certificate, issuer: x509.Certificate, reason: str) -> None:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature) as exc:
        raise ChainInvalid(reason) from exc


def _check_window(cert: x509.Certificate, at: datetime, what: str) -> None:
    if not cert.not_valid_before_utc <= at <= cert.not_valid_after_utc:
        raise ChainInvalid(
            f"{what} is not valid at {at.isoformat()} "
            f"(valid {cert.not_valid_before_utc.isoformat()} to "
            f"{cert.not_valid_after_utc.isoformat()})"
        )


def _extension(cert: x509.Certificate, kind: type[_E], what: str) -> _E:
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound as exc:
        raise ChainInvalid(f"{what} lacks the {kind.__name__} extension") from exc

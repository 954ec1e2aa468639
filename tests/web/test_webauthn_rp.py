"""The py_webauthn relying party: options as the browser needs them, and every bad answer
refused as PasskeyRefused('bad_response'), never another exception."""

from __future__ import annotations

import base64
import json

import pytest

from core.domain.passkeys import PasskeyRefused, RelyingParty, relying_party
from tests.support.soft_authenticator import SoftAuthenticator
from web.pages.webauthn_rp import WebAuthnRp

RP = WebAuthnRp(RelyingParty("pay.example.com", "https://pay.example.com"))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def test_registration_asks_for_a_platform_authenticator_with_user_verification() -> None:
    options = json.loads(
        RP.registration_options(
            challenge=b"c" * 24, user_handle=b"h" * 32, user_name="Chipin payer", exclude=[b"old"]
        )
    )
    assert options["rp"] == {"id": "pay.example.com", "name": "Chipin"}
    assert options["challenge"] == _b64(b"c" * 24)
    assert options["authenticatorSelection"]["authenticatorAttachment"] == "platform"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["excludeCredentials"] == [{"id": _b64(b"old"), "type": "public-key"}]
    assert options["timeout"] == 120_000


def test_authentication_requires_user_verification_for_the_payers_credentials() -> None:
    options = json.loads(RP.authentication_options(challenge=b"c" * 24, allow=[b"k1", b"k2"]))
    assert options["rpId"] == "pay.example.com"
    assert options["userVerification"] == "required"
    assert [c["id"] for c in options["allowCredentials"]] == [_b64(b"k1"), _b64(b"k2")]


def _client_data(origin: str, challenge: bytes, kind: str = "webauthn.get") -> str:
    data = {"type": kind, "challenge": _b64(challenge), "origin": origin}
    return _b64(json.dumps(data).encode())


def _assertion(origin: str, challenge: bytes) -> str:
    return json.dumps(
        {
            "id": _b64(b"k1"),
            "rawId": _b64(b"k1"),
            "type": "public-key",
            "response": {
                "clientDataJSON": _client_data(origin, challenge),
                "authenticatorData": _b64(b"\x00" * 37),
                "signature": _b64(b"sig"),
            },
        }
    )


def test_the_claimed_challenge_and_credential_are_read_before_verifying() -> None:
    response = _assertion("https://pay.example.com", b"c" * 24)
    assert RP.challenge_of(response) == _b64(b"c" * 24)
    assert RP.credential_of(response) == b"k1"


@pytest.mark.parametrize(
    "response",
    ["", "null", "[]", '{"response": 1}', '{"response": {"clientDataJSON": "%%%"}}', "{}"],
)
def test_garbage_is_a_bad_response(response: str) -> None:
    with pytest.raises(PasskeyRefused, match="bad_response"):
        RP.challenge_of(response)
    with pytest.raises(PasskeyRefused, match="bad_response"):
        RP.credential_of(response)
    with pytest.raises(PasskeyRefused, match="bad_response"):
        RP.verify_authentication(response, b"c" * 24, b"key")
    with pytest.raises(PasskeyRefused, match="bad_response"):
        RP.verify_registration(response, b"c" * 24)


@pytest.mark.parametrize(
    ("origin", "challenge"),
    [
        ("https://evil.example.net", b"c" * 24),  # a phishing page relaying the challenge
        ("https://pay.example.com", b"d" * 24),  # an answer to another challenge
    ],
)
def test_an_answer_from_another_origin_or_challenge_is_refused(
    origin: str, challenge: bytes
) -> None:
    with pytest.raises(PasskeyRefused, match="bad_response"):
        RP.verify_authentication(_assertion(origin, challenge), b"c" * 24, b"key")


# With real signatures (tests.support.soft_authenticator): each check is shown to be the one
# that bites.
SITE = "https://pay.example.com"
CHALLENGE = b"c" * 24


def test_a_real_answer_from_the_site_verifies_and_another_origin_does_not() -> None:
    phone = SoftAuthenticator()
    key = RP.verify_registration(
        phone.register(origin=SITE, rp_id="pay.example.com", challenge=CHALLENGE), CHALLENGE
    )
    assert key.credential_id == phone.credential_id
    signed = phone.sign_in(origin=SITE, rp_id="pay.example.com", challenge=CHALLENGE, count=3)
    assert RP.verify_authentication(signed, CHALLENGE, key.public_key) == 3
    for bad in (
        phone.sign_in(
            origin="https://evil.example.net", rp_id="pay.example.com", challenge=CHALLENGE
        ),
        phone.sign_in(origin=SITE, rp_id="evil.example.net", challenge=CHALLENGE),
        phone.sign_in(origin=SITE, rp_id="pay.example.com", challenge=b"d" * 24),
        SoftAuthenticator().sign_in(origin=SITE, rp_id="pay.example.com", challenge=CHALLENGE),
    ):
        with pytest.raises(PasskeyRefused, match="bad_response"):
            RP.verify_authentication(bad, CHALLENGE, key.public_key)


def test_user_verification_is_required_on_both_ceremonies() -> None:
    phone = SoftAuthenticator()
    unverified = phone.register(
        origin=SITE, rp_id="pay.example.com", challenge=CHALLENGE, verified=False
    )
    with pytest.raises(PasskeyRefused, match="bad_response"):
        RP.verify_registration(unverified, CHALLENGE)
    key = RP.verify_registration(
        phone.register(origin=SITE, rp_id="pay.example.com", challenge=CHALLENGE), CHALLENGE
    )
    only_present = phone.sign_in(
        origin=SITE, rp_id="pay.example.com", challenge=CHALLENGE, verified=False
    )
    with pytest.raises(PasskeyRefused, match="bad_response"):
        RP.verify_authentication(only_present, CHALLENGE, key.public_key)


@pytest.mark.parametrize(
    ("public_url", "browser_origin"),
    [
        ("https://pay.example.com:443/chipin", "https://pay.example.com"),
        ("https://pay.example.com:8443/", "https://pay.example.com:8443"),
        ("http://localhost:80", "http://localhost"),
        # an internationalised domain name: browsers sign its ASCII (punycode) form
        ("https://Bücher.example", "https://xn--bcher-kva.example"),
    ],
)
def test_the_origin_is_the_one_the_browser_reports_for_chipin_public_url(
    public_url: str, browser_origin: str
) -> None:
    """A browser leaves the scheme's default port out of the origin it signs."""
    rp = relying_party(public_url)
    assert isinstance(rp, RelyingParty)
    site = WebAuthnRp(rp)
    phone = SoftAuthenticator()
    key = site.verify_registration(
        phone.register(origin=browser_origin, rp_id=rp.rp_id, challenge=CHALLENGE), CHALLENGE
    )
    signed = phone.sign_in(origin=browser_origin, rp_id=rp.rp_id, challenge=CHALLENGE, count=1)
    assert site.verify_authentication(signed, CHALLENGE, key.public_key) == 1

"""core.ports.store.PasskeyCeremony over py_webauthn: Chipin as a WebAuthn relying party.

Platform authenticators only (the phone's fingerprint or face unlock), user verification
required on both ceremonies, no attestation (we trust the device the payer enrols, not
its vendor). py_webauthn's own exceptions are translated into PasskeyRefused here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import parse_authentication_credential_json, parse_client_data_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorAttachment,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from core.domain.passkeys import CHALLENGE_S, NewCredential, RelyingParty, b64url, refused

RP_NAME = "Chipin"


class WebAuthnRp:
    """Chipin's relying party at one RP ID and origin (core.domain.passkeys.relying_party)."""

    def __init__(self, rp: RelyingParty) -> None:
        self.rp = rp

    def registration_options(
        self, *, challenge: bytes, user_handle: bytes, user_name: str, exclude: Sequence[bytes]
    ) -> str:
        options = generate_registration_options(
            rp_id=self.rp.rp_id,
            rp_name=RP_NAME,
            user_name=user_name,
            user_id=user_handle,
            challenge=challenge,
            timeout=CHALLENGE_S * 1000,
            authenticator_selection=AuthenticatorSelectionCriteria(
                authenticator_attachment=AuthenticatorAttachment.PLATFORM,
                resident_key=ResidentKeyRequirement.PREFERRED,
                user_verification=UserVerificationRequirement.REQUIRED,
            ),
            exclude_credentials=[PublicKeyCredentialDescriptor(id=c) for c in exclude],
        )
        return options_to_json(options)

    def verify_registration(self, response: str, challenge: bytes) -> NewCredential:
        try:
            verified = verify_registration_response(
                credential=response,
                expected_challenge=challenge,
                expected_rp_id=self.rp.rp_id,
                expected_origin=self.rp.origin,
                require_user_verification=True,
            )
        except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
            raise refused("bad_response") from exc
        return NewCredential(
            verified.credential_id, verified.credential_public_key, verified.sign_count
        )

    def authentication_options(self, *, challenge: bytes, allow: Sequence[bytes]) -> str:
        internal = [AuthenticatorTransport.INTERNAL, AuthenticatorTransport.HYBRID]
        options = generate_authentication_options(
            rp_id=self.rp.rp_id,
            challenge=challenge,
            timeout=CHALLENGE_S * 1000,
            allow_credentials=[
                PublicKeyCredentialDescriptor(id=c, transports=internal) for c in allow
            ],
            user_verification=UserVerificationRequirement.REQUIRED,
        )
        return options_to_json(options)

    def challenge_of(self, response: str) -> str:
        try:
            client = json.loads(response)["response"]["clientDataJSON"]
            data = parse_client_data_json(base64url_to_bytes(client))
        except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
            raise refused("bad_response") from exc
        return b64url(data.challenge)

    def credential_of(self, response: str) -> bytes:
        try:
            return bytes(parse_authentication_credential_json(response).raw_id)
        except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
            raise refused("bad_response") from exc

    def verify_authentication(self, response: str, challenge: bytes, public_key: bytes) -> int:
        try:
            verified = verify_authentication_response(
                credential=response,
                expected_challenge=challenge,
                expected_rp_id=self.rp.rp_id,
                expected_origin=self.rp.origin,
                credential_public_key=public_key,
                # 0: the counter is judged by core.domain.passkeys.counter_advanced, which tells a
                # counter that went back apart from a bad signature
                credential_current_sign_count=0,
                require_user_verification=True,
            )
        except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
            raise refused("bad_response") from exc
        return int(verified.new_sign_count)

"""A WebAuthn ceremony over JSON the tests write, and the answers a soft authenticator gives."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from core.domain.passkeys import (
    NewCredential,
    b64url,
    refused,
    unb64url,
)


class FakeCeremony:
    """core.ports.store.PasskeyCeremony without cryptography: a response is JSON naming the
    challenge it answers, the credential, the authenticator's counter and whether the
    signature (and user verification) would verify."""

    def registration_options(
        self, *, challenge: bytes, user_handle: bytes, user_name: str, exclude: Sequence[bytes]
    ) -> str:
        return json.dumps({"challenge": b64url(challenge), "exclude": len(exclude)})

    def authentication_options(self, *, challenge: bytes, allow: Sequence[bytes]) -> str:
        return json.dumps({"challenge": b64url(challenge), "allow": [b64url(c) for c in allow]})

    def _parsed(self, response: str) -> dict[str, Any]:
        try:
            found = json.loads(response)
        except ValueError as exc:
            raise refused("bad_response") from exc
        if not isinstance(found, dict):
            raise refused("bad_response")
        return found

    def _field(self, response: str, name: str) -> str:
        found = self._parsed(response).get(name)
        if not isinstance(found, str):
            raise refused("bad_response")
        return found

    def challenge_of(self, response: str) -> str:
        return self._field(response, "challenge")

    def credential_of(self, response: str) -> bytes:
        return unb64url(self._field(response, "credential"))

    def _check(self, response: str, challenge: bytes) -> dict[str, Any]:
        found = self._parsed(response)
        if found["challenge"] != b64url(challenge) or not found.get("valid", True):
            raise refused("bad_response")
        return found

    def verify_registration(self, response: str, challenge: bytes) -> NewCredential:
        found = self._check(response, challenge)
        return NewCredential(unb64url(found["credential"]), b"cose-key", int(found["count"]))

    def verify_authentication(self, response: str, challenge: bytes, public_key: bytes) -> int:
        return int(self._check(response, challenge)["count"])


def answer(options: str, credential: bytes, count: int, *, valid: bool = True) -> str:
    """The fake authenticator's answer to these options."""
    challenge = json.loads(options)["challenge"]
    return json.dumps(
        {"challenge": challenge, "credential": b64url(credential), "count": count, "valid": valid}
    )

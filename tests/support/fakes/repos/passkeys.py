"""The passkey part of the in-memory store (tests.fakes.InMemoryTx): plain dicts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from core.domain.errors import Conflict
from core.domain.passkeys import (
    Challenge,
    NewCredential,
    Passkey,
    VerifyLink,
    b64url,
    refused,
    unb64url,
)


@dataclass
class PasskeyState:
    keys: dict[str, Passkey] = field(default_factory=dict)
    links: dict[str, VerifyLink] = field(default_factory=dict)
    challenges: dict[str, Challenge] = field(default_factory=dict)


class InMemoryPasskeys:
    """core.ports.store.PasskeyTx over a PasskeyState."""

    pk: PasskeyState

    async def add_passkey_link(self, link: VerifyLink, now: datetime) -> None:
        self.pk.links[link.token_hash] = link

    async def get_passkey_link(self, token_hash: str) -> VerifyLink | None:
        return self.pk.links.get(token_hash)

    async def spend_passkey_link(self, token_hash: str, now: datetime) -> bool:
        link = self.pk.links.get(token_hash)
        if link is None or link.spent:
            return False
        self.pk.links[token_hash] = replace(link, spent=True)
        return True

    async def add_passkey_challenge(self, challenge: Challenge) -> None:
        self.pk.challenges[challenge.value] = challenge

    async def take_passkey_challenge(self, value: str) -> Challenge | None:
        return self.pk.challenges.pop(value, None)

    async def add_passkey(self, passkey: Passkey) -> None:
        if any(k.credential_id == passkey.credential_id for k in self.pk.keys.values()):
            raise Conflict("this passkey is enrolled already")
        self.pk.keys[passkey.id] = passkey

    async def passkeys_of(self, payer_ref: str) -> list[Passkey]:
        found = [k for k in self.pk.keys.values() if k.payer_ref == payer_ref]
        return sorted(found, key=lambda k: (k.created_at, k.id))

    async def passkey_by_credential(self, credential_id: bytes) -> Passkey | None:
        return next((k for k in self.pk.keys.values() if k.credential_id == credential_id), None)

    async def use_passkey(
        self, passkey_id: str, old_count: int, new_count: int, now: datetime
    ) -> bool:
        key = self.pk.keys.get(passkey_id)
        if key is None or key.sign_count != old_count:
            return False
        self.pk.keys[passkey_id] = replace(key, sign_count=new_count, last_used_at=now)
        return True

    async def remove_passkey(self, payer_ref: str, passkey_id: str) -> bool:
        key = self.pk.keys.get(passkey_id)
        if key is None or key.payer_ref != payer_ref:
            return False
        del self.pk.keys[passkey_id]
        return True


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

"""The passkey part of the in-memory store (tests.support.fakes.store.InMemoryTx): plain dicts."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from core.domain.errors import Conflict
from core.domain.passkeys import (
    Challenge,
    Passkey,
    VerifyLink,
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

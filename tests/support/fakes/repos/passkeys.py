"""In-memory passkeys: the fake of storage.repos.passkeys, method for method, over plain dicts."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from core.domain.errors import Conflict
from core.domain.passkeys import Challenge, Passkey, VerifyLink
from tests.support.fakes.state import MemoryRepo


class InMemoryPasskeys(MemoryRepo):
    """Passkeys inside one transaction, over the in-memory state."""

    async def add_passkey_link(self, link: VerifyLink, now: datetime) -> None:
        self.s.passkeys.links[link.token_hash] = link

    async def get_passkey_link(self, token_hash: str) -> VerifyLink | None:
        return self.s.passkeys.links.get(token_hash)

    async def spend_passkey_link(self, token_hash: str, now: datetime) -> bool:
        link = self.s.passkeys.links.get(token_hash)
        if link is None or link.spent:
            return False
        self.s.passkeys.links[token_hash] = replace(link, spent=True)
        return True

    async def add_passkey_challenge(self, challenge: Challenge) -> None:
        self.s.passkeys.challenges[challenge.value] = challenge

    async def take_passkey_challenge(self, value: str) -> Challenge | None:
        return self.s.passkeys.challenges.pop(value, None)

    async def add_passkey(self, passkey: Passkey) -> None:
        if any(k.credential_id == passkey.credential_id for k in self.s.passkeys.keys.values()):
            raise Conflict("this passkey is enrolled already")
        self.s.passkeys.keys[passkey.id] = passkey

    async def passkeys_of(self, payer_ref: str) -> list[Passkey]:
        found = [k for k in self.s.passkeys.keys.values() if k.payer_ref == payer_ref]
        return sorted(found, key=lambda k: (k.created_at, k.id))

    async def passkey_by_credential(self, credential_id: bytes) -> Passkey | None:
        return next(
            (k for k in self.s.passkeys.keys.values() if k.credential_id == credential_id), None
        )

    async def use_passkey(
        self, passkey_id: str, old_count: int, new_count: int, now: datetime
    ) -> bool:
        key = self.s.passkeys.keys.get(passkey_id)
        if key is None or key.sign_count != old_count:
            return False
        self.s.passkeys.keys[passkey_id] = replace(key, sign_count=new_count, last_used_at=now)
        return True

    async def remove_passkey(self, payer_ref: str, passkey_id: str) -> bool:
        key = self.s.passkeys.keys.get(passkey_id)
        if key is None or key.payer_ref != payer_ref:
            return False
        del self.s.passkeys.keys[passkey_id]
        return True

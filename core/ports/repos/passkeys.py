"""The repository of passkeys, their page links and challenges; single use is one atomic
statement."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from core.domain.passkeys import Challenge, Passkey, VerifyLink


class PasskeysRepo(Protocol):
    """Passkeys inside one transaction: storage.repos.passkeys and its fake
    (tests.support.fakes.repos.passkeys) implement it method for method, in this order."""

    async def add_passkey_link(self, link: VerifyLink, now: datetime) -> None:
        """Store a new link (and forget links and challenges that expired a day ago)."""
        ...

    async def get_passkey_link(self, token_hash: str) -> VerifyLink | None: ...

    async def spend_passkey_link(self, token_hash: str, now: datetime) -> bool:
        """Mark the link used, atomically; False if it was spent already."""
        ...

    async def add_passkey_challenge(self, challenge: Challenge) -> None: ...

    async def take_passkey_challenge(self, value: str) -> Challenge | None:
        """Remove the challenge and return it, atomically: a second take gets None."""
        ...

    async def add_passkey(self, passkey: Passkey) -> None: ...

    async def passkeys_of(self, payer_ref: str) -> list[Passkey]:
        """The payer's passkeys, oldest first."""
        ...

    async def passkey_by_credential(self, credential_id: bytes) -> Passkey | None: ...

    async def use_passkey(
        self, passkey_id: str, old_count: int, new_count: int, now: datetime
    ) -> bool:
        """Store the new sign counter if the stored one is still old_count (else False)."""
        ...

    async def remove_passkey(self, payer_ref: str, passkey_id: str) -> bool: ...

"""SQL for passkeys, their page links and challenges; single use is one atomic statement.

The payer is stored as a blind index beside a sealed copy (storage.rows), device names
sealed only; a challenge is taken by DELETE ... RETURNING, so two takes cannot both win.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from core.domain.errors import InvariantViolation
from core.domain.model import OrderId, SubOrderId
from core.domain.passkeys import Challenge, Passkey, Purpose, VerifyLink, b64url, unb64url
from storage.rows import TxBase, aware, open_indexed
from storage.tables import passkey_challenges, passkey_links, passkeys

_K, _L, _C = passkeys.c, passkey_links.c, passkey_challenges.c
KEEP_EXPIRED = timedelta(days=1)


class PasskeysSql(TxBase):
    """Passkeys inside one transaction."""

    def _payer(self, what: str, row: Any) -> str:
        found = open_indexed(self._sealer, what, row["payer_ref"], row["payer_sealed"])
        if found is None:
            raise InvariantViolation(f"{what} has no payer")
        return found

    def _passkey(self, row: Any) -> Passkey:
        return Passkey(
            id=row["id"],
            payer_ref=self._payer(f"passkey {row['id']}", row),
            credential_id=unb64url(row["credential_id"]),
            public_key=bytes(row["public_key"]),
            sign_count=int(row["sign_count"]),
            device_name=self._sealer.open(row["device_name_sealed"]),
            created_at=aware(row["created_at"]),
            last_used_at=aware(row["last_used_at"]) if row["last_used_at"] else None,
        )

    async def add_passkey_link(self, link: VerifyLink, now: datetime) -> None:
        stale = now - KEEP_EXPIRED
        await self._conn.execute(sa.delete(passkey_links).where(_L.expires_at < stale))
        await self._conn.execute(sa.delete(passkey_challenges).where(_C.expires_at < stale))
        await self._conn.execute(
            sa.insert(passkey_links).values(
                token_hash=link.token_hash,
                payer_ref=self._sealer.index(link.payer_ref),
                payer_sealed=self._sealer.seal(link.payer_ref),
                purpose=link.purpose.value,
                order_id=link.order_id,
                order_token=link.order_token,
                sub_order_id=link.sub_order_id,
                expires_at=link.expires_at,
                spent_at=None,
            )
        )

    async def get_passkey_link(self, token_hash: str) -> VerifyLink | None:
        stmt = sa.select(passkey_links).where(_L.token_hash == token_hash)
        row = (await self._conn.execute(stmt)).mappings().first()
        if row is None:
            return None
        return VerifyLink(
            token_hash=row["token_hash"],
            payer_ref=self._payer("a passkey link", row),
            purpose=Purpose(row["purpose"]),
            expires_at=aware(row["expires_at"]),
            order_id=OrderId(row["order_id"]) if row["order_id"] else None,
            order_token=row["order_token"],
            sub_order_id=SubOrderId(row["sub_order_id"]) if row["sub_order_id"] else None,
            spent=row["spent_at"] is not None,
        )

    async def spend_passkey_link(self, token_hash: str, now: datetime) -> bool:
        stmt = (
            sa.update(passkey_links)
            .where(_L.token_hash == token_hash, _L.spent_at.is_(None))
            .values(spent_at=now)
        )
        return bool((await self._conn.execute(stmt)).rowcount == 1)

    async def add_passkey_challenge(self, challenge: Challenge) -> None:
        await self._conn.execute(
            sa.insert(passkey_challenges).values(
                value=challenge.value,
                link_hash=challenge.link_hash,
                payer_ref=self._sealer.index(challenge.payer_ref),
                payer_sealed=self._sealer.seal(challenge.payer_ref),
                sub_order_id=challenge.sub_order_id,
                expires_at=challenge.expires_at,
            )
        )

    async def take_passkey_challenge(self, value: str) -> Challenge | None:
        stmt = (
            sa.delete(passkey_challenges).where(_C.value == value).returning(*passkey_challenges.c)
        )
        row = (await self._conn.execute(stmt)).mappings().first()
        if row is None:
            return None
        return Challenge(
            value=row["value"],
            link_hash=row["link_hash"],
            payer_ref=self._payer("a passkey challenge", row),
            sub_order_id=SubOrderId(row["sub_order_id"]) if row["sub_order_id"] else None,
            expires_at=aware(row["expires_at"]),
        )

    async def add_passkey(self, passkey: Passkey) -> None:
        await self._conn.execute(
            sa.insert(passkeys).values(
                id=passkey.id,
                payer_ref=self._sealer.index(passkey.payer_ref),
                payer_sealed=self._sealer.seal(passkey.payer_ref),
                credential_id=b64url(passkey.credential_id),
                public_key=passkey.public_key,
                sign_count=passkey.sign_count,
                device_name_sealed=self._sealer.seal(passkey.device_name),
                created_at=passkey.created_at,
                last_used_at=passkey.last_used_at,
            )
        )

    async def passkeys_of(self, payer_ref: str) -> list[Passkey]:
        stmt = (
            sa.select(passkeys)
            .where(_K.payer_ref == self._sealer.index(payer_ref))
            .order_by(_K.created_at, _K.id)
        )
        return [self._passkey(r) for r in (await self._conn.execute(stmt)).mappings()]

    async def passkey_by_credential(self, credential_id: bytes) -> Passkey | None:
        stmt = sa.select(passkeys).where(_K.credential_id == b64url(credential_id))
        row = (await self._conn.execute(stmt)).mappings().first()
        return self._passkey(row) if row is not None else None

    async def use_passkey(
        self, passkey_id: str, old_count: int, new_count: int, now: datetime
    ) -> bool:
        stmt = (
            sa.update(passkeys)
            .where(_K.id == passkey_id, _K.sign_count == old_count)
            .values(sign_count=new_count, last_used_at=now)
        )
        return bool((await self._conn.execute(stmt)).rowcount == 1)

    async def remove_passkey(self, payer_ref: str, passkey_id: str) -> bool:
        stmt = sa.delete(passkeys).where(
            _K.id == passkey_id, _K.payer_ref == self._sealer.index(payer_ref)
        )
        return bool((await self._conn.execute(stmt)).rowcount == 1)

"""SQL for the transparency ledger: appending buffered entries at commit, reading them back."""

from __future__ import annotations

import base64
import json
import secrets
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.domain.ledger.audit import entry_of
from core.domain.ledger.entries import (
    LedgerDraft,
    LedgerEntry,
    PayerSecret,
    SignedHead,
    TreeHead,
    commitment,
)
from core.domain.ledger.merkle import leaf_hash
from core.domain.model import PaymentId
from core.ports.store import Sealer
from storage.rows import Conn, TxBase
from storage.tables import ledger_entries, ledger_heads, ledger_state

# Built once: every settlement appends to the ledger (docs/PERFORMANCE.md).
_GROW = (
    sa.update(ledger_state)
    .where(ledger_state.c.id == 1)
    .values(size=ledger_state.c.size + sa.bindparam("p_added", type_=sa.Integer()))
    .returning(ledger_state.c.size)
)
_ADD_ENTRIES = sa.insert(ledger_entries)


class LedgerSql(TxBase):
    """Ledger entries and signed heads inside one transaction."""

    def __init__(self, conn: Conn, sealer: Sealer) -> None:
        super().__init__(conn, sealer)
        self._drafts: list[LedgerDraft] = []

    def append_ledger(self, draft: LedgerDraft) -> None:
        self._drafts.append(draft)

    async def flush_ledger(self) -> None:
        """Append the buffered entries: one counter UPDATE (its row lock), one INSERT."""
        if not self._drafts:
            return
        drafts, self._drafts = self._drafts, []
        end = (await self._conn.execute(_GROW, {"p_added": len(drafts)})).scalar_one()
        start = end - len(drafts)
        rows = [self._row(start + i, d) for i, d in enumerate(drafts)]
        await self._conn.execute(_ADD_ENTRIES, rows[0] if len(rows) == 1 else rows)

    def _row(self, index: int, d: LedgerDraft) -> dict[str, Any]:
        payer_commitment = payer_index = payer_sealed = None
        if d.payer_ref:
            salt = secrets.token_hex(16)
            payer_commitment = commitment(d.payer_ref, salt)
            payer_index = self._sealer.index(d.payer_ref)
            secret = {"ref": d.payer_ref, "salt": salt, "name": d.payer_name}
            payer_sealed = self._sealer.seal(json.dumps(secret, separators=(",", ":")))
        entry = d.entry(index, payer_commitment)
        return {
            "idx": index,
            "kind": d.kind.value,
            "at": d.at,
            "order_id": d.order_id,
            "payee_id": d.payee_id,
            "sub_order_id": d.sub_order_id,
            "payment_id": d.payment_id,
            "amount_minor": d.amount_minor,
            "currency": d.currency,
            "payer_commitment": payer_commitment,
            "note": d.note,
            "method": d.method,
            "settled": d.settled,
            "account": d.account,
            "fee_minor": d.fee_minor,
            "leaf_hash": leaf_hash(entry.leaf()).hex(),
            "payer_index": payer_index,
            "payer_sealed": payer_sealed,
        }

    async def ledger_size(self, *, lock: bool = False) -> int:
        stmt = sa.select(ledger_state.c.size).where(ledger_state.c.id == 1)
        if lock:  # PostgreSQL: the row lock flush_ledger takes; SQLite: BEGIN IMMEDIATE did
            stmt = stmt.with_for_update()
        return int((await self._conn.execute(stmt)).scalar_one())

    async def ledger_leaf_hashes(self, start: int, end: int) -> list[bytes]:
        stmt = (
            sa.select(ledger_entries.c.leaf_hash)
            .where(ledger_entries.c.idx >= start, ledger_entries.c.idx < end)
            .order_by(ledger_entries.c.idx)
        )
        return [bytes.fromhex(h) for h in (await self._conn.execute(stmt)).scalars()]

    async def ledger_entries(self, start: int, end: int) -> list[LedgerEntry]:
        stmt = (
            sa.select(ledger_entries)
            .where(ledger_entries.c.idx >= start, ledger_entries.c.idx < end)
            .order_by(ledger_entries.c.idx)
        )
        return [entry_from(r) for r in (await self._conn.execute(stmt)).mappings()]

    async def ledger_entries_of_payment(self, payment_id: PaymentId) -> list[LedgerEntry]:
        stmt = (
            sa.select(ledger_entries)
            .where(ledger_entries.c.payment_id == payment_id)
            .order_by(ledger_entries.c.idx)
        )
        return [entry_from(r) for r in (await self._conn.execute(stmt)).mappings()]

    async def payer_secret(self, index: int) -> PayerSecret | None:
        stmt = sa.select(ledger_entries.c.payer_sealed).where(ledger_entries.c.idx == index)
        sealed = (await self._conn.execute(stmt)).scalar_one_or_none()
        if sealed is None:
            return None
        doc = json.loads(self._sealer.open(sealed))
        return PayerSecret(doc["ref"], doc["salt"], doc.get("name"))

    async def add_head(self, head: SignedHead) -> None:
        await self._conn.execute(
            sa.insert(ledger_heads).values(
                tree_size=head.head.tree_size,
                root_hash=head.head.root_hash.hex(),
                timestamp_ms=head.head.timestamp_ms,
                key_id=head.key_id,
                signature=base64.b64encode(head.signature).decode(),
            )
        )

    async def latest_head(self) -> SignedHead | None:
        stmt = sa.select(ledger_heads).order_by(ledger_heads.c.id.desc()).limit(1)
        row = (await self._conn.execute(stmt)).mappings().first()
        return head_from(row) if row is not None else None

    async def signed_heads(self) -> list[SignedHead]:
        stmt = sa.select(ledger_heads).order_by(ledger_heads.c.id)
        return [head_from(r) for r in (await self._conn.execute(stmt)).mappings()]


def entry_from(r: sa.RowMapping) -> LedgerEntry:
    return entry_of(dict(r), int(r["idx"]))


def head_from(r: sa.RowMapping) -> SignedHead:
    return SignedHead(
        TreeHead(int(r["tree_size"]), bytes.fromhex(r["root_hash"]), int(r["timestamp_ms"])),
        r["key_id"],
        base64.b64decode(r["signature"]),
    )


async def read_ledger(db: AsyncEngine) -> tuple[list[dict[str, Any]], int, list[SignedHead]]:
    """Everything an audit reads, raw and in one transaction: rows, the size, the heads.

    Rows come back as stored (not parsed), so an audit can report a mangled field
    instead of failing on it. PostgreSQL reads them from one snapshot (REPEATABLE READ):
    under READ COMMITTED, money moving between the three reads would look like entries
    inserted beyond the size, or heads signed over deleted ones. SQLite's BEGIN IMMEDIATE
    already holds every writer off.
    """
    async with db.connect() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execution_options(isolation_level="REPEATABLE READ")
        async with conn.begin():
            return await read_all(conn)


async def read_all(conn: AsyncConnection) -> tuple[list[dict[str, Any]], int, list[SignedHead]]:
    size = (
        await conn.execute(sa.select(ledger_state.c.size).where(ledger_state.c.id == 1))
    ).scalar_one()
    result = await conn.execute(sa.select(ledger_entries).order_by(ledger_entries.c.idx))
    rows = [dict(r) for r in result.mappings()]
    found = await conn.execute(sa.select(ledger_heads).order_by(ledger_heads.c.id))
    heads = [head_from(r) for r in found.mappings()]
    return rows, int(size), heads

"""Personal data at rest: sealing rows written before revision 0005, re-sealing after rotation.

What each personal column holds (storage.rows writes and reads them this way):

    payees.name              blind index (get_payee_by_name; unique)  + name_sealed
    sub_orders.payer_ref     blind index (find_payer_sub_order, the    + payer_sealed
                             one-held-part-per-payer unique index)
    sub_orders.assignee      blind index (reserve_one's aliases)       + assignee_sealed
    payer_auth.payer_ref     blind index (the primary key)             + payer_sealed
    sub_orders.source, hold_takes.source (0011): blind index only: a client's address or
        Telegram id, compared to count its holds (core.domain.holds) and never read back.
    sub_orders.payer_name_sealed, order_posts.payee_name_sealed: sealed only (shown, never
        looked up). The old payer_name and payee_name columns held the clear names before
        0005 and are NULL once seal_plain_rows ran.
    ledger_entries.payer_index + payer_sealed: written this way from the start.
    passkeys, passkey_links, passkey_challenges (0008): payer_ref blind index + payer_sealed,
        passkeys.device_name_sealed sealed only; written this way from the start.
    collections.display_name_sealed (0009), static_codes.display_name_sealed (0010): the
        collector's name payers see, sealed only; written this way from the start.
    pending_tries.subject (0012): payer_auth's blind index alone, no sealed copy: a pending
        try counts for a minute (core.domain.tries.TRY_TTL_S) and is never read back, so a
        re-indexing may simply drop them.
    outbox_events.body_sealed, outbox_letters.body_sealed (0013): sealed only: an event or a
        message may name a payer; written this way from the start.
    outbox_letters.chat_key (0013): a person's private chat as the blind index of "tg:<id>"
        (their id is in the sealed body); a group's id in the clear.
    payee_methods.details_sealed (0014): the holder's name, IBAN, PIX key or UPI id, BIC and
        city, sealed only. transfer_refs (0014): payer_ref blind index + payer_sealed,
        payer_name_sealed and utr_sealed sealed only. statement_lines.details_sealed (0014):
        a statement line's date, counterparty and text, sealed only. All written this way
        from the start.
    orders.payee_display_name_sealed (0016): the name payers see for the payee, when the
        payee chose one; sealed only, written this way from the start.

A blind index is HMAC-SHA256 under the index key; a sealed value is a Fernet token under
the newest seal key. Every indexed column keeps a sealed copy so that its clear value can
be read back (and checked against the index on every read).

The seal keys rotate (trust.pii.rotate_seal_key, then reseal_all); the index key never does.
An index is only useful if the same value gives the same index: lookups recompute it from
the value a caller brings, and the unique indexes (one held part per payer and order, one
payee per name, one password row per payer) compare indexes. Under two index keys the
same payer would be two different people until every row was re-indexed, so changing the
key is a stop-the-world re-indexing from the sealed copies, not a rotation. Without the
key an index reveals only which rows share a value, so the stored indexes need no periodic
rotation. With it, low-entropy values such as "tg:<id>" can be guessed back from their
index, so the index key is wrapped under CHIPIN_SECRET_KEY like the seal keys, and a
suspected leak of it calls for that re-indexing. The ledger commits to a salted hash of
the payer (payer_commitment), never to the sealed form, so re-sealing changes no leaf and
no proof.

Both functions work in batches of BATCH_ROWS, one transaction each, walking each table in
primary-key order. A row is rewritten by a compare-and-set UPDATE on the values just read,
so a row changed meanwhile is left alone (and not counted); running either function twice,
or on two instances at once, is safe.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.ports.store import Sealer
from storage.tables import (
    collections,
    ledger_entries,
    order_posts,
    orders,
    outbox_events,
    outbox_letters,
    passkey_challenges,
    passkey_links,
    passkeys,
    payee_methods,
    payees,
    payer_auth,
    statement_lines,
    static_codes,
    sub_orders,
    transfer_refs,
)

log = logging.getLogger(__name__)

BATCH_ROWS = 500

Rewrite = Callable[[RowMapping], dict[str, Any]]

_SUB_COLUMNS = (
    "payer_ref",
    "payer_sealed",
    "payer_name",
    "payer_name_sealed",
    "assignee",
    "assignee_sealed",
)


class RotatingSealer(Sealer, Protocol):
    """A Sealer that can re-seal a value under its newest key (trust.pii.Sealer)."""

    def rotate(self, token: str) -> str: ...


@dataclass(frozen=True, slots=True)
class _Pass:
    """One walk over a table: the rows `todo` selects, with `columns` read and compared."""

    table: sa.Table
    columns: tuple[str, ...]
    todo: sa.ColumnElement[bool]


async def seal_plain_rows(db: AsyncEngine, sealer: Sealer) -> int:
    """Seal the personal data of rows written before revision 0005; the number of rows.

    A clear row is one whose sealed column is NULL while its clear column is set. Run it
    after migrating and before serving: lookups by blind index do not find clear rows,
    and reading one raises InvariantViolation.
    """
    done = 0
    for one, rewrite in _plain_passes(sealer):
        rows, _values = await _walk(db, one, rewrite)
        if rows:
            log.info("sealed personal data in %d rows of %s", rows, one.table.name)
        done += rows
    return done


async def reseal_all(db: AsyncEngine, sealer: RotatingSealer) -> int:
    """Re-seal every sealed value under the sealer's newest key; the number of values.

    Clear rows are sealed first. Blind indexes do not change (see the module docstring).
    Run it with the instances that write stopped, or they keep sealing with the key they
    loaded: their rows stay readable, but not under the newest key.
    """
    await seal_plain_rows(db, sealer)
    done = 0
    for one in _sealed_passes():
        rows, values = await _walk(db, one, _rotating(sealer, one.columns))
        log.info("re-sealed %d values in %d rows of %s", values, rows, one.table.name)
        done += values
    return done


def _plain_passes(s: Sealer) -> list[tuple[_Pass, Rewrite]]:
    c = sub_orders.c
    clear_sub = sa.or_(
        c.payer_ref.is_not(None) & c.payer_sealed.is_(None),
        c.assignee.is_not(None) & c.assignee_sealed.is_(None),
        c.payer_name.is_not(None),
    )
    return [
        (
            _Pass(payees, ("name", "name_sealed"), payees.c.name_sealed.is_(None)),
            lambda row: _indexed(s, "name", "name_sealed", row["name"]),
        ),
        (
            _Pass(payer_auth, ("payer_ref", "payer_sealed"), payer_auth.c.payer_sealed.is_(None)),
            lambda row: _indexed(s, "payer_ref", "payer_sealed", row["payer_ref"]),
        ),
        (_Pass(sub_orders, _SUB_COLUMNS, clear_sub), lambda row: _seal_sub(s, row)),
        (
            _Pass(
                order_posts,
                ("payee_name", "payee_name_sealed"),
                order_posts.c.payee_name.is_not(None),
            ),
            lambda row: {"payee_name": None, "payee_name_sealed": s.seal(row["payee_name"])},
        ),
    ]


def _seal_sub(s: Sealer, row: RowMapping) -> dict[str, Any]:
    new: dict[str, Any] = {}
    if row["payer_ref"] is not None and row["payer_sealed"] is None:
        new |= _indexed(s, "payer_ref", "payer_sealed", row["payer_ref"])
    if row["assignee"] is not None and row["assignee_sealed"] is None:
        new |= _indexed(s, "assignee", "assignee_sealed", row["assignee"])
    if row["payer_name"] is not None:
        new |= {"payer_name": None, "payer_name_sealed": s.seal(row["payer_name"])}
    return new


def _indexed(s: Sealer, index: str, sealed: str, clear: str) -> dict[str, Any]:
    return {index: s.index(clear), sealed: s.seal(clear)}


def _sealed_passes() -> list[_Pass]:
    tables: list[tuple[sa.Table, tuple[str, ...]]] = [
        (payees, ("name_sealed",)),
        (payer_auth, ("payer_sealed",)),
        (sub_orders, ("payer_sealed", "payer_name_sealed", "assignee_sealed")),
        (orders, ("payee_display_name_sealed",)),
        (order_posts, ("payee_name_sealed",)),
        (ledger_entries, ("payer_sealed",)),
        (passkeys, ("payer_sealed", "device_name_sealed")),
        (passkey_links, ("payer_sealed",)),
        (passkey_challenges, ("payer_sealed",)),
        (collections, ("display_name_sealed",)),
        (static_codes, ("display_name_sealed",)),
        (outbox_events, ("body_sealed",)),
        (outbox_letters, ("body_sealed",)),
        (payee_methods, ("details_sealed",)),
        (transfer_refs, ("payer_sealed", "payer_name_sealed", "utr_sealed")),
        (statement_lines, ("details_sealed",)),
    ]
    return [
        _Pass(table, columns, sa.or_(*(table.c[n].is_not(None) for n in columns)))
        for table, columns in tables
    ]


def _rotating(sealer: RotatingSealer, columns: Sequence[str]) -> Rewrite:
    def rewrite(row: RowMapping) -> dict[str, Any]:
        return {n: sealer.rotate(row[n]) for n in columns if row[n] is not None}

    return rewrite


async def _walk(db: AsyncEngine, one: _Pass, rewrite: Rewrite) -> tuple[int, int]:
    """Rewrite every row of the pass in primary-key order, one transaction per batch.

    Returns the rows rewritten and the values (columns) they had rewritten.
    """
    key = tuple(one.table.primary_key.columns)
    after: tuple[Any, ...] | None = None
    rows_done = values_done = 0
    while True:
        async with db.begin() as conn:
            rows = await _batch(conn, one, key, after)
            for row in rows:
                new = rewrite(row)
                if new and await _set_if_unchanged(conn, one, key, row, new):
                    rows_done += 1
                    values_done += len(new)
        if len(rows) < BATCH_ROWS:
            return rows_done, values_done
        after = tuple(rows[-1][k.name] for k in key)


async def _batch(
    conn: AsyncConnection,
    one: _Pass,
    key: tuple[sa.Column[Any], ...],
    after: tuple[Any, ...] | None,
) -> list[RowMapping]:
    wanted = dict.fromkeys([*key, *(one.table.c[n] for n in one.columns)])
    stmt = sa.select(*wanted).where(one.todo)
    if after is not None:
        stmt = stmt.where(_beyond(key, after))
    stmt = stmt.order_by(*key).limit(BATCH_ROWS)
    return list((await conn.execute(stmt)).mappings())


def _beyond(key: tuple[sa.Column[Any], ...], after: tuple[Any, ...]) -> sa.ColumnElement[bool]:
    """Rows after `after` in key order (a row-value comparison for a composite key)."""
    if len(key) == 1:
        single: sa.ColumnElement[bool] = key[0] > after[0]
        return single
    values = (sa.literal(v, k.type) for k, v in zip(key, after, strict=True))
    return sa.tuple_(*key) > sa.tuple_(*values)


async def _set_if_unchanged(
    conn: AsyncConnection,
    one: _Pass,
    key: tuple[sa.Column[Any], ...],
    row: RowMapping,
    new: dict[str, Any],
) -> bool:
    """UPDATE the row to `new` if its key and columns still hold what was read."""
    same = [k == row[k.name] for k in key]
    for name in one.columns:
        column, was = one.table.c[name], row[name]
        same.append(column.is_(None) if was is None else column == was)
    result = await conn.execute(sa.update(one.table).where(*same).values(new))
    return bool(result.rowcount == 1)

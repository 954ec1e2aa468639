"""The migrations build exactly storage.tables, idempotently, on every backend."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from storage.db import make_engine
from storage.migrate import alembic_config, current_revision, migrate
from storage.tables import metadata


def _diffs(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


def _check_constraints(connection: Connection) -> dict[str, str]:
    inspector = sa.inspect(connection)
    return {
        str(ck["name"]): " ".join(str(ck["sqltext"]).split())
        for table in metadata.tables
        for ck in inspector.get_check_constraints(table)
    }


def _declared_check_constraints() -> dict[str, str]:
    return {
        str(c.name): " ".join(str(c.sqltext).split())
        for table in metadata.tables.values()
        for c in table.constraints
        if isinstance(c, sa.CheckConstraint)
    }


async def _inspect(url: str) -> tuple[list[Any], dict[str, str], str]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            diffs = await conn.run_sync(_diffs)
            checks = await conn.run_sync(_check_constraints)
            return diffs, checks, conn.dialect.name
    finally:
        await engine.dispose()


def test_migrate_is_idempotent_and_records_the_revision(blank_db_url: str) -> None:
    assert current_revision(blank_db_url) is None
    migrate(blank_db_url)
    migrate(blank_db_url)
    assert current_revision(blank_db_url) == "0016"


async def test_migrated_schema_equals_tables_metadata(db_url: str) -> None:
    diffs, checks, dialect = await _inspect(db_url)
    assert diffs == []
    declared = _declared_check_constraints()
    assert set(checks) == set(declared)
    if dialect == "sqlite":  # SQLite keeps the CHECK text as written; PostgreSQL rewrites it
        assert checks == declared


async def _payments_sql(url: str, *statements: str) -> list[tuple[object, ...]]:
    """Run statements on the payments table; the rows of the last one if it selects."""
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            found: list[tuple[object, ...]] = []
            for statement in statements:
                result = await conn.execute(sa.text(statement))
                found = [tuple(r) for r in result] if result.returns_rows else []
            return found
    finally:
        await engine.dispose()


_A_PAYMENT = (
    "INSERT INTO payments (id, gateway, payment_ref, checkout_ref, amount_minor, currency, "
    "status, counted, reason, created_at, updated_at, attempts) VALUES ('pmt_1', 'telegram', "
    "'tgC1', 't1.sub_1', 2000, 'USD', 'refund_pending', false, 'order full', "
    "'2026-01-01 12:00:00', '2026-01-01 12:00:00', 0)"
)


def test_0006_keeps_payments_and_lets_a_refund_be_owed(blank_db_url: str) -> None:
    config = alembic_config(blank_db_url)
    command.upgrade(config, "0005")
    asyncio.run(_payments_sql(blank_db_url, _A_PAYMENT))
    owed = "UPDATE payments SET status = 'refund_owed'"
    with pytest.raises(IntegrityError):
        asyncio.run(_payments_sql(blank_db_url, owed))

    command.upgrade(config, "head")

    rows = asyncio.run(_payments_sql(blank_db_url, owed, "SELECT id, status FROM payments"))
    assert rows == [("pmt_1", "refund_owed")]
    with pytest.raises(RuntimeError, match="refund by hand"):
        command.downgrade(config, "0005")
    asyncio.run(_payments_sql(blank_db_url, "UPDATE payments SET status = 'refunded'"))
    command.downgrade(config, "0005")
    assert current_revision(blank_db_url) == "0005"
    with pytest.raises(IntegrityError):
        asyncio.run(_payments_sql(blank_db_url, owed))


_A_PAYEE = (
    "INSERT INTO payees (id, name, created_at) VALUES ('pay_1', 'Ann', '2026-01-01 12:00:00')"
)
_AN_ORDER = (
    "INSERT INTO orders (id, token, payee_id, title, currency, total_minor, n, kind, mode,"
    " state, hold_s, created_at, expires_at, paid_count, paid_minor, refunded_minor) VALUES"
    " ('{id}', 'tok_{id}', 'pay_1', 'Dinner', 'USD', 3000, 3, 'equal', 'keep', '{state}', 600,"
    " '2026-01-01 12:00:00', '2026-01-02 12:00:00', 0, 0, 0)"
)
_A_POST = (
    "INSERT INTO order_posts (order_id, chat_id, qr_message_id, progress_message_id,"
    " created_at) VALUES ('{id}', -100, 1, 2, '2026-01-01 12:00:00')"
)


def test_0007_takes_posts_of_closed_orders_as_shown(blank_db_url: str) -> None:
    config = alembic_config(blank_db_url)
    command.upgrade(config, "0006")
    asyncio.run(
        _payments_sql(
            blank_db_url,
            _A_PAYEE,
            _AN_ORDER.format(id="ord_open", state="open"),
            _AN_ORDER.format(id="ord_done", state="completed"),
            _A_POST.format(id="ord_open"),
            _A_POST.format(id="ord_done"),
        )
    )

    command.upgrade(config, "head")

    shown = "SELECT order_id, final_shown FROM order_posts ORDER BY order_id"
    rows = asyncio.run(_payments_sql(blank_db_url, shown))
    assert [(r[0], bool(r[1])) for r in rows] == [("ord_done", True), ("ord_open", False)]
    command.downgrade(config, "0006")
    kept = asyncio.run(_payments_sql(blank_db_url, "SELECT count(*) FROM order_posts"))
    assert kept == [(2,)]


def test_0008_adds_the_passkey_tables_and_keeps_existing_rows(blank_db_url: str) -> None:
    config = alembic_config(blank_db_url)
    command.upgrade(config, "0007")
    auth = (
        "INSERT INTO payer_auth (payer_ref, pin_hash, failures, lockouts, updated_at, "
        "payer_sealed) VALUES ('idx1', 'scrypt$h', 2, 1, '2026-01-01 12:00:00', 'sealed1')"
    )
    asyncio.run(_payments_sql(blank_db_url, _A_PAYMENT, auth))

    command.upgrade(config, "0008")

    kept = asyncio.run(
        _payments_sql(
            blank_db_url,
            "SELECT p.id, p.status, a.payer_ref, a.failures, a.lockouts "
            "FROM payments p, payer_auth a",
        )
    )
    assert kept == [("pmt_1", "refund_pending", "idx1", 2, 1)]
    for table in ("passkeys", "passkey_links", "passkey_challenges"):
        assert asyncio.run(_payments_sql(blank_db_url, f"SELECT count(*) FROM {table}")) == [(0,)]
    command.downgrade(config, "0007")
    assert current_revision(blank_db_url) == "0007"
    count = asyncio.run(_payments_sql(blank_db_url, "SELECT count(*) FROM payer_auth"))
    assert count == [(1,)]


def test_0009_keeps_payments_and_adds_static_codes(blank_db_url: str) -> None:
    config = alembic_config(blank_db_url)
    command.upgrade(config, "0008")
    asyncio.run(_payments_sql(blank_db_url, _A_PAYMENT))

    command.upgrade(config, "head")

    code = (
        "INSERT INTO static_codes (id, token, short, state, created_at) VALUES "
        "('sc_1', 'tok', 'K7PQ3MXD', 'unbound', '2026-01-01 12:00:00')"
    )
    rows = asyncio.run(_payments_sql(blank_db_url, code, "SELECT id, status FROM payments"))
    assert rows == [("pmt_1", "refund_pending")]
    bound_without_binding = "UPDATE static_codes SET state = 'active'"
    with pytest.raises(IntegrityError):
        asyncio.run(_payments_sql(blank_db_url, bound_without_binding))
    command.downgrade(config, "0008")
    rows = asyncio.run(_payments_sql(blank_db_url, "SELECT id, status FROM payments"))
    assert rows == [("pmt_1", "refund_pending")]


def test_0010_keeps_codes_and_adds_the_collector_name_of_a_binding(blank_db_url: str) -> None:
    config = alembic_config(blank_db_url)
    command.upgrade(config, "0009")
    code = (
        "INSERT INTO static_codes (id, token, short, state, created_at) VALUES "
        "('sc_1', 'tok', 'K7PQ3MXD', 'unbound', '2026-01-01 12:00:00')"
    )
    asyncio.run(_payments_sql(blank_db_url, code))
    command.upgrade(config, "head")
    rows = asyncio.run(
        _payments_sql(blank_db_url, "SELECT id, short, display_name_sealed FROM static_codes")
    )
    assert rows == [("sc_1", "K7PQ3MXD", None)]
    command.downgrade(config, "0009")
    rows = asyncio.run(_payments_sql(blank_db_url, "SELECT id, short FROM static_codes"))
    assert rows == [("sc_1", "K7PQ3MXD")]


def test_0011_keeps_orders_and_holds_and_adds_limits_with_no_value(blank_db_url: str) -> None:
    config = alembic_config(blank_db_url)
    command.upgrade(config, "0010")
    held = (
        "INSERT INTO sub_orders (id, order_id, idx, amount_minor, state, payer_ref, hold_until,"
        " hold_seq, payer_sealed) VALUES ('sub_1', 'ord_open', 0, 1000, 'reserved', 'idx1',"
        " '2026-01-01 12:15:00', 1, 'sealed1')"
    )
    asyncio.run(
        _payments_sql(
            blank_db_url,
            _A_PAYEE,
            _AN_ORDER.format(id="ord_open", state="open"),
            held,
        )
    )

    command.upgrade(config, "head")

    order = "SELECT id, holds_per_source FROM orders"
    assert asyncio.run(_payments_sql(blank_db_url, order)) == [("ord_open", None)]
    sub = "SELECT id, state, payer_ref, source, hold_secret_hash FROM sub_orders"
    assert asyncio.run(_payments_sql(blank_db_url, sub)) == [
        ("sub_1", "reserved", "idx1", None, None)
    ]
    assert asyncio.run(_payments_sql(blank_db_url, "SELECT count(*) FROM hold_takes")) == [(0,)]
    command.downgrade(config, "0010")
    kept = "SELECT id, state, payer_ref FROM sub_orders"
    assert asyncio.run(_payments_sql(blank_db_url, kept)) == [("sub_1", "reserved", "idx1")]


def test_0012_starts_failure_counts_afresh_and_keeps_lock_outs(blank_db_url: str) -> None:
    """Counts from before mixed wrong tries with tries never resolved (a check that raised):
    they start at zero, so a password stuck at 'too many tries' works again; a lock-out in
    force and its doubling stay."""
    config = alembic_config(blank_db_url)
    command.upgrade(config, "0011")
    rows = (
        "INSERT INTO payer_auth (payer_ref, pin_hash, failures, lockouts, locked_until, "
        "updated_at, payer_sealed) VALUES "
        "('stuck', NULL, 10, 0, NULL, '2026-01-01 12:00:00', 's1'), "
        "('locked', 'scrypt$h', 3, 2, '2026-01-01 13:00:00', '2026-01-01 12:00:00', 's2')"
    )
    asyncio.run(_payments_sql(blank_db_url, rows))

    command.upgrade(config, "head")

    read = "SELECT payer_ref, failures, lockouts, locked_until IS NOT NULL, order_id, last_try_at"
    found = asyncio.run(_payments_sql(blank_db_url, f"{read} FROM payer_auth ORDER BY payer_ref"))
    assert [(r[0], r[1], r[2], bool(r[3]), r[4], r[5]) for r in found] == [
        ("locked", 0, 2, True, None, None),
        ("stuck", 0, 0, False, None, None),
    ]
    for table in ("pending_tries", "order_guesses"):
        assert asyncio.run(_payments_sql(blank_db_url, f"SELECT count(*) FROM {table}")) == [(0,)]
    command.downgrade(config, "0011")
    count = asyncio.run(_payments_sql(blank_db_url, "SELECT count(*) FROM payer_auth"))
    assert count == [(2,)]


def test_0015_keeps_orders_and_refuses_to_forget_connected_accounts(blank_db_url: str) -> None:
    """Orders from before pay the operator's account (no card account); a downgrade that would
    forget a payee's connected account, and send bound orders' card money to the operator,
    is refused until there is none."""
    config = alembic_config(blank_db_url)
    command.upgrade(config, "0014")
    asyncio.run(_payments_sql(blank_db_url, _A_PAYEE, _AN_ORDER.format(id="ord_1", state="open")))

    command.upgrade(config, "head")

    kept = asyncio.run(_payments_sql(blank_db_url, "SELECT id, card_account FROM orders"))
    assert kept == [("ord_1", None)]
    account = (
        "INSERT INTO payout_accounts (payee_id, gateway, account_id, state, reason, due,"
        " payouts_enabled, connected_at, updated_at) VALUES ('pay_1', 'stripe', 'acct_1',"
        " 'enabled', '', '', true, '2026-01-01 12:00:00', '2026-01-01 12:00:00')"
    )
    asyncio.run(_payments_sql(blank_db_url, account))
    with pytest.raises(RuntimeError, match="would forget them"):
        command.downgrade(config, "0014")
    asyncio.run(_payments_sql(blank_db_url, "DELETE FROM payout_accounts"))
    command.downgrade(config, "0014")
    assert current_revision(blank_db_url) == "0014"


def test_0016_keeps_orders_without_a_payee_name_or_a_request_fingerprint(
    blank_db_url: str,
) -> None:
    """Orders from before show no payee name and answer a replay of their key as before;
    the downgrade drops both columns and keeps the orders."""
    config = alembic_config(blank_db_url)
    command.upgrade(config, "0015")
    asyncio.run(_payments_sql(blank_db_url, _A_PAYEE, _AN_ORDER.format(id="ord_1", state="open")))

    command.upgrade(config, "head")

    columns = "SELECT id, payee_display_name_sealed, request_hash FROM orders"
    assert asyncio.run(_payments_sql(blank_db_url, columns)) == [("ord_1", None, None)]
    command.downgrade(config, "0015")
    assert current_revision(blank_db_url) == "0015"
    assert asyncio.run(_payments_sql(blank_db_url, "SELECT id FROM orders")) == [("ord_1",)]

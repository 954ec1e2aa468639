"""The sandbox's own tables and database engine: it stands for an external service."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    event,
)
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.types import TypeDecorator

from core.domain.errors import invariant

_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive, in UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        invariant(value.tzinfo is not None, "sandbox datetimes are timezone-aware")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# SQLite only auto-increments an INTEGER PRIMARY KEY.
_SERIAL = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData()

checkouts = Table(
    "sandbox_checkouts",
    metadata,
    Column("ref", String(64), primary_key=True),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("description", Text, nullable=False),
    Column("capture_manual", Boolean, nullable=False),
    Column("sub_order_id", String(128), nullable=False),
    Column("order_id", String(128), nullable=False),
    # open | succeeded | authorised | failed | cancelled (core.ports.store.CheckoutStatus)
    Column("status", String(16), nullable=False),
    Column("payment_ref", String(64), unique=True),
    # None until paid; then authorised | captured | voided | refunded
    Column("payment_state", String(16)),
    Column("refunded_minor", BigInteger, nullable=False, default=0),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint("amount_minor > 0", name="sandbox_checkouts_amount_positive"),
    CheckConstraint(
        "refunded_minor >= 0 AND refunded_minor <= amount_minor",
        name="sandbox_checkouts_refund_within_amount",
    ),
)

idempotency_keys = Table(
    "sandbox_idempotency_keys",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("operation", String(32), nullable=False),
    Column("fingerprint", String(64), nullable=False),  # sha256 of operation + parameters
    Column("result", String(64), nullable=False),  # the ref the first call produced
    Column("created_at", UTCDateTime, nullable=False),
)

# Captures, voids and refunds: each is a new entry, never an edit of an old one.
actions = Table(
    "sandbox_actions",
    metadata,
    Column("id", _SERIAL, primary_key=True, autoincrement=True),
    Column("ref", String(64), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),  # capture | void | refund
    Column("payment_ref", String(64), nullable=False, index=True),
    Column("amount_minor", BigInteger, nullable=False),
    Column("idempotency_key", String(255), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

outbox = Table(
    "sandbox_outbox",
    metadata,
    Column("id", _SERIAL, primary_key=True, autoincrement=True),
    Column("event_id", String(64), nullable=False, unique=True),
    Column("event_type", String(64), nullable=False),
    Column("checkout_ref", String(64), nullable=False, index=True),
    Column("payload", Text, nullable=False),  # the exact JSON bytes that are signed and sent
    Column("created_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime),
    Column("last_error", String(200)),
    Index("ix_sandbox_outbox_pending", "delivered_at", "id"),
)


def check_db_url(db_url: str) -> URL:
    """The parsed URL, if it is sqlite+aiosqlite or postgresql+asyncpg; else ValueError."""
    try:
        url = make_url(db_url)
    except ArgumentError as exc:
        raise ValueError("sandbox db_url is not a database URL") from exc
    if url.drivername not in _DRIVERS:
        raise ValueError(f"sandbox db_url must use one of {', '.join(_DRIVERS)}")
    return url


def make_engine(db_url: str) -> AsyncEngine:
    """An engine on the sandbox database; SQLite gets WAL, FULL sync and IMMEDIATE transactions."""
    url = check_db_url(db_url)
    sqlite = url.drivername.startswith("sqlite")
    # SQLite admits one writer, and every transaction here writes (BEGIN IMMEDIATE): one
    # pooled connection makes them wait their turn on the event loop, not in SQLite's busy
    # handler, where a crowd of them starves one past its 5 s (as storage.db does).
    pool: dict[str, Any] = {"pool_size": 1, "max_overflow": 0} if sqlite else {}
    engine = create_async_engine(url, hide_parameters=True, pool_pre_ping=True, **pool)
    if sqlite:
        event.listen(engine.sync_engine, "connect", _sqlite_connect)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy emit BEGIN itself (see _sqlite_begin); the driver's own is deferred.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "busy_timeout=5000"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    # IMMEDIATE takes the write lock up front, so read-then-write never fails with SQLITE_BUSY.
    conn.exec_driver_sql("BEGIN IMMEDIATE")

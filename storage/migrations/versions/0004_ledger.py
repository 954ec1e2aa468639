"""The transparency ledger: entries, the size counter, signed tree heads, and Chipin's keys.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 00:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ledger_entries",
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.Column("order_id", sa.String(64), nullable=True),
        sa.Column("payee_id", sa.String(64), nullable=True),
        sa.Column("sub_order_id", sa.String(64), nullable=True),
        sa.Column("payment_id", sa.String(64), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(16), nullable=False),
        sa.Column("payer_commitment", sa.String(64), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("leaf_hash", sa.String(64), nullable=False),
        sa.Column("payer_index", sa.String(64), nullable=True),
        sa.Column("payer_sealed", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("idx", name=op.f("pk_ledger_entries")),
    )
    op.create_index(
        op.f("ix_ledger_entries_payee_id_at"), "ledger_entries", ["payee_id", "at"]
    )
    op.create_index(
        op.f("ix_ledger_entries_payer_index_at"), "ledger_entries", ["payer_index", "at"]
    )
    op.create_index(op.f("ix_ledger_entries_payment_id"), "ledger_entries", ["payment_id"])
    op.create_index(op.f("ix_ledger_entries_order_id"), "ledger_entries", ["order_id"])
    op.create_table(
        "ledger_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_state")),
    )
    op.execute("INSERT INTO ledger_state (id, size) VALUES (1, 0)")
    op.create_table(
        "ledger_heads",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.String(64), nullable=False),
        sa.Column("timestamp_ms", sa.BigInteger(), nullable=False),
        sa.Column("key_id", sa.String(100), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_heads")),
    )
    op.create_index(op.f("ix_ledger_heads_tree_size"), "ledger_heads", ["tree_size"])
    op.create_table(
        "trust_keys",
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("retired_at", UTC_DATETIME, nullable=True),
        sa.Column("certificate", sa.Text(), nullable=True),
        sa.Column("wrapped_key", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trust_keys")),
    )
    op.create_index(op.f("ix_trust_keys_purpose"), "trust_keys", ["purpose"])


def downgrade() -> None:
    op.drop_index(op.f("ix_trust_keys_purpose"), table_name="trust_keys")
    op.drop_table("trust_keys")
    op.drop_index(op.f("ix_ledger_heads_tree_size"), table_name="ledger_heads")
    op.drop_table("ledger_heads")
    op.drop_table("ledger_state")
    for name in ("order_id", "payment_id", "payer_index_at", "payee_id_at"):
        op.drop_index(op.f(f"ix_ledger_entries_{name}"), table_name="ledger_entries")
    op.drop_table("ledger_entries")

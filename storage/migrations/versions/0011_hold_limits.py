"""Holds: per-source limits and the secret a hold answers to (core.holds).

Nullable columns only, so existing rows keep their meaning: an order without its own limit
uses the default; a hold taken before has no source (it counts against nobody's limit) and
no secret (only a payer Telegram vouches for can read it back, and it lapses within its
hold time). A new table counts each source's new holds per order and window.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 00:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable with no default: a plain ADD COLUMN, even in SQLite's batch mode (no copy).
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("holds_per_source", sa.Integer(), nullable=True))
    with op.batch_alter_table("sub_orders") as batch:
        batch.add_column(sa.Column("source", sa.String(64), nullable=True))
        batch.add_column(sa.Column("hold_secret_hash", sa.String(64), nullable=True))
    op.create_table(
        "hold_takes",
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("takes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_hold_takes_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("order_id", "source", name=op.f("pk_hold_takes")),
    )
    op.create_index(op.f("ix_hold_takes_window_start"), "hold_takes", ["window_start"])


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN (SQLite >= 3.35), not a batch copy of the tables.
    op.drop_index(op.f("ix_hold_takes_window_start"), table_name="hold_takes")
    op.drop_table("hold_takes")
    op.drop_column("sub_orders", "hold_secret_hash")
    op.drop_column("sub_orders", "source")
    op.drop_column("orders", "holds_per_source")

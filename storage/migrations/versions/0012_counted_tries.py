"""Counted tries: every try is pending until it is resolved, order passwords count per source.

A new table of pending tries (a try still there after core.tries.TRY_TTL_S no longer
counts), a window of each order's wrong passwords from every source, and two nullable
columns of payer_auth: the order a per-source counter belongs to, and its last try.

The failure counters start again at zero: until now they mixed wrong tries with tries that
were counted and never resolved (a check that raised), and the two cannot be told apart.
Lock-outs in force and their doubling are kept.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-20 00:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Nullable with no default: plain ADD COLUMNs, even in SQLite's batch mode (no copy).
    with op.batch_alter_table("payer_auth") as batch:
        batch.add_column(sa.Column("order_id", sa.String(64), nullable=True))
        batch.add_column(sa.Column("last_try_at", UTC_DATETIME, nullable=True))
    op.create_index(op.f("ix_payer_auth_order_id"), "payer_auth", ["order_id"])
    op.execute("UPDATE payer_auth SET failures = 0")
    op.create_table(
        "pending_tries",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("taken_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_tries")),
    )
    op.create_index(op.f("ix_pending_tries_subject"), "pending_tries", ["subject"])
    op.create_table(
        "order_guesses",
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("started_at", UTC_DATETIME, nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("attacked_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_guesses_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_order_guesses")),
    )


def downgrade() -> None:
    # The per-source counters stay as rows nobody reads; the per-order ones start afresh.
    op.drop_table("order_guesses")
    op.drop_table("pending_tries")
    op.drop_index(op.f("ix_payer_auth_order_id"), "payer_auth")
    op.drop_column("payer_auth", "last_try_at")
    op.drop_column("payer_auth", "order_id")

"""Loose checkouts, early voids, and which progress messages show their final state.

`loose_checkouts` holds the checkouts no reservation holds any more (a declined card, an
order closed) until the gateway confirmed them closed and they were read back;
`early_voids` the voids reported before the authorisation they void. Both start empty:
checkouts loosened before this revision were closed as before, once.

`order_posts.final_shown`: the post's progress message shows its closed order's final
state, so start-up need not edit it. Posts of orders closed before this revision are
taken as shown (they were refreshed as before).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 00:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "loose_checkouts",
        sa.Column("gateway", sa.String(32), nullable=False),
        sa.Column("checkout_ref", sa.Text(), nullable=False),
        sa.Column("sub_order_id", sa.String(64), nullable=False),
        sa.Column("cancel_key", sa.Text(), nullable=False),
        sa.Column("since", UTC_DATETIME, nullable=False),
        sa.Column("checked_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("gateway", "checkout_ref", name=op.f("pk_loose_checkouts")),
    )
    op.create_index(op.f("ix_loose_checkouts_checked_at"), "loose_checkouts", ["checked_at"])
    op.create_table(
        "early_voids",
        sa.Column("gateway", sa.String(32), nullable=False),
        sa.Column("payment_ref", sa.Text(), nullable=False),
        sa.Column("received_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("gateway", "payment_ref", name=op.f("pk_early_voids")),
    )


    op.add_column(
        "order_posts",
        sa.Column("final_shown", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.execute(
        "UPDATE order_posts SET final_shown = true"
        " WHERE order_id IN (SELECT id FROM orders WHERE state <> 'open')"
    )


def downgrade() -> None:
    with op.batch_alter_table("order_posts") as batch:
        batch.drop_column("final_shown")
    op.drop_table("early_voids")
    op.drop_index(op.f("ix_loose_checkouts_checked_at"), table_name="loose_checkouts")
    op.drop_table("loose_checkouts")

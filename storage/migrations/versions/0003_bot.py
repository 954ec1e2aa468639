"""What the bot needs: payers' display names, named payers, and where orders are posted.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 00:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("sub_orders") as batch:
        batch.add_column(sa.Column("payer_name", sa.String(200), nullable=True))
        batch.add_column(sa.Column("assignee", sa.String(64), nullable=True))
    op.create_table(
        "order_posts",
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("qr_message_id", sa.BigInteger(), nullable=True),
        sa.Column("progress_message_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("reminded_at", UTC_DATETIME, nullable=True),
        sa.Column("lang", sa.String(16), nullable=True),
        sa.Column("payee_name", sa.String(200), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_posts_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("order_id", "chat_id", name=op.f("pk_order_posts")),
    )
    op.create_index(op.f("ix_order_posts_chat_id"), "order_posts", ["chat_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_order_posts_chat_id"), table_name="order_posts")
    op.drop_table("order_posts")
    with op.batch_alter_table("sub_orders") as batch:
        batch.drop_column("assignee")
        batch.drop_column("payer_name")

"""The outbox: domain events written with the money change they tell of, the letters the bot
makes of them, and the last state each progress message shows (core.domain.outbox).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 00:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)
SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
LETTER_STATES = "state IN ('pending', 'sending', 'sent', 'held', 'failed', 'expired')"
WAITING = sa.text("state IN ('pending', 'sending')")
NOT_DONE = sa.text("done_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("order_posts") as batch:
        batch.add_column(sa.Column("shown_key", sa.String(64), nullable=True))
    op.create_table(
        "outbox_events",
        sa.Column("id", SERIAL, autoincrement=True, nullable=False),
        sa.Column("order_id", sa.String(64), nullable=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("body_sealed", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("done_at", UTC_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_events")),
    )
    op.create_index(
        "ix_outbox_events_waiting",
        "outbox_events",
        ["id"],
        sqlite_where=NOT_DONE,
        postgresql_where=NOT_DONE,
    )
    op.create_table(
        "outbox_letters",
        sa.Column("id", SERIAL, autoincrement=True, nullable=False),
        sa.Column("chat_key", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("body_sealed", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("next_at", UTC_DATETIME, nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("done_at", UTC_DATETIME, nullable=True),
        sa.Column("error", sa.String(200), nullable=True),
        sa.CheckConstraint(LETTER_STATES, name=op.f("ck_outbox_letters_state")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_letters")),
    )
    op.create_index(
        "ix_outbox_letters_waiting",
        "outbox_letters",
        ["id"],
        sqlite_where=WAITING,
        postgresql_where=WAITING,
    )
    op.create_index(
        op.f("ix_outbox_letters_chat_key_state"), "outbox_letters", ["chat_key", "state"]
    )


def downgrade() -> None:
    op.drop_table("outbox_letters")
    op.drop_table("outbox_events")
    with op.batch_alter_table("order_posts") as batch:
        batch.drop_column("shown_key")

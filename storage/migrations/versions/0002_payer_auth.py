"""Payers' payment passwords: hash, failed-try counter and lock-out.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 00:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "payer_auth",
        sa.Column("payer_ref", sa.String(64), nullable=False),
        sa.Column("pin_hash", sa.Text(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("lockouts", sa.Integer(), nullable=False),
        sa.Column("locked_until", UTC_DATETIME, nullable=True),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("payer_ref", name=op.f("pk_payer_auth")),
    )


def downgrade() -> None:
    op.drop_table("payer_auth")

"""Passkeys: WebAuthn credentials, their one-time page links and live challenges.

Three new tables; nothing existing changes.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 00:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "passkeys",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("payer_ref", sa.String(64), nullable=False),
        sa.Column("payer_sealed", sa.Text(), nullable=False),
        sa.Column("credential_id", sa.String(1400), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sign_count", sa.BigInteger(), nullable=False),
        sa.Column("device_name_sealed", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("last_used_at", UTC_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_passkeys")),
        sa.UniqueConstraint("credential_id", name=op.f("uq_passkeys_credential_id")),
    )
    op.create_index(op.f("ix_passkeys_payer_ref"), "passkeys", ["payer_ref"])
    op.create_table(
        "passkey_links",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("payer_ref", sa.String(64), nullable=False),
        sa.Column("payer_sealed", sa.Text(), nullable=False),
        sa.Column("purpose", sa.String(8), nullable=False),
        sa.Column("order_id", sa.String(64), nullable=True),
        sa.Column("order_token", sa.String(128), nullable=True),
        sa.Column("sub_order_id", sa.String(64), nullable=True),
        sa.Column("expires_at", UTC_DATETIME, nullable=False),
        sa.Column("spent_at", UTC_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_passkey_links")),
    )
    op.create_index(op.f("ix_passkey_links_expires_at"), "passkey_links", ["expires_at"])
    op.create_table(
        "passkey_challenges",
        sa.Column("value", sa.String(128), nullable=False),
        sa.Column("link_hash", sa.String(64), nullable=False),
        sa.Column("payer_ref", sa.String(64), nullable=False),
        sa.Column("payer_sealed", sa.Text(), nullable=False),
        sa.Column("sub_order_id", sa.String(64), nullable=True),
        sa.Column("expires_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("value", name=op.f("pk_passkey_challenges")),
    )
    op.create_index(
        op.f("ix_passkey_challenges_expires_at"), "passkey_challenges", ["expires_at"]
    )


def downgrade() -> None:
    op.drop_table("passkey_challenges")
    op.drop_table("passkey_links")
    op.drop_table("passkeys")

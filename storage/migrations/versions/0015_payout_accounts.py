"""Card money straight to the payee: payees' payout accounts (Stripe Connect), the account each
order's card parts pay into, and each payment's destination and platform fee
(core.domain.payouts).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 00:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)
STATES = "state IN ('pending', 'enabled', 'restricted', 'disconnected')"


def upgrade() -> None:
    op.create_table(
        "payout_accounts",
        sa.Column("payee_id", sa.String(64), nullable=False),
        sa.Column("gateway", sa.String(32), nullable=False),
        sa.Column("account_id", sa.String(255), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("due", sa.Text(), nullable=False),
        sa.Column("deadline", UTC_DATETIME, nullable=True),
        sa.Column("payouts_enabled", sa.Boolean(), nullable=False),
        sa.Column("connected_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.CheckConstraint(STATES, name=op.f("ck_payout_accounts_state")),
        sa.ForeignKeyConstraint(
            ["payee_id"], ["payees.id"], name=op.f("fk_payout_accounts_payee_id_payees")
        ),
        sa.PrimaryKeyConstraint("payee_id", "gateway", name=op.f("pk_payout_accounts")),
        sa.UniqueConstraint(
            "gateway", "account_id", name=op.f("uq_payout_accounts_gateway_account_id")
        ),
    )
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("card_account", sa.String(255), nullable=True))
        batch.create_index(batch.f("ix_orders_card_account"), ["card_account"])
    with op.batch_alter_table("payments") as batch:
        batch.add_column(sa.Column("payout_account", sa.String(255), nullable=True))
        batch.add_column(
            sa.Column("fee_minor", sa.BigInteger(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("ledger_entries") as batch:
        batch.add_column(sa.Column("account", sa.String(16), nullable=True))
        batch.add_column(sa.Column("fee_minor", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    bind = op.get_bind()
    for query, why in (
        (
            "SELECT 1 FROM payments WHERE payout_account IS NOT NULL LIMIT 1",
            "card payments went into payees' accounts: 0014 cannot record them",
        ),
        (
            "SELECT 1 FROM payout_accounts LIMIT 1",
            "payees connected payout accounts: 0014 would forget them (and their orders' "
            "card money would go to the operator)",
        ),
    ):
        if bind.execute(sa.text(query)).first() is not None:
            raise RuntimeError(why)
    with op.batch_alter_table("ledger_entries") as batch:
        batch.drop_column("fee_minor")
        batch.drop_column("account")
    with op.batch_alter_table("payments") as batch:
        batch.drop_column("fee_minor")
        batch.drop_column("payout_account")
    with op.batch_alter_table("orders") as batch:
        batch.drop_index(batch.f("ix_orders_card_account"))
        batch.drop_column("card_account")
    op.drop_table("payout_accounts")

"""Money straight to the payee: their own receiving methods, the transfer references issued
to payers, imported bank-statement lines, a part's `claimed` state, and how each payment was
settled (core.domain.methods).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 00:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)
OLD_STATES = ("available", "reserved", "paid", "refunded", "closed")
NEW_STATES = ("available", "reserved", "claimed", "paid", "refunded", "closed")
OLD_HELD = "('reserved', 'paid')"
NEW_HELD = "('reserved', 'claimed', 'paid')"


def _states(values: tuple[str, ...]) -> str:
    return "state IN ({})".format(", ".join(f"'{v}'" for v in values))


def _sub_order_states(states: tuple[str, ...], held: str) -> None:
    op.drop_index("uq_sub_orders_payer_held", table_name="sub_orders")
    with op.batch_alter_table("sub_orders", recreate="auto") as batch:
        batch.drop_constraint(op.f("ck_sub_orders_state"), type_="check")
        batch.create_check_constraint(op.f("ck_sub_orders_state"), _states(states))
        batch.drop_constraint(op.f("ck_sub_orders_held_has_payer"), type_="check")
        batch.create_check_constraint(
            op.f("ck_sub_orders_held_has_payer"),
            f"state NOT IN {held} OR payer_ref IS NOT NULL",
        )
    where = sa.text(f"state IN {held}")
    op.create_index(
        "uq_sub_orders_payer_held",
        "sub_orders",
        ["order_id", "payer_ref"],
        unique=True,
        sqlite_where=where,
        postgresql_where=where,
    )


def upgrade() -> None:
    _sub_order_states(NEW_STATES, NEW_HELD)
    with op.batch_alter_table("payments") as batch:
        batch.add_column(
            sa.Column("settled_by", sa.String(16), nullable=False, server_default="gateway")
        )
    with op.batch_alter_table("ledger_entries") as batch:
        batch.add_column(sa.Column("method", sa.String(32), nullable=True))
        batch.add_column(sa.Column("settled", sa.String(16), nullable=True))
    op.create_table(
        "payee_methods",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("payee_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("details_sealed", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["payee_id"], ["payees.id"], name=op.f("fk_payee_methods_payee_id_payees")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payee_methods")),
        sa.UniqueConstraint("payee_id", "kind", name=op.f("uq_payee_methods_payee_id_kind")),
    )
    op.create_table(
        "transfer_refs",
        sa.Column("reference", sa.String(32), nullable=False),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("sub_order_id", sa.String(64), nullable=False),
        sa.Column("payee_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("payer_ref", sa.String(64), nullable=False),
        sa.Column("payer_sealed", sa.Text(), nullable=False),
        sa.Column("payer_name_sealed", sa.Text(), nullable=True),
        sa.Column("issued_at", UTC_DATETIME, nullable=False),
        sa.Column("claimed_at", UTC_DATETIME, nullable=True),
        sa.Column("utr_sealed", sa.Text(), nullable=True),
        sa.Column("payment_id", sa.String(64), nullable=True),
        sa.Column("denied_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_transfer_refs_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("reference", name=op.f("pk_transfer_refs")),
    )
    op.create_index(op.f("ix_transfer_refs_order_id"), "transfer_refs", ["order_id"])
    op.create_index(
        op.f("ix_transfer_refs_payee_id_issued_at"), "transfer_refs", ["payee_id", "issued_at"]
    )
    op.create_table(
        "statement_lines",
        sa.Column("line_hash", sa.String(64), nullable=False),
        sa.Column("payee_id", sa.String(64), nullable=False),
        sa.Column("imported_at", UTC_DATETIME, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(16), nullable=False),
        sa.Column("reference", sa.String(32), nullable=True),
        sa.Column("payment_id", sa.String(64), nullable=True),
        sa.Column("details_sealed", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("line_hash", name=op.f("pk_statement_lines")),
    )
    op.create_index(
        op.f("ix_statement_lines_payee_id_imported_at"),
        "statement_lines",
        ["payee_id", "imported_at"],
    )


def downgrade() -> None:
    found = op.get_bind().execute(
        sa.text("SELECT 1 FROM sub_orders WHERE state = 'claimed' LIMIT 1")
    )
    if found.first() is not None:
        raise RuntimeError("parts are claimed by bank transfer: revision 0013 cannot hold them")
    op.drop_table("statement_lines")
    op.drop_table("transfer_refs")
    op.drop_table("payee_methods")
    with op.batch_alter_table("ledger_entries") as batch:
        batch.drop_column("settled")
        batch.drop_column("method")
    with op.batch_alter_table("payments") as batch:
        batch.drop_column("settled_by")
    _sub_order_states(OLD_STATES, OLD_HELD)

"""Initial schema: payees, API keys, orders, sub-orders, gateway events, payments.

Revision ID: 0001
Revises:
Create Date: 2025-01-01 00:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out here, not imported: a migration is history and must not change when the code does.
UTC_DATETIME = sa.DateTime(timezone=True)
HELD = sa.text("state IN ('reserved', 'paid')")


def upgrade() -> None:
    op.create_table(
        "payees",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payees")),
        sa.UniqueConstraint("name", name=op.f("uq_payees_name")),
    )
    op.create_table(
        "api_keys",
        sa.Column("key_hash", sa.String(200), nullable=False),
        sa.Column("payee_id", sa.String(64), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("key_hash", name=op.f("pk_api_keys")),
        sa.ForeignKeyConstraint(
            ["payee_id"], ["payees.id"], name=op.f("fk_api_keys_payee_id_payees")
        ),
    )
    op.create_index(op.f("ix_api_keys_payee_id"), "api_keys", ["payee_id"])
    op.create_table(
        "orders",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("token", sa.String(128), nullable=False),
        sa.Column("payee_id", sa.String(64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("hold_s", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("expires_at", UTC_DATETIME, nullable=False),
        sa.Column("closed_at", UTC_DATETIME, nullable=True),
        sa.Column("paid_count", sa.Integer(), nullable=False),
        sa.Column("paid_minor", sa.BigInteger(), nullable=False),
        sa.Column("refunded_minor", sa.BigInteger(), nullable=False),
        sa.Column("idempotency_key", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("token", name=op.f("uq_orders_token")),
        sa.UniqueConstraint(
            "payee_id", "idempotency_key", name=op.f("uq_orders_payee_id_idempotency_key")
        ),
        sa.ForeignKeyConstraint(
            ["payee_id"], ["payees.id"], name=op.f("fk_orders_payee_id_payees")
        ),
        sa.CheckConstraint(
            "paid_count >= 0 AND paid_count <= n", name=op.f("ck_orders_paid_count_within_n")
        ),
        sa.CheckConstraint(
            "state IN ('open', 'completed', 'expired', 'cancelled')", name=op.f("ck_orders_state")
        ),
    )
    op.create_index(op.f("ix_orders_state_expires_at"), "orders", ["state", "expires_at"])
    op.create_index(op.f("ix_orders_payee_id_created_at"), "orders", ["payee_id", "created_at"])
    op.create_table(
        "sub_orders",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("payer_ref", sa.String(200), nullable=True),
        sa.Column("hold_until", UTC_DATETIME, nullable=True),
        sa.Column("hold_seq", sa.Integer(), nullable=False),
        sa.Column("gateway", sa.String(32), nullable=True),
        sa.Column("checkout_ref", sa.Text(), nullable=True),
        sa.Column("checkout_url", sa.Text(), nullable=True),
        sa.Column("paid_at", UTC_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sub_orders")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_sub_orders_order_id_orders")
        ),
        sa.CheckConstraint(
            "state IN ('available', 'reserved', 'paid', 'refunded', 'closed')",
            name=op.f("ck_sub_orders_state"),
        ),
        sa.CheckConstraint(
            "state <> 'available' OR (payer_ref IS NULL AND hold_until IS NULL)",
            name=op.f("ck_sub_orders_available_is_unheld"),
        ),
        sa.CheckConstraint(
            "state NOT IN ('reserved', 'paid') OR payer_ref IS NOT NULL",
            name=op.f("ck_sub_orders_held_has_payer"),
        ),
    )
    op.create_index(
        op.f("ix_sub_orders_order_id_idx"), "sub_orders", ["order_id", "idx"], unique=True
    )
    op.create_index(
        op.f("ix_sub_orders_gateway_checkout_ref"), "sub_orders", ["gateway", "checkout_ref"]
    )
    op.create_index(op.f("ix_sub_orders_state_hold_until"), "sub_orders", ["state", "hold_until"])
    op.create_index(
        op.f("uq_sub_orders_payer_held"),
        "sub_orders",
        ["order_id", "payer_ref"],
        unique=True,
        sqlite_where=HELD,
        postgresql_where=HELD,
    )
    op.create_table(
        "gateway_events",
        sa.Column("gateway", sa.String(32), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("received_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("gateway", "event_id", name=op.f("pk_gateway_events")),
    )
    op.create_table(
        "payments",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("gateway", sa.String(32), nullable=False),
        sa.Column("payment_ref", sa.Text(), nullable=False),
        sa.Column("checkout_ref", sa.Text(), nullable=False),
        sa.Column("order_id", sa.String(64), nullable=True),
        sa.Column("sub_order_id", sa.String(64), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("counted", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("gateway", "payment_ref", name=op.f("uq_payments_gateway_payment_ref")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_payments_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["sub_order_id"], ["sub_orders.id"], name=op.f("fk_payments_sub_order_id_sub_orders")
        ),
        sa.CheckConstraint(
            "status IN ('authorised', 'capture_pending', 'captured', 'refund_pending', "
            "'refunded', 'void_pending', 'voided')",
            name=op.f("ck_payments_status"),
        ),
    )
    op.create_index(op.f("ix_payments_status"), "payments", ["status"])
    op.create_index(op.f("ix_payments_order_id"), "payments", ["order_id"])


def downgrade() -> None:
    op.drop_table("payments")
    op.drop_table("gateway_events")
    op.drop_table("sub_orders")
    op.drop_table("orders")
    op.drop_table("api_keys")
    op.drop_table("payees")

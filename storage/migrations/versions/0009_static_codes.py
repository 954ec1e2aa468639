"""Static codes: printed unbound, bound later to a payee's pseudonymous collection ID.

New tables only (collections, static_codes, code_orders, code_posts); no existing row or
column changes, so downgrading drops them and loses only static codes.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 00:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "collections",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("payee_id", sa.String(64), nullable=False),
        sa.Column("display_name_sealed", sa.Text(), nullable=False),
        sa.Column("modes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["payee_id"], ["payees.id"], name=op.f("fk_collections_payee_id_payees")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collections")),
        sa.UniqueConstraint("payee_id", name=op.f("uq_collections_payee_id")),
    )
    op.create_table(
        "static_codes",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("token", sa.String(128), nullable=False),
        sa.Column("short", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("collection_id", sa.String(64), nullable=True),
        sa.Column("binding_id", sa.String(64), nullable=True),
        sa.Column("kind", sa.String(16), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("min_minor", sa.BigInteger(), nullable=True),
        sa.Column("max_minor", sa.BigInteger(), nullable=True),
        sa.Column("goal_minor", sa.BigInteger(), nullable=True),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("bound_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("goal_reached_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('unbound', 'active', 'disabled')", name=op.f("ck_static_codes_state")
        ),
        sa.CheckConstraint(
            "(state = 'unbound') = (binding_id IS NULL AND collection_id IS NULL)",
            name=op.f("ck_static_codes_bound_has_binding"),
        ),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collections.id"],
            name=op.f("fk_static_codes_collection_id_collections"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_static_codes")),
        sa.UniqueConstraint("token", name=op.f("uq_static_codes_token")),
        sa.UniqueConstraint("short", name=op.f("uq_static_codes_short")),
        sa.UniqueConstraint("binding_id", name=op.f("uq_static_codes_binding_id")),
    )
    op.create_index(
        op.f("ix_static_codes_collection_id"), "static_codes", ["collection_id"], unique=False
    )
    op.create_table(
        "code_orders",
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("code_id", sa.String(64), nullable=False),
        sa.Column("binding_id", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_code_orders_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["code_id"], ["static_codes.id"], name=op.f("fk_code_orders_code_id_static_codes")
        ),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_code_orders")),
    )
    op.create_index(
        op.f("ix_code_orders_binding_id"), "code_orders", ["binding_id"], unique=False
    )
    op.create_table(
        "code_posts",
        sa.Column("binding_id", sa.String(64), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("lang", sa.String(16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("binding_id", "chat_id", name=op.f("pk_code_posts")),
    )


def downgrade() -> None:
    op.drop_table("code_posts")
    op.drop_index(op.f("ix_code_orders_binding_id"), table_name="code_orders")
    op.drop_table("code_orders")
    op.drop_index(op.f("ix_static_codes_collection_id"), table_name="static_codes")
    op.drop_table("static_codes")
    op.drop_table("collections")

"""Payments may wait for a refund the payee makes by hand: payment status 'refund_owed'.

Telegram Payments in a provider's currency have no refund API: such a refund is owed by
the payee, who marks it refunded once the money went back. Only the CHECK constraint on
payments.status changes. SQLite cannot alter a constraint, so the table is copied (batch
mode); no table refers to payments, so the copy drops nothing it should keep.

Downgrading is refused while a payment is in 'refund_owed': revision 0005 cannot hold it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 00:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ck_payments_status"
OLD = (
    "authorised",
    "capture_pending",
    "captured",
    "refund_pending",
    "refunded",
    "void_pending",
    "voided",
)
NEW = (
    "authorised",
    "capture_pending",
    "captured",
    "refund_pending",
    "refund_owed",
    "refunded",
    "void_pending",
    "voided",
)


def _check(values: tuple[str, ...]) -> str:
    return "status IN ({})".format(", ".join(f"'{v}'" for v in values))


def _replace(values: tuple[str, ...]) -> None:
    with op.batch_alter_table("payments", recreate="auto") as batch:
        batch.drop_constraint(op.f(NAME), type_="check")
        batch.create_check_constraint(op.f(NAME), _check(values))


def upgrade() -> None:
    _replace(NEW)


def downgrade() -> None:
    found = op.get_bind().execute(
        sa.text("SELECT 1 FROM payments WHERE status = 'refund_owed' LIMIT 1")
    )
    if found.first() is not None:
        raise RuntimeError("payments wait for a refund by hand: revision 0005 cannot hold them")
    _replace(OLD)

"""Orders: the name payers see for the payee (sealed), and the fingerprint of the request an
idempotency key was first given with (core.domain.params.OrderRequest.fingerprint).

Nullable columns only, so existing rows keep their meaning: an order made before shows no
payee name, and a replay of its key is taken as the same request, as it always was.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08 00:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable with no default: a plain ADD COLUMN, even in SQLite's batch mode (no copy).
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("payee_display_name_sealed", sa.Text(), nullable=True))
        batch.add_column(sa.Column("request_hash", sa.String(64), nullable=True))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN (SQLite >= 3.35), not a batch copy of the table.
    op.drop_column("orders", "request_hash")
    op.drop_column("orders", "payee_display_name_sealed")

"""Static codes: the collector's name payers see is chosen at each binding, so it is kept
with the binding (sealed), not only once per collection.

One nullable column; codes bound before keep showing their collection's name.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 00:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable with no default: a plain ADD COLUMN, even in SQLite's batch mode (no copy).
    with op.batch_alter_table("static_codes") as batch:
        batch.add_column(sa.Column("display_name_sealed", sa.Text(), nullable=True))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN (SQLite >= 3.35), not a batch copy of the table; the codes
    # then show their collection's name again.
    op.drop_column("static_codes", "display_name_sealed")

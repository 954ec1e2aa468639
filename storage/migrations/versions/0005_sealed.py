"""Personal data sealed at rest: sealed copies beside blind indexes, sealed display names.

Only columns are added here: the migration has no keys (they live in trust_keys, wrapped
under CHIPIN_SECRET_KEY). Rows written before this revision keep their clear values until
storage.sealing.seal_plain_rows, run at start-up right after the migration, rewrites them:
payer_ref, assignee, payer_auth.payer_ref and payees.name become blind indexes, and the
clear payer_name and payee_name move into their sealed columns and are set to NULL.

Adding columns, rather than changing payer_name and payee_name to TEXT, keeps SQLite from
copying sub_orders into a new table: with foreign keys on, dropping the old sub_orders
inside the migration's transaction fails while payments refer to it.

Downgrading is refused once any value is sealed: the older code would read blind indexes
as payer ids and lose the sealed names.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 00:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, new column) pairs, each a TEXT column holding a Fernet token.
SEALED = (
    ("payees", "name_sealed"),
    ("sub_orders", "payer_sealed"),
    ("sub_orders", "payer_name_sealed"),
    ("sub_orders", "assignee_sealed"),
    ("payer_auth", "payer_sealed"),
    ("order_posts", "payee_name_sealed"),
)


def upgrade() -> None:
    # Nullable with no default: a plain ADD COLUMN, even in SQLite's batch mode (no copy).
    for table in dict.fromkeys(t for t, _ in SEALED):
        with op.batch_alter_table(table) as batch:
            for column in (c for t, c in SEALED if t == table):
                batch.add_column(sa.Column(column, sa.Text(), nullable=True))


def downgrade() -> None:
    conn = op.get_bind()
    for table, column in SEALED:
        found = conn.execute(sa.text(f"SELECT 1 FROM {table} WHERE {column} IS NOT NULL LIMIT 1"))
        if found.first() is not None:
            raise RuntimeError(
                f"{table}.{column} holds sealed personal data: revision 0004 cannot read it"
            )
    # ALTER TABLE ... DROP COLUMN (SQLite >= 3.35), not a batch copy of the table (see above).
    for table, column in reversed(SEALED):
        op.drop_column(table, column)

"""portfolios slug

Revision ID: f1b649a596b4
Revises: 55aabf2caaee
Create Date: 2025-07-01 11:05:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import re


# revision identifiers, used by Alembic.
revision: str = 'f1b649a596b4'
down_revision: Union[str, Sequence[str], None] = '55aabf2caaee'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def upgrade() -> None:
    op.add_column("portfolios", sa.Column("slug", sa.String(80), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, name FROM portfolios")).fetchall()
    for id_, name in rows:
        conn.execute(
            sa.text("UPDATE portfolios SET slug = :slug WHERE id = :id"),
            {"slug": slugify(name), "id": id_},
        )
    op.alter_column("portfolios", "slug", nullable=False)


def downgrade() -> None:
    op.drop_column("portfolios", "slug")

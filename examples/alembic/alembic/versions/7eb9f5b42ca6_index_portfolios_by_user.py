"""index portfolios by user

Revision ID: 7eb9f5b42ca6
Revises: f1b649a596b4
Create Date: 2025-07-15 08:30:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '7eb9f5b42ca6'
down_revision: Union[str, Sequence[str], None] = 'f1b649a596b4'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    with op.get_context().autocommit_block():
        op.create_index("ix_portfolios_user_id", "portfolios", ["user_id"], postgresql_concurrently=True)


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index("ix_portfolios_user_id", table_name="portfolios", postgresql_concurrently=True)

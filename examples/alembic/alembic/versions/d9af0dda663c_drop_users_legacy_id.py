"""drop users legacy_id

Revision ID: d9af0dda663c
Revises: 7eb9f5b42ca6
Create Date: 2025-08-04 16:45:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'd9af0dda663c'
down_revision: Union[str, Sequence[str], None] = '7eb9f5b42ca6'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.drop_column("users", "legacy_id")


def downgrade() -> None:
    raise NotImplementedError("the legacy ids came from the old CRM export; restore them from a backup")

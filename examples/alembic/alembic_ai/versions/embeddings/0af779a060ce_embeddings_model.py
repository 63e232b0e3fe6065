"""embeddings model

Revision ID: 0af779a060ce
Revises: 4fa07898c89a
Create Date: 2025-08-12 09:40:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0af779a060ce'
down_revision: Union[str, Sequence[str], None] = '4fa07898c89a'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column(
        "embeddings",
        sa.Column("model", sa.String(64), nullable=False, server_default="text-small"),
    )


def downgrade() -> None:
    op.drop_column("embeddings", "model")

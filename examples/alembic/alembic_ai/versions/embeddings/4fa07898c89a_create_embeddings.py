"""create embeddings

Revision ID: 4fa07898c89a
Revises: 44e37ce9e4b2
Create Date: 2025-06-20 13:15:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '4fa07898c89a'
down_revision: Union[str, Sequence[str], None] = '44e37ce9e4b2'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "embeddings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("document_id", sa.Integer(), sa.ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("vector", sa.ARRAY(sa.Float()), nullable=False),
    )
    op.create_index("ix_embeddings_document_id", "embeddings", ["document_id"])


def downgrade() -> None:
    op.drop_index("ix_embeddings_document_id", table_name="embeddings")
    op.drop_table("embeddings")

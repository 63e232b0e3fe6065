"""The tables of the application's two databases, as SQLAlchemy Core sees
them: what `alembic revision --autogenerate` compares each database with."""

import sqlalchemy as sa

core = sa.MetaData()

users = sa.Table(
    "users",
    core,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(200), nullable=False),
    sa.Column("display_name", sa.String(100), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.UniqueConstraint("email", name="uq_users_email"),
)

portfolios = sa.Table(
    "portfolios",
    core,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("slug", sa.String(80), nullable=False),
    sa.Index("ix_portfolios_user_id", "user_id"),
)

ai = sa.MetaData()

documents = sa.Table(
    "documents",
    ai,
    sa.Column("id", sa.Integer, primary_key=True),
    # users live in the core database: no foreign key across databases.
    sa.Column("user_id", sa.Integer, nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
)

embeddings = sa.Table(
    "embeddings",
    ai,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("document_id", sa.Integer, sa.ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
    sa.Column("vector", sa.ARRAY(sa.Float), nullable=False),
    sa.Column("model", sa.String(64), nullable=False, server_default="text-small"),
    sa.Index("ix_embeddings_document_id", "document_id"),
)

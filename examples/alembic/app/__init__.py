"""The application whose databases the Alembic project migrates."""

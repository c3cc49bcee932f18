"""Persistence: the SQLAlchemy 2 declarative models, the async engine and the Alembic migrations."""

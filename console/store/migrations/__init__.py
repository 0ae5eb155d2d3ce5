"""Alembic migrations for the local store and the shared database."""

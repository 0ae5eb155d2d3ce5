"""Persistence: SQLAlchemy tables, repositories, the event log and sync with the shared DB."""

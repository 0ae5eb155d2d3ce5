"""Run the Alembic migrations on a SQLAlchemy engine (SQLite or PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

_SCRIPTS = Path(__file__).resolve().parent / "migrations"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head() or ""


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Upgrade to head; return (revision before, revision after)."""
    before = current_revision(engine)
    move_to(engine, "head")
    return before, head_revision()


def move_to(engine: Engine, revision: str) -> None:
    """Upgrade or downgrade to ``revision`` ("head", or a revision id), in one
    transaction (maintenance and tests: a console only ever upgrades to head)."""
    config = _config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        current = MigrationContext.configure(conn).get_current_revision()
        script = ScriptDirectory.from_config(config)
        if revision != "head" and current is not None and revision in {
                r.revision for r in script.iterate_revisions(current, "base")}:
            command.downgrade(config, revision)
        else:
            command.upgrade(config, revision)

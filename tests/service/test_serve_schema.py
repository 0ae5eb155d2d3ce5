"""The shared database's schema at start: checked without --migrate, and each way it
can be wrong (none, behind, ahead) said with what to do."""

from __future__ import annotations

import pytest
from shared_fixtures import migrate_to

from console.service.schema import SchemaError, check_schema, prepare_schema
from console.store import migrate
from console.store.server import SharedDatabase

pytestmark = pytest.mark.postgres


def test_a_database_at_this_programs_head_passes(pg):
    db = SharedDatabase(pg.url)
    try:
        assert check_schema(db) == migrate.head_revision()
        assert prepare_schema(db, run_migrations=False) == (migrate.head_revision(),) * 2
    finally:
        db.close()


def test_a_database_without_a_schema_is_refused_with_the_way_to_create_it(bare_pg):
    db = SharedDatabase(bare_pg.url)
    try:
        with pytest.raises(SchemaError, match="has no schema yet; run 'escalation-console "
                                              "db upgrade postgresql://"):
            check_schema(db)
        before, after = prepare_schema(db, run_migrations=True)
        assert (before, after) == (None, migrate.head_revision())
        assert check_schema(db) == after
    finally:
        db.close()


def test_a_database_behind_this_program_is_refused_until_it_is_migrated(bare_pg):
    migrate_to(bare_pg.url, "0003")
    db = SharedDatabase(bare_pg.url)
    try:
        with pytest.raises(SchemaError, match=r"at schema revision 0003, behind this "
                                              r"program's \w+; run .*--migrate"):
            check_schema(db)
    finally:
        db.close()


def test_a_database_a_newer_program_migrated_asks_for_an_upgrade_of_this_one(pg):
    pg.query("UPDATE alembic_version SET version_num = '9999_future' RETURNING version_num")
    db = SharedDatabase(pg.url)
    try:
        with pytest.raises(SchemaError, match=r"9999_future, which this program does not "
                                              r"know .* upgrade this one"):
            check_schema(db)
    finally:
        db.close()

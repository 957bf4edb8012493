"""Migrations: an empty database reaches the schema the models describe, and twice is harmless."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from intake.db import Base
from portal.db import Database, is_current, make_engine, migrate


def test_migrations_build_exactly_the_models_schema(tmp_path, pg_engine):
    engine = pg_engine if pg_engine is not None else make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    migrate(engine)
    migrate(engine)
    assert is_current(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_the_database_runs_in_wal_mode_with_secure_delete(tmp_path, pg_engine):
    if pg_engine is not None:
        pytest.skip("SQLite settings")
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_a_reader_does_not_wait_for_a_writer(tmp_path, pg_engine):
    """A page view reads while an intake write holds SQLite's write lock (WAL: readers never block)."""
    if pg_engine is not None:
        pytest.skip("SQLite locking")
    engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    Base.metadata.create_all(engine)
    engine.dispose()
    database = Database(engine)
    with database.transaction() as writer:
        writer.execute(text("INSERT INTO hospitals (code, name, created_at) VALUES ('w', 'W', '2026-01-01')"))
        # A writer here would wait out the busy timeout and fail with "database is locked"; a reader goes on.
        with database.read() as reader:
            assert reader.execute(text("SELECT count(*) FROM hospitals")).scalar() == 0

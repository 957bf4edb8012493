"""The database: engine with safe SQLite settings, sessions, and migrations run on start."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

import intake.handin_models  # the hand-in register's tables, on the metadata
import intake.models
import intake.rating_models
import portal.models
import portal.rating_models  # noqa: F401  (the rating counters and alerts)
from intake.db import Base
from portal import (
    clue_models,  # noqa: F401  (the clue ledger's tables)
    region_models,  # noqa: F401  (transfers and observed chain heads)
)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
READ_ONLY = "portal_read_only"
_ = intake.models


class DatabaseError(Exception):
    """The database cannot be used as configured; the message says what to do."""


def make_engine(url: str, *, sqlite_synchronous: str = "FULL") -> Engine:
    """Create an engine; on SQLite: WAL, foreign keys, secure delete, and real transactions."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseError(
            f"the database URL {url!r} is not valid: use sqlite:///path/to/portal.db or "
            "postgresql+psycopg://user@host/dbname"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": 30})
        _configure_sqlite(engine, synchronous=sqlite_synchronous)
        return engine
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        try:
            return create_engine(parsed, pool_size=10, max_overflow=10, pool_pre_ping=True)
        except NoSuchModuleError:
            raise DatabaseError("PostgreSQL needs psycopg: pip install 'psycopg[binary]'") from None
    raise DatabaseError(f"unsupported database {parsed.get_backend_name()!r}: use SQLite or PostgreSQL")


def _configure_sqlite(engine: Engine, *, synchronous: str) -> None:
    if synchronous not in {"FULL", "NORMAL", "EXTRA"}:
        raise DatabaseError("PORTAL_SQLITE_SYNCHRONOUS must be FULL, NORMAL or EXTRA")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module so that DDL is transactional too
        # (a migration is applied whole or not at all) and writers queue instead of failing.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Writers take the write lock at once (so they queue on busy_timeout instead of failing on upgrade);
        # readers begin deferred and never wait for writers in WAL mode.
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision, or explain why it cannot be done."""
    config = alembic_config(engine)
    try:
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            current = MigrationContext.configure(connection).get_current_heads()
    except OperationalError as exc:
        raise DatabaseError(f"cannot reach the database: {exc.orig}. Check PORTAL_DATABASE_URL.") from None
    if tables - {"alembic_version"} and not current:
        raise DatabaseError(
            "the database has tables but no migration record (a half-applied set-up?): "
            "restore it from a backup, or start from an empty database"
        )
    known = {rev.revision for rev in ScriptDirectory.from_config(config).walk_revisions()}
    unknown = set(current) - known
    if unknown:
        raise DatabaseError(
            f"the database is at revision {', '.join(sorted(unknown))}, which this version does not know: "
            "install the portal version that created it"
        )
    try:
        command.upgrade(config, "heads")
    except OperationalError as exc:
        raise DatabaseError(f"a migration failed and was rolled back: {exc.orig}") from None


def is_current(engine: Engine) -> bool:
    script = ScriptDirectory.from_config(alembic_config(engine))
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    # A revision with `depends_on` absorbs its dependency's row in alembic_version: compare what is applied
    # (the current heads and everything under them), not the rows themselves.
    applied = {r.revision for r in script.iterate_revisions(current, "base") if r is not None}
    return set(script.get_heads()) <= applied


class Database:
    """The engine and a session factory that does not reload rows after commit."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self.readers = sessionmaker(engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session inside one transaction: committed on success, rolled back on any error."""
        with self.sessions() as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading only: on SQLite it does not take the write lock, so pages never queue behind
        intake writes. Writing in it is a mistake that SQLite may refuse."""
        with self.readers() as session, session.begin():
            yield session

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"


def create_all_for_tests(engine: Engine) -> None:
    Base.metadata.create_all(engine)

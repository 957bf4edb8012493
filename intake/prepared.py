"""Reads that every public request makes, compiled once per dialect and run straight on a pooled DBAPI connection.

Running a prebuilt select through SQLAlchemy costs about ten times the query itself on SQLite (a session read of a
poster: 525 µs; this: 51 µs, bench/README.md). Only for the few hot reads of the intake: a statement here may
use explicit `bindparam`s only (no literal values, no LIMIT), and its rows come back as the driver gives them
(an enum as its stored value, a timestamp as the driver's raw value).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Select
from sqlalchemy.engine import Dialect


class PreparedRead:
    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._compiled: dict[str, tuple[str, tuple[str, ...] | None]] = {}

    def _for(self, dialect: Dialect) -> tuple[str, tuple[str, ...] | None]:
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            literal = [name for name, value in compiled.params.items() if value is not None]
            if literal:
                raise ValueError(f"a prepared read takes explicit bind parameters only, not {literal}")
            order = tuple(compiled.positiontup or ()) if compiled.positional else None
            found = self._compiled[dialect.name] = (compiled.string, order)
        return found

    def first(self, engine: Engine, params: dict[str, Any]) -> tuple[Any, ...] | None:
        sql, order = self._for(engine.dialect)
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            try:
                cursor.execute(sql, tuple(params[name] for name in order) if order is not None else params)
                row = cursor.fetchone()
            finally:
                cursor.close()
        finally:
            raw.close()  # back to the pool, which ends the read transaction
        return tuple(row) if row is not None else None

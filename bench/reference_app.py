"""The reference: what the framework and the minimal intake cost on this machine, served like the portal.

- GET /            a bare Starlette page (the ceiling for any page)
- POST /seal       parse a form, seal it with crypto.seal, insert it into SQLite (synchronous=FULL), on the loop
- POST /seal-normal  the same with synchronous=NORMAL (the fsync policy's price)
- POST /seal-pool    the same FULL insert run in the thread pool (the price of fanning SQLite writes over threads)
- POST /seal-group   the same FULL insert through the intake's group commit (intake/group_commit.py): requests that
                     arrive together share a commit, written by one thread per worker

Run with `uvicorn --factory bench.reference_app:app_from_env`; BENCH_REF_DIR names the directory of the databases.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import uuid
from pathlib import Path

from sqlalchemy import Column, LargeBinary, MetaData, String, Table
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from crypto import generate_private_key, seal
from intake.group_commit import GroupCommit
from portal.db import make_engine

PAGE = "<!doctype html><html lang=zh><meta charset=utf-8><title>参考</title><p>参考页面</p></html>"
SCHEMA = "CREATE TABLE IF NOT EXISTS sealed (id TEXT PRIMARY KEY, envelope BLOB NOT NULL, created_hour TEXT)"


def _connect(path: Path, synchronous: str) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(f"PRAGMA synchronous={synchronous}")
    connection.execute("PRAGMA busy_timeout=30000")
    connection.execute(SCHEMA)
    return connection


def build(directory: Path) -> Starlette:
    public = generate_private_key().public_key()
    full = _connect(directory / "reference-full.db", "FULL")
    normal = _connect(directory / "reference-normal.db", "NORMAL")
    pool = _connect(directory / "reference-pool.db", "FULL")
    pool_lock = threading.Lock()  # one sqlite3 connection shared by the pool's threads

    def insert(connection: sqlite3.Connection, envelope: bytes) -> None:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("INSERT INTO sealed VALUES (?, ?, ?)", (uuid.uuid4().hex, envelope, "2025-01-01T00"))
        connection.execute("COMMIT")

    async def sealed(request: Request) -> bytes:
        form = await request.form()
        fields = {key: str(value) for key, value in form.items()}
        payload = json.dumps({"v": 1, "fields": fields}, ensure_ascii=False).encode()
        return seal(public, payload, associated_data=b"reference")

    async def page(request: Request) -> Response:
        return HTMLResponse(PAGE)

    async def seal_full(request: Request) -> Response:
        insert(full, await sealed(request))
        return PlainTextResponse("ok")

    async def seal_normal(request: Request) -> Response:
        insert(normal, await sealed(request))
        return PlainTextResponse("ok")

    def insert_locked(envelope: bytes) -> None:
        with pool_lock:
            insert(pool, envelope)

    async def seal_pool(request: Request) -> Response:
        await run_in_threadpool(insert_locked, await sealed(request))
        return PlainTextResponse("ok")

    engine = make_engine(f"sqlite:///{directory / 'reference-group.db'}")
    with engine.begin() as connection:
        connection.exec_driver_sql(SCHEMA)
    writer = GroupCommit(engine)
    table = Table("sealed", MetaData(), Column("id", String, primary_key=True), Column("envelope", LargeBinary),
                  Column("created_hour", String))

    async def seal_group(request: Request) -> Response:
        row = {"id": uuid.uuid4().hex, "envelope": await sealed(request), "created_hour": "2025-01-01T00"}
        await writer.run(lambda group: group.insert(table, row))
        return PlainTextResponse("ok")

    return Starlette(routes=[
        Route("/seal-group", seal_group, methods=["POST"]),
        Route("/", page, methods=["GET"]),
        Route("/seal", seal_full, methods=["POST"]),
        Route("/seal-normal", seal_normal, methods=["POST"]),
        Route("/seal-pool", seal_pool, methods=["POST"]),
    ])


def app_from_env() -> Starlette:
    return build(Path(os.environ["BENCH_REF_DIR"]))

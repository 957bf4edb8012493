"""Static checks of the known traps in the product source: Argon2 reached from a coroutine without the pool,
and the session factory reloading rows after commit."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("intake", "portal")
# The functions that run Argon2id (crypto's API); anything that calls them, by name, is costly too.
ARGON2 = {"derive_key", "hash_password", "verify_password", "dummy_hash", "wrap_with_password",
          "unwrap_with_password", "derive_receipt_keys", "prepare_receipt", "recovery_private_key"}


@dataclass(frozen=True)
class Finding:
    where: str
    text: str


def _called_names(node: ast.AST) -> set[str]:
    names = set()
    for inner in ast.walk(node):
        if isinstance(inner, ast.Call):
            func = inner.func
            if isinstance(func, ast.Name):
                names.add(func.id)
            elif isinstance(func, ast.Attribute):
                names.add(func.attr)
    return names


def argon2_on_the_loop(root: Path = ROOT) -> list[Finding]:
    """Coroutines that call (directly, by name) a function that reaches Argon2id: each is a blocked loop."""
    functions: dict[str, list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]] = {}
    for package in PRODUCT:
        for path in sorted((root / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    functions.setdefault(node.name, []).append((str(path.relative_to(root)), node))
    costly = set(ARGON2)
    changed = True
    while changed:  # names of sync functions that reach Argon2id, transitively
        changed = False
        for name, defs in functions.items():
            if name in costly:
                continue
            if any(isinstance(d, ast.FunctionDef) and _called_names(d) & costly for _, d in defs):
                costly.add(name)
                changed = True
    findings = []
    for name, defs in functions.items():
        for where, node in defs:
            if isinstance(node, ast.AsyncFunctionDef):
                for hit in sorted(_called_names(node) & costly):
                    findings.append(Finding(f"{where}:{node.lineno}", f"async {name}() calls {hit}() on the loop"))
    return findings


def expire_on_commit_disabled() -> bool:
    from sqlalchemy import create_engine

    from portal.db import Database

    database = Database(create_engine("sqlite://"))
    try:
        return database.sessions.kw.get("expire_on_commit") is False
    finally:
        database.engine.dispose()

"""The dependency arrows point one way: portal -> intake -> crypto; crypto touches no web, database or I/O."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "crypto": {"portal", "intake", "starlette", "sqlalchemy", "jinja2", "alembic", "uvicorn", "httpx",
               "pathlib", "socket", "subprocess", "shutil", "tempfile", "io", "logging", "sqlite3"},
    "intake": {"portal"},
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_each_layer_imports_only_what_lies_below_it():
    wrong = []
    for package, forbidden in FORBIDDEN.items():
        for path in sorted((ROOT / package).rglob("*.py")):
            for name in imported_modules(path) & forbidden:
                wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    assert wrong == []


def test_the_check_catches_a_wrong_arrow(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from portal.app import create_app\nimport sqlalchemy\n", encoding="utf-8")
    assert {"portal", "sqlalchemy"} <= imported_modules(bad)

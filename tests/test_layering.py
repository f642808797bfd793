"""The architecture's rules, checked on the source (STYLE.md): telegram is imported only under
bot/ and never its private modules; storage/ imports nothing from bot/; the pure layers
(bot/domain, bot/content, bot/render/text.py, bot/telegram/limits.py, bot/callback_data.py) import neither
telegram nor the database; storage/model.py is pure too, so the domain may share its types; the
application services (bot/services/) import neither telegram, the handlers, the web framework nor
SQL (they call the storage classes, which own it), not even through another bot module."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PURE = ["bot/domain", "bot/content", "bot/render/text.py", "bot/telegram/limits.py", "bot/callback_data.py",
        "bot/telegram/htmlcheck.py", "bot/plumbing/runtime.py", "storage/model.py"]  # fmt: skip


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


def files(*roots: str) -> list[Path]:
    out: list[Path] = []
    for r in roots:
        p = ROOT / r
        out += [p] if p.is_file() else sorted(p.rglob("*.py"))
    return out


def test_telegram_only_in_bot_and_never_its_private_modules():
    for path in files("bot", "storage"):
        mods = imports(path)
        assert not any(m.startswith("telegram._") for m in mods), f"{path}: private telegram module"
        if path.is_relative_to(ROOT / "storage"):
            assert not any(m.split(".")[0] == "telegram" for m in mods), f"{path} imports telegram"


def test_storage_imports_nothing_from_bot():
    for path in files("storage"):
        assert not any(m.split(".")[0] == "bot" for m in imports(path)), path


def test_pure_layers_import_neither_telegram_nor_the_database():
    for path in files(*PURE):
        for m in imports(path):
            top = m.split(".")[0]
            assert top != "telegram", f"{path} imports {m}"
            assert top not in ("aiosqlite", "sqlite3"), f"{path} imports {m}"
            if top == "storage":
                assert m == "storage.model", f"{path} imports {m} (only storage.model is pure)"


SERVICES_MAY_NOT = ("telegram", "bot.handlers", "aiohttp", "sqlite3", "aiosqlite")


def _names(path: Path) -> set[str]:
    """Every module `path` names in an import, with `from a import b` also giving `a.b` (so
    `from bot import handlers` counts as bot.handlers)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out |= {f"{node.module}.{a.name}" for a in node.names}
    return out


def _forbidden(name: str) -> bool:
    return any(name == f or name.startswith(f + ".") for f in SERVICES_MAY_NOT)


def test_services_import_no_telegram_handlers_web_framework_or_sql():
    services = files("bot/services")
    assert len(services) >= 3, "bot/services/ holds the services"
    for path in services:
        for m in _names(path):
            assert not _forbidden(m), f"{path.relative_to(ROOT)} imports {m}"


def test_services_reach_no_telegram_through_other_bot_modules():
    """What a service imports from bot/ imports no telegram or web framework either (storage/,
    below, owns the SQL and is allowed)."""
    from tests.test_import_graph import import_graph, modules

    graph, known = import_graph(), modules()
    for start in (m for m in graph if m.startswith("bot.services")):
        seen: set[str] = set()
        todo = [start]
        while todo:
            m = todo.pop()
            if m in seen or not m.startswith("bot"):
                continue
            seen.add(m)
            bad = [n for n in _names(known[m]) if _forbidden(n)]
            assert not bad, f"{start} reaches {m}, which imports {bad[0]}"
            todo += graph[m]

"""The architecture's rules, checked on the source (STYLE.md): telegram is imported only under
bot/ and never its private modules; storage/ imports nothing from bot/; the pure layers
(bot/domain, bot/content, bot/render/text.py, bot/limits.py, bot/callback_data.py) import neither
telegram nor the database; storage/model.py is pure too, so the domain may share its types."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PURE = ["bot/domain", "bot/content", "bot/render/text.py", "bot/limits.py", "bot/callback_data.py",
        "bot/htmlcheck.py", "bot/runtime.py", "storage/model.py"]  # fmt: skip


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

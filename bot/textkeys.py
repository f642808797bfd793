"""Text keys the code asks for; the validator checks each exists in texts.en.yaml."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

_KEY = re.compile(
    r"""(?:\.get|t\.get|texts\(context\)\.get)\(\s*["']([a-z0-9_]+\.[a-z0-9_.]+)["']"""
)
_KEY_VAR = re.compile(
    r"""["']((?:nag|area|consent|start|help|stop|meetings|campaigns|privacy|mydata|forget|fallback|safety|common|button|calendar|remind|command|survey|results|broadcast|officer|report|scheduled|reminder)\.[a-z0-9_.]+)["']"""
)


@cache
def used_text_keys() -> frozenset[str]:
    """Every literal text key in bot/ (scanned once; keys built at runtime are listed below)."""
    keys: set[str] = set()
    for path in Path(__file__).parent.rglob("*.py"):
        src = path.read_text(encoding="utf-8")
        keys.update(_KEY.findall(src))
        keys.update(_KEY_VAR.findall(src))
    return frozenset(k for k in keys if not k.endswith((".", ".yaml", ".py", ".csv", ".sql")))

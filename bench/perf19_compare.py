"""The understanding layer's decisions on every text of content/examples and tests/data, each
with a number appended (never seen before), as JSON lines: run it in two trees and compare the
files (`cmp`) to check a speed-up changed no decision.

  (cd <tree> && PYTHONPATH=$PWD python bench/perf19_compare.py /tmp/decisions-<tree>.jsonl)

Each line: the text, the topics (in reply order), the strong topics, the intent, and the words
as the rules read them (without and with the safeguarding lexicon's aliases).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

MAX_TEXT_CHARS = 2000  # longer strings in the data files are not messages


EXAMPLES_AND_DATA = ("content/examples", "tests/data")


def texts_of(root: Path, folders: tuple[str, ...] = EXAMPLES_AND_DATA) -> list[str]:
    """Every string with a letter in it, keys included, in file order (of `folders` in root)."""
    found: list[str] = []

    def walk(x: Any) -> None:
        if isinstance(x, str):
            if any(c.isalpha() for c in x) and len(x) < MAX_TEXT_CHARS:
                found.append(x)
        elif isinstance(x, dict):
            for k, v in x.items():
                walk(k)
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    for folder in folders:
        for f in sorted((root / folder).rglob("*.yaml")):
            walk(yaml.safe_load(f.read_text("utf-8")))
    return found


def main(out_path: str) -> int:
    from bot.content import load_content
    from bot.context import understanding_for
    from bot.domain.words import words_of

    root = Path.cwd()
    u = understanding_for(load_content(root / "content"), None)
    aliases = u.safety.lexicon.aliases
    texts = texts_of(root)
    with open(out_path, "w", encoding="utf-8") as out:
        for i, text in enumerate(texts):
            t = f"{text} {i}"
            r = u.understand(t)
            line = [
                t, list(r.finding.categories), sorted(r.finding.strong), r.intent,
                words_of(t), words_of(t, aliases),
            ]  # fmt: skip
            out.write(json.dumps(line) + "\n")
    print(f"{len(texts)} texts", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

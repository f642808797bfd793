"""Checks that round 5 of unique-text speed (perf19e, bench/README.md §8) changed nothing.

languages OUT   the language guess of every string of content/ and tests/data/ (as written,
                with a number appended, and in capitals) as JSON lines: run it in two trees
                and compare the files (`cmp`)
sums            in this tree: every message's summed model rows (PairScores.prepare, and the
                rules' hints' rows of PairScores.scores) against `table[ids].sum(axis=0)`,
                the code before, bit for bit

(cd <tree> && PYTHONPATH=$PWD python bench/perf19e_compare.py languages /tmp/lang-<tree>.jsonl)
PYTHONPATH=$PWD python bench/perf19e_compare.py sums
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from bench.perf19_compare import texts_of

OTHER_SCRIPTS = [
    "ok", "hello 4001", "Привет как дела", "مرحبا", "¿Dónde está la reunión?", "nóż",
    "Dzień dobry, kiedy jest spotkanie?", "a", "", "12345", "hi 😂",
]  # fmt: skip


def languages(out_path: str) -> int:
    from bot.content import load_content
    from bot.context import language_guesser

    guesser = language_guesser(load_content(Path("content")))
    texts = texts_of(Path("."), ("content", "tests/data")) + OTHER_SCRIPTS
    with open(out_path, "w", encoding="utf-8") as out:
        for i, text in enumerate(texts):
            for t in (text, f"{text} {i}", text.upper()):
                out.write(json.dumps([t, repr(guesser.guess(t))]) + "\n")
    print(f"{len(texts)} texts", file=sys.stderr)
    return 0


def sums() -> int:
    from bot.content import load_content
    from bot.context import understanding_for
    from bot.domain.words import stem

    u = understanding_for(load_content(Path("content")), None)
    pair = u._pair
    table = pair._table
    differences = 0
    texts = texts_of(Path("."))
    for i, text in enumerate(texts):
        t = f"{text} {i}"[:500]
        words = u._words(t)
        total, _ = pair.prepare(words)
        known: set[int] = set()  # the rows as prepare gathers them, in the same order
        for w in words:
            known.update(pair._of_word(w)[0])
        previous = before = "^"
        pieces: list[str] = []
        for w in words:
            s = stem(w)
            pieces += [f"b {previous} {s}", f"k {before} {s}"]
            before, previous = previous, s
        if words:
            pieces.append(f"b {previous} $")
        known.update(j for p in pieces if (j := pair._index.get(p)) is not None)
        if known and total is not None:
            old = table[np.fromiter(known, np.intp, len(known))].sum(axis=0)
            differences += not np.array_equal(old.view(np.int32), total.view(np.int32))
        for which, hints in ((0, u._hints(t)), (1, u._intent_hints(t))):
            lo, hi = pair._columns[which]
            rows = [j for h in {f"r {h}" for h in hints} if (j := pair._index.get(h)) is not None]
            if rows:
                old = table[rows, lo:hi].sum(axis=0)
                new = np.add.reduce(table.take(rows, axis=0)[:, lo:hi], axis=0)
                differences += not np.array_equal(old.view(np.int32), new.view(np.int32))
    print(f"{len(texts)} texts, {differences} differences")
    return 1 if differences else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["languages"]:
        sys.exit(languages(sys.argv[2]))
    sys.exit(sums())

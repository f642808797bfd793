"""The compiled form of the safeguarding lexicon's patterns and the pure matching rules over a
message's words (rules 2, 4 and 5 of bot/domain/safety.py): a phrase's positions in order with
gaps, groups of words found near each other, and the longest masked name at a position.

Pure, no I/O: bot/domain/safety.py's Detector compiles the lexicon into these and calls them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MAX_GAP = 2  # other words allowed between two positions of a phrase
WINDOW = 16  # words within which the groups of a `together` pattern must all appear


@dataclass(frozen=True)
class Pattern:
    """A phrase (or a single word): positions in order, each a set of term ids."""

    category: int
    positions: tuple[frozenset[int], ...]
    cue: bool
    source: str  # as written in the lexicon (for `explain`)


@dataclass(frozen=True)
class Together:
    """Groups that must all appear within WINDOW words; each group lists word sequences."""

    category: int
    groups: tuple[tuple[tuple[int, ...], ...], ...]
    needed: tuple[frozenset[int], ...]  # each group's first-word ids (a cheap pre-check)
    source: str


def follows(
    terms: Sequence[frozenset[int]], start: int, positions: Sequence[frozenset[int]], k: int
) -> bool:
    """Rule 4: positions[k:] appear in order from `start`, each within MAX_GAP of the last."""
    if k == len(positions):
        return True
    want = positions[k]
    for j in range(start, min(start + MAX_GAP + 1, len(terms))):
        if terms[j] & want and follows(terms, j + 1, positions, k + 1):
            return True
    return False


def together(
    terms: Sequence[frozenset[int]],
    where: dict[int, list[int]],
    groups: Sequence[Sequence[tuple[int, ...]]],
) -> bool:
    """Rule 5: every group has a word sequence somewhere, all within WINDOW words."""
    hits: list[tuple[int, int]] = []  # (position, group)
    for g, seqs in enumerate(groups):
        for seq in seqs:
            for i in where.get(seq[0], ()):
                if i + len(seq) <= len(terms) and all(
                    seq[k] in terms[i + k] for k in range(1, len(seq))
                ):
                    hits.append((i, g))
    hits.sort()
    need = len(groups)
    counts: dict[int, int] = {}
    lo = 0
    for pos, g in hits:
        counts[g] = counts.get(g, 0) + 1
        while hits[lo][0] < pos - WINDOW:
            lg = hits[lo][1]
            counts[lg] -= 1
            if not counts[lg]:
                del counts[lg]
            lo += 1
        if len(counts) == need:
            return True
    return False


class Trie:
    """Sequences of stems; `longest` finds the longest one starting at a position."""

    def __init__(self) -> None:
        self.root: dict[str, dict] = {}

    def add(self, seq: Sequence[str]) -> None:
        node = self.root
        for s in seq:
            node = node.setdefault(s, {})
        node[""] = {}

    def longest(self, stems: Sequence[str], i: int) -> int:
        node, best = self.root, 0
        for j in range(i, len(stems)):
            nxt = node.get(stems[j])
            if nxt is None:
                break
            node = nxt
            if "" in node:
                best = j - i + 1
        return best

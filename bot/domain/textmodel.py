"""A small linear text classifier, trained in-process on labelled examples (content/examples/).

Pure: numpy only, no I/O, no download. It learns from the editors' labelled messages what the
hand-written rules can only list: which words, word pairs and pieces of words go with each label
("drugs" alone is a survey answer, "drugged me" is not). The understanding layer
(bot/domain/understanding.py) uses it beside the rules; bench/understanding.py measures the
candidates on the same held-out set.

Features of a message (its normalised words, as the safeguarding check reads them):
- each word's stem, each pair of neighbouring stems, and each pair one word apart (SKIP: "hits
  … with", "im … and"; round 7, bench/README.md §7);
- pieces of each word three to five letters long, with its edges marked ("<kni", "nife>"), so
  typos, slang and endings still share most of their features with the words they resemble.
Each message's features count once and are scaled to unit length, so a long story does not
outweigh a short cry for help.

Each label is one logistic regression against all the others (a message may need several kinds
of help at once), trained by stochastic gradient descent with a fixed seed: the same examples
always give the same model. Examples a label may fairly have ("fair") teach that label nothing.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from bot.domain.words import stem, words_of

EPOCHS = 40  # round 9: 20 before (40 won on all four cross-validated figures, bench/README.md §7)
RATE = 0.7
L2 = 1e-5
MAX_POSITIVE_WEIGHT = 4.0  # a rare label's examples weigh up to this many times a negative one
NGRAMS = (3, 4, 5)
BATCH = 8  # examples per step: numpy's overhead shared, the steps still small
SKIP = True  # also pairs of stems one word apart ("dad … me"): a little more word order (round 7)


@lru_cache(maxsize=65536)
def word_features(word: str) -> tuple[str, ...]:
    """A word's own features: its stem and its pieces (cached: most words repeat)."""
    s = stem(word)
    marked = f"<{word}>"
    pieces = {
        marked[i : i + n] for n in NGRAMS if len(marked) >= n for i in range(len(marked) - n + 1)
    }
    return (f"w {s}", *sorted(f"c {p}" for p in pieces))


def features(words: Sequence[str], hints: Sequence[str] = ()) -> set[str]:
    """Every feature of a message given as its normalised (and masked) words, and `hints`: what
    the hand-written rules found in it, which the model learns how far to trust."""
    out: set[str] = {f"r {h}" for h in hints}
    previous = before = "^"
    for w in words:
        out.update(word_features(w))
        s = stem(w)
        out.add(f"b {previous} {s}")
        if SKIP:
            out.add(f"k {before} {s}")
        before, previous = previous, s
    if words:
        out.add(f"b {previous} $")
    return out


@dataclass(frozen=True)
class Example:
    words: tuple[str, ...]  # normalised, as `features` reads them
    positive: frozenset[str]  # labels this message has
    fair: frozenset[str] = frozenset()  # labels it may have: neither taught nor punished
    hints: tuple[str, ...] = ()  # what the rules found (see `features`)


class LinearModel:
    """One-against-the-rest logistic regression over hashed-free sparse features."""

    def __init__(self, labels: Sequence[str], vocabulary: dict[str, int], weights: np.ndarray,
                 bias: np.ndarray) -> None:  # fmt: skip
        self.labels = tuple(labels)
        self._vocabulary = vocabulary
        self._weights = weights  # (features, labels)
        self._bias = bias

    @classmethod
    def train(
        cls, labels: Sequence[str], examples: Sequence[Example], seed: int = 0
    ) -> LinearModel:
        """Fit the model to the examples (a second or less for a few thousand)."""
        vocabulary: dict[str, int] = {}
        rows: list[np.ndarray] = []
        for ex in examples:
            ids = [
                vocabulary.setdefault(f, len(vocabulary))
                for f in sorted(features(ex.words, ex.hints))
            ]
            rows.append(np.array(ids, dtype=np.int64))
        index = {label: i for i, label in enumerate(labels)}
        n_labels = len(labels)
        targets = np.zeros((len(examples), n_labels))
        masks = np.ones((len(examples), n_labels))
        for r, ex in enumerate(examples):
            for label in ex.positive:
                targets[r, index[label]] = 1.0
            for label in ex.fair - ex.positive:
                masks[r, index[label]] = 0.0
        positives = targets.sum(axis=0)
        negatives = len(examples) - positives
        up = np.clip(negatives / np.maximum(positives, 1) / 4, 1.0, MAX_POSITIVE_WEIGHT)
        weight_of = masks * np.where(targets > 0, up, 1.0)
        weights = np.zeros((len(vocabulary), n_labels))
        bias = np.zeros(n_labels)
        lengths = np.array([len(r) for r in rows])
        scales = 1.0 / np.sqrt(np.maximum(lengths, 1))
        rng = np.random.default_rng(seed)
        step = 0
        for _epoch in range(EPOCHS):
            order = rng.permutation(len(examples))
            for start in range(0, len(order), BATCH):
                batch = [r for r in order[start : start + BATCH] if lengths[r]]
                if not batch:
                    continue
                flat = np.concatenate([rows[r] for r in batch])
                counts = lengths[batch]
                firsts = np.concatenate(([0], np.cumsum(counts)[:-1]))
                scale = scales[batch][:, None]
                score = np.add.reduceat(weights[flat], firsts, axis=0) * scale + bias
                p = 1.0 / (1.0 + np.exp(-score))
                grad = (p - targets[batch]) * weight_of[batch]
                rate = RATE / (1.0 + 0.0005 * step)
                _scatter_add(weights, flat, np.repeat(-rate * grad * scale, counts, axis=0))
                weights[flat] *= 1.0 - rate * L2
                bias -= rate * grad.sum(axis=0) * 0.1
                step += len(batch)
        return cls(labels, vocabulary, weights.astype(np.float32), bias.astype(np.float32))

    def scores(self, words: Sequence[str], hints: Sequence[str] = ()) -> dict[str, float]:
        """Each label's probability for a message (its normalised words, the rules' hints)."""
        return self.scores_of(features(words, hints))

    def scores_of(self, found: set[str] | frozenset[str]) -> dict[str, float]:
        """`scores` for a message's features already worked out (see `features`)."""
        vocabulary = self._vocabulary
        ids = [i for f in found if (i := vocabulary.get(f)) is not None]
        if not ids:
            raw = self._bias
        else:
            raw = self._weights[ids].sum(axis=0) / math.sqrt(len(found)) + self._bias
        probs = 1.0 / (1.0 + np.exp(-raw.astype(np.float64)))
        return dict(zip(self.labels, (float(p) for p in probs), strict=True))

    @staticmethod
    def dump_pair(first: LinearModel, second: LinearModel) -> bytes:
        """Two models as bytes (numpy's .npz, no pickle)."""
        out = io.BytesIO()
        arrays: dict[str, np.ndarray] = {}
        for n, m in enumerate((first, second)):
            names = sorted(m._vocabulary, key=m._vocabulary.__getitem__)
            arrays[f"labels{n}"] = np.array(m.labels, dtype=np.str_)
            arrays[f"vocabulary{n}"] = np.array(names, dtype=np.str_)
            arrays[f"weights{n}"] = m._weights
            arrays[f"bias{n}"] = m._bias
        np.savez(out, **arrays)  # type: ignore[arg-type]
        return out.getvalue()

    @classmethod
    def load_pair(cls, data: bytes) -> tuple[LinearModel, LinearModel]:
        with np.load(io.BytesIO(data), allow_pickle=False) as f:
            models = [
                cls(
                    [str(x) for x in f[f"labels{n}"]],
                    {str(v): i for i, v in enumerate(f[f"vocabulary{n}"])},
                    f[f"weights{n}"],
                    f[f"bias{n}"],
                )
                for n in (0, 1)
            ]
        return models[0], models[1]

    def strongest(
        self, words: Sequence[str], label: str, n: int = 3, hints: Sequence[str] = ()
    ) -> list[str]:
        """The features that pushed most towards `label` (for editors' explanations)."""
        col = self.labels.index(label)
        found = [(float(self._weights[i, col]), f) for f in features(words, hints)
                 if (i := self._vocabulary.get(f)) is not None]  # fmt: skip
        found.sort(reverse=True)
        return [_readable(f) for w, f in found[:n] if w > 0]


class PairScores:
    """Two models' scores for one message from one pass over its features.

    The topic and the intent model read the same words; only the rules' hints differ. So each
    word's features are looked up once, in one table holding both models' weights side by side
    (each word's rows kept: most words repeat), and the rows are summed once. A label's score
    is what `LinearModel.scores` gives, up to the order of a float32 sum (its last bit).
    """

    MAX_WORDS = 65536  # words whose rows are kept (in memory; cleared when full)

    def __init__(self, models: Sequence[LinearModel | None]) -> None:
        self._models = tuple(models)
        self._index: dict[str, int] = {}
        for m in self._models:
            for f in m._vocabulary if m is not None else ():
                self._index.setdefault(f, len(self._index))
        self._columns: list[tuple[int, int]] = []
        width = sum(len(m.labels) for m in self._models if m is not None)
        self._table = np.zeros((len(self._index), width), np.float32)
        start = 0
        for m in self._models:
            n = len(m.labels) if m is not None else 0
            self._columns.append((start, start + n))
            if m is not None:
                names = list(m._vocabulary)
                rows = [self._index[f] for f in names]
                own = [m._vocabulary[f] for f in names]
                self._table[rows, start : start + n] = m._weights[own]
            start += n
        self._words: dict[str, tuple[tuple[int, ...], tuple[str, ...]]] = {}

    def _of_word(self, word: str) -> tuple[tuple[int, ...], tuple[str, ...]]:
        """A word's features: the rows of those some model knows, and the others."""
        hit = self._words.get(word)
        if hit is None:
            found = word_features(word)
            hit = (
                tuple(i for f in found if (i := self._index.get(f)) is not None),
                tuple(f for f in found if f not in self._index),
            )
            if len(self._words) >= self.MAX_WORDS:
                self._words.clear()
            self._words[word] = hit
        return hit

    def prepare(self, words: Sequence[str]) -> tuple[np.ndarray | None, int]:
        """A message's summed rows (None: no known feature) and its number of features, as
        `features(words)` would give them."""
        known: set[int] = set()
        unknown: set[str] = set()
        index = self._index
        pairs: list[str] = []
        previous = before = "^"
        for w in words:
            rows, others = self._of_word(w)
            known.update(rows)
            if others:
                unknown.update(others)
            s = stem(w)
            pairs.append(f"b {previous} {s}")
            if SKIP:
                pairs.append(f"k {before} {s}")
            before, previous = previous, s
        if words:
            pairs.append(f"b {previous} $")
        for pair in pairs:
            if (i := index.get(pair)) is not None:
                known.add(i)
            else:
                unknown.add(pair)
        n = len(known) + len(unknown)
        if not known:
            return None, n
        # `take` and `add.reduce`: the rows summed in the same order as `table[ids].sum(0)`, the
        # same float32 sums bit for bit, without fancy indexing's and `sum`'s overhead
        gathered = self._table.take(np.fromiter(known, np.intp, len(known)), axis=0)
        return np.add.reduce(gathered, axis=0), n

    def scores(
        self, which: int, prepared: tuple[np.ndarray | None, int], hints: Sequence[str] = ()
    ) -> dict[str, float]:
        """Model `which`'s `scores` for a prepared message and the rules' hints."""
        model = self._models[which]
        assert model is not None
        lo, hi = self._columns[which]
        total, n = prepared
        raw = None if total is None else total[lo:hi]
        extra = {f"r {h}" for h in hints}
        n += len(extra)
        rows = [i for f in extra if (i := self._index.get(f)) is not None]
        if rows:
            more = np.add.reduce(self._table.take(rows, axis=0)[:, lo:hi], axis=0)
            raw = more if raw is None else raw + more
        if raw is None:
            raw = model._bias
        else:
            raw = raw / math.sqrt(n) + model._bias
        probs = 1.0 / (1.0 + np.exp(-raw.astype(np.float64)))
        return dict(zip(model.labels, probs.tolist(), strict=True))


def textmodel_settings() -> tuple[object, ...]:
    """Everything of how a model is built here (part of a stored model's key)."""
    return (EPOCHS, RATE, L2, MAX_POSITIVE_WEIGHT, NGRAMS, BATCH, SKIP)


def _scatter_add(weights: np.ndarray, ids: np.ndarray, rows: np.ndarray) -> None:
    """weights[ids] += rows, with repeated ids summed (np.add.at, but sorted and reduced: about
    ten times faster here, which is most of the start-up's training time)."""
    order = np.argsort(ids, kind="stable")
    ids = ids[order]
    starts = np.flatnonzero(np.concatenate(([True], ids[1:] != ids[:-1])))
    weights[ids[starts]] += np.add.reduceat(rows[order], starts, axis=0)


def _readable(feature: str) -> str:
    kind, _, rest = feature.partition(" ")
    if kind == "w":
        return f"word '{rest}'"
    if kind == "r":
        return f"rules found '{rest}'"
    if kind in ("b", "k"):
        joined = rest.replace("^", "(start)").replace("$", "(end)")
        return f"words '{joined}'" if kind == "b" else f"words '{joined.replace(' ', ' … ')}'"
    return f"letters '{rest}'"


def normalised(text: str, aliases: dict[str, str], mask: Callable[[list[str]], list[bool]]
               | None = None) -> tuple[str, ...]:  # fmt: skip
    """The words of a message as the model reads them: the safeguarding check's normalisation,
    with the names the bot uses (places, campaign titles) replaced by one placeholder word."""
    words = words_of(text, aliases)
    if mask is None or not words:
        return tuple(words)
    return placenames(words, mask(words))


def placenames(words: Sequence[str], masked: Sequence[bool]) -> tuple[str, ...]:
    """`normalised` for words already masked: each run of masked words one placeholder."""
    out: list[str] = []
    for w, m in zip(words, masked, strict=True):
        if not m:
            out.append(w)
        elif not out or out[-1] != "placename":
            out.append("placename")
    return tuple(out)


def labels_of(examples: Iterable[Example]) -> list[str]:
    seen: dict[str, None] = {}
    for ex in examples:
        for label in sorted(ex.positive | ex.fair):
            seen.setdefault(label, None)
    return list(seen)

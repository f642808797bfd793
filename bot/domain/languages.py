"""Which language a message is in: one the bot speaks, or another it must not guess at.

Pure, and built from the content, not from a word list per language:

1. **Script.** Letters are counted by Unicode block (Arabic, Gurmukhi, Devanagari, Cyrillic...).
   A message mostly in a script none of the bot's languages is written in (Urdu and Arabic in
   Arabic script, Punjabi in Gurmukhi or Shahmukhi) is foreign, however short.
2. **Latin script.** Each language the bot speaks has a profile made from its own content (its
   texts, lexicons and examples): the words it uses (also without accents: "noz" for "nóż"),
   its letters, and how often each three-letter piece of a word occurs (English's also from its
   common words). A message is in a language when at least half its words are that language's
   (two languages tied: the one whose letter pieces fit better); it is foreign when fewer than
   a third of its words belong to any of them (Romanian, Portuguese), or under half when it
   uses letters none of them has (ă, ș, ã, ç). A word is known also by its first five letters
   (inflected languages change endings), and letters only one of the languages writes (Polish
   ł, ą, ę beside English) point to it. Short messages (a name, a postcode, a typo) are never
   called foreign: "Olney", "hiya", "Krzysztof is shouting next door" are English.
   (Measured in bench/languages.py: no held-out English example of three words or more falls
   under a third; a large profile's letter pieces did not separate typos from Romanian.)

The answer to a foreign message (bot/handlers/languages.py) lists the languages the bot speaks
and says that 999 answers in any language.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

LATIN = "Latin"
# (first, last, script) code point ranges of the letters of the scripts residents may write.
_BLOCKS: tuple[tuple[int, int, str], ...] = (
    (0x0041, 0x024F, LATIN), (0x1E00, 0x1EFF, LATIN),
    (0x0370, 0x03FF, "Greek"), (0x0400, 0x052F, "Cyrillic"), (0x0530, 0x058F, "Armenian"),
    (0x0590, 0x05FF, "Hebrew"), (0x0600, 0x06FF, "Arabic"), (0x0750, 0x077F, "Arabic"),
    (0x08A0, 0x08FF, "Arabic"), (0xFB50, 0xFDFF, "Arabic"), (0xFE70, 0xFEFF, "Arabic"),
    (0x0700, 0x074F, "Syriac"), (0x0780, 0x07BF, "Thaana"), (0x0900, 0x097F, "Devanagari"),
    (0x0980, 0x09FF, "Bengali"), (0x0A00, 0x0A7F, "Gurmukhi"), (0x0A80, 0x0AFF, "Gujarati"),
    (0x0B00, 0x0B7F, "Oriya"), (0x0B80, 0x0BFF, "Tamil"), (0x0C00, 0x0C7F, "Telugu"),
    (0x0C80, 0x0CFF, "Kannada"), (0x0D00, 0x0D7F, "Malayalam"), (0x0D80, 0x0DFF, "Sinhala"),
    (0x0E00, 0x0E7F, "Thai"), (0x0E80, 0x0EFF, "Lao"), (0x0F00, 0x0FFF, "Tibetan"),
    (0x1000, 0x109F, "Myanmar"), (0x10A0, 0x10FF, "Georgian"), (0x1100, 0x11FF, "Hangul"),
    (0xAC00, 0xD7AF, "Hangul"), (0x1200, 0x139F, "Ethiopic"), (0x1780, 0x17FF, "Khmer"),
    (0x3040, 0x30FF, "Kana"), (0x3400, 0x9FFF, "Han"), (0xF900, 0xFAFF, "Han"),
)  # fmt: skip
_WORD = re.compile(r"[^\W\d_]+")
MIN_LETTERS = 2  # fewer letters: nothing to tell (an emoji, "ok", a number)
MIN_WORDS = 3  # fewer Latin words are never foreign (a name, a place, a typo)...
MIN_WORDS_ODD_LETTERS = 2  # ...unless they use letters none of the bot's languages has
KNOWN = 0.5  # this share of a message's words in one language's vocabulary: that language
FEW_KNOWN = 0.34  # below this share in every language (or KNOWN, with odd letters): foreign
SMOOTHING = 0.5
LONG_WORD = 5  # letters of a common word that counts as the language's
STEM = 5  # a longer word is known by its first letters (other endings of the same word)
MAX_TEXT = 500  # characters read (a long story is not read twice over)


def script_of(ch: str) -> str | None:
    """The script of one letter (None for what is not a letter of a listed block)."""
    cp = ord(ch)
    if cp <= 0x024F:  # most letters residents type: no search
        return LATIN if ch.isalpha() else None
    for first, last, name in _BLOCKS:
        if first <= cp <= last:
            return name
    return None


@lru_cache(maxsize=65536)  # pure, and asked per word for every language's profile
def fold(word: str) -> str:
    """The word without accents ("nóż" -> "noz"; ł has no decomposition, so by hand)."""
    word = word.replace("ł", "l")
    return "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c))


def _words(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFC", text).lower())


def _pieces(word: str) -> list[str]:
    padded = f" {word} "
    return [padded[i : i + 3] for i in range(len(padded) - 2)]


@dataclass(frozen=True)
class Profile:
    """One language as its content writes it."""

    code: str
    words: frozenset[str]  # as written and without accents
    pieces: Mapping[str, float]  # log-probability of each three-letter piece
    unseen: float  # ... of a piece its content never has
    letters: frozenset[str]
    usual: float = 0.0  # the mean log-probability of its own words' pieces (how it fits itself)
    stems: frozenset[str] = frozenset()  # the first STEM letters of its longer words

    @classmethod
    def build(cls, code: str, texts: Iterable[str], words: Iterable[str] = ()) -> Profile:
        """From the language's own sentences, and a list of its common `words`: only those of
        LONG_WORD letters or more count (a long list of a language's words has the short words
        of every other language: "de", "la", "este")."""
        counted: Counter[str] = Counter()
        for text in texts:
            counted.update(_words(text))
        pieces: Counter[str] = Counter()
        for w, n in counted.items():
            for p in _pieces(w):
                pieces[p] += n
        total = sum(pieces.values()) + SMOOTHING * (len(pieces) + 1)
        logp = {p: math.log((n + SMOOTHING) / total) for p, n in pieces.items()}
        usual = sum(n * logp[p] for p, n in pieces.items()) / max(1, sum(pieces.values()))
        common = frozenset(w for w in words if len(w) >= LONG_WORD)
        own = [fold(w) for w in counted if len(w) > STEM]
        return cls(
            code=code,
            words=frozenset(counted) | frozenset(fold(w) for w in counted) | common,
            pieces=logp,
            unseen=math.log(SMOOTHING / total),
            letters=frozenset(c for w in counted for c in w),
            usual=usual,
            stems=frozenset(w[:STEM] for w in own),
        )

    def known(self, words: list[str]) -> float:
        """The share of `words` this language's content uses, as written, without accents, or
        with another ending (its first STEM letters: "nożem" for "nożu", "zebrania" for
        "zebranie", as inflected languages write the same word)."""
        hits = 0
        for w in words:
            bare = fold(w)
            hits += (
                w in self.words
                or bare in self.words
                or (len(bare) > STEM and bare[:STEM] in self.stems)
            )
        return hits / len(words)

    def fit(self, words: list[str]) -> float:
        """How much worse the words' letter pieces fit than the language's own (0: as well;
        the more positive, the less like it), so small and large profiles compare."""
        scores = [self.pieces.get(p, self.unseen) for w in words for p in _pieces(w)]
        return self.usual - sum(scores) / len(scores)


@dataclass(frozen=True)
class Guess:
    """A language the bot speaks (`lang`), a foreign one (`foreign`, with its script), or
    neither (too short to tell: read it in the resident's language)."""

    lang: str | None = None
    foreign: bool = False
    script: str | None = None
    shares: tuple[tuple[str, float], ...] = ()  # each language: the share of its words

    def clearly(self, lang: str, than: str) -> bool:
        """Whether the message is `lang` more plainly than `than` (more of its words are
        `lang`'s): "ok", "menu" or a place name are both, and stay the resident's."""
        share = dict(self.shares)
        return self.lang == lang and share.get(lang, 0.0) > share.get(than, 0.0)


class Guesser:
    def __init__(self, profiles: Iterable[Profile]) -> None:
        self.profiles = tuple(profiles)
        self.letters = frozenset().union(*(p.letters for p in self.profiles))
        # The letters only one of its languages writes (Polish ł, ą, ę... beside English).
        self.only = {
            p.code: p.letters.difference(*(q.letters for q in self.profiles if q is not p))
            if len(self.profiles) > 1
            else frozenset()
            for p in self.profiles
        }
        # The scripts the bot's languages are written in (Latin for English and Polish).
        self.scripts = frozenset(s for c in self.letters if (s := script_of(c)) is not None)

    def guess(self, text: str) -> Guess:
        text = text[:MAX_TEXT]
        ascii_only = text.isascii()  # every letter Latin (script_of), every word too (_WORD)
        counts: Counter[str] = Counter()
        if ascii_only:
            if letters := sum(map(str.isalpha, text)):
                counts[LATIN] = letters
        else:
            for ch in text:
                if ch.isalpha():
                    counts[script_of(ch) or "other"] += 1
        letters = sum(counts.values())
        if letters < MIN_LETTERS:
            return Guess()
        script, n = counts.most_common(1)[0]
        if script not in self.scripts and n * 2 >= letters:
            return Guess(foreign=True, script=script)
        if ascii_only:
            words = _WORD.findall(text.lower())  # _words: NFC leaves ASCII as it is
        else:
            words = [w for w in _words(text) if all(script_of(c) == LATIN for c in w)]
        if not words or not self.profiles:
            return Guess()
        return self._latin(words)

    def _latin(self, words: list[str]) -> Guess:
        known = {p.code: p.known(words) for p in self.profiles}
        best = max(self.profiles, key=lambda p: known[p.code])
        if known[best.code] >= KNOWN:
            tied = [p for p in self.profiles if known[p.code] == known[best.code]]
            if len(tied) > 1:
                best = min(tied, key=lambda p: p.fit(words))
            return Guess(best.code, script=LATIN, shares=tuple(known.items()))
        odd = sum(c not in self.letters for w in words for c in w)
        letters = {c for w in words for c in w}
        marked = [p.code for p in self.profiles if letters & self.only[p.code]]
        # A language's own letters, none it lacks, and no fewer of its words: that one.
        if not odd and len(marked) == 1 and known[marked[0]] >= max(known.values()):
            return Guess(marked[0], script=LATIN, shares=tuple(known.items()))
        if len(words) < (MIN_WORDS_ODD_LETTERS if odd else MIN_WORDS):
            return Guess()
        if known[best.code] < (KNOWN if odd else FEW_KNOWN):
            return Guess(foreign=True, script=LATIN)
        return Guess()

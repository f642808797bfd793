"""Find a resident's NAG from a postcode, a place name (typos tolerated) or a location.

Places only when a place is meant. A message is "mostly a place" when, after filler words ("I
live in", "my area is", "near", "please"), what is left is a postcode or a place name (a typo
allowed). Anything else is a sentence: it is an area answer only while the bot is asking for an
area (`asking`), and even then an ordinary English word is never taken for a typo of a place
("weather" is not a misspelt anything). A place named inside a sentence is otherwise left to the
intents that want one ("when does the Olney group meet", see `named`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz, process, utils

from bot.content import Nag
from bot.domain.words import common_words

# Outward code MK + 1-2 digits, then optionally the sector digit and the two unit letters.
_POSTCODE = re.compile(r"^MK(\d{1,2})(?:(\d)([A-Z]{2})?)?$")
# Any full UK postcode (outward code, inward code), and the UK's postcode areas: a valid
# postcode elsewhere gets a clear "outside Milton Keynes" rather than "not understood".
_UK_POSTCODE = re.compile(r"^([A-Z]{1,2})(\d[A-Z\d]?)\s*(\d[A-Z]{2})$")
UK_AREAS = frozenset(
    """AB AL B BA BB BD BH BL BN BR BS BT CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL DN DT
    DY E EC EH EN EX FK FY G GL GU GY HA HD HG HP HR HS HU HX IG IM IP IV JE KA KT KW KY L LA LD
    LE LL LN LS LU M ME MK ML N NE NG NN NP NR NW OL OX PA PE PH PL PO PR RG RH RM S SA SE SG SK
    SL SM SN SO SP SR SS ST SW SY TA TD TF TN TQ TR TS TW UB W WA WC WD WF WN WR WS WV YO
    ZE""".split()
)
NAME_CUTOFF = 82.0
NAME_SPREAD = 4.0  # other places within this many points of the best are offered too
MAX_CHOICES = 8
# Words that are part of place names but never name a place on their own.
STOPWORDS = frozenset({"the", "and", "park", "green", "village", "villages", "estate", "town"})
# Words around a place that do not change what it is ("I live in Olney please", "my area is MK6").
FILLER = frozenset(
    """i im i m ive i ve me my we our us live lives living in at near by around the a an its it s
    is area postcode place please pls thanks thank you hi hello ok okay yes yeah its just""".split()
)
TYPO_CUTOFF = 80.0  # a word this close to a word of a place name is taken for a misspelling
TYPO_MIN_LEN = 4  # shorter words are never corrected ("hal", "mk")
# "I don't live in Fishermead any more", "we moved away from Olney": the place is the old one.
_MOVED_AWAY = re.compile(
    r"\b(?:(?:don t|dont|do not|no longer|not) (?:live|living|stay|staying)"
    r"|moved (?:away |out )?(?:from|of))\b"
)
# A shared location further than this from every NAG's centre is outside Milton Keynes. The
# borough's rural edge (Cold Brayfield) is about 6 km from the nearest centre; towns beyond it
# (Bedford 16 km, Leighton Buzzard 9 km, Buckingham 11 km) are well past it.
MK_REACH_KM = 6.5


@dataclass(frozen=True)
class SearchResult:
    """What a search found. `kind`: a postcode (or sector/district) inside MK, a place name
    (exact, or a word of several places' names), "fuzzy" guesses from a misspelling (one to
    confirm, or several offered together), nothing, a valid postcode "outside" the NAGs'
    districts (`matched` is then the full postcode), or "moved" away from the places in `nags`
    ("I don't live in Fishermead any more": a new area is wanted, not these)."""

    kind: Literal["postcode", "name", "fuzzy", "none", "outside", "moved"]
    nags: tuple[Nag, ...]
    matched: str = ""


@dataclass(frozen=True)
class Postcode:
    district: str  # "MK6"
    sector: str | None  # "MK6 3"


def uk_postcode(text: str) -> str | None:
    """A full UK postcode anywhere in the country, written the standard way ("SW1A 1AA")."""
    compact = re.sub(r"\s+", "", text.upper())
    m = _UK_POSTCODE.match(compact)
    if m is None or m.group(1) not in UK_AREAS:
        return None
    return f"{m.group(1)}{m.group(2)} {m.group(3)}"


def parse_postcode(text: str, known_districts: frozenset[str]) -> Postcode | None:
    """Parse "MK6 3AX", "mk63ax", "MK6 3" or "MK6"; None when it is not an MK postcode shape."""
    compact = re.sub(r"\s+", "", text.upper())
    if not compact.startswith("MK") or len(compact) > 7:
        return None
    # A full postcode always ends digit + two letters (the inward code).
    full = re.fullmatch(r"MK(\d{1,2})(\d)([A-Z]{2})", compact)
    if full:
        d = f"MK{int(full.group(1))}"
        return Postcode(d, f"{d} {full.group(2)}")
    m = _POSTCODE.match(compact)
    if not m:
        return None
    digits = m.group(1)
    if m.group(2) is None:
        # "MK63" is either district MK63 or MK6 sector 3: prefer the one we know.
        if len(digits) == 2 and f"MK{int(digits)}" not in known_districts:
            d = f"MK{int(digits[0])}"
            if d in known_districts:
                return Postcode(d, f"{d} {digits[1]}")
        return Postcode(f"MK{int(digits)}", None)
    d = f"MK{int(digits)}"
    return Postcode(d, f"{d} {m.group(2)}")


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6371.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


class AreaIndex:
    """Built once from content; answers searches in well under a millisecond."""

    def __init__(self, nags: tuple[Nag, ...]) -> None:
        self.nags = nags
        self.by_sector: dict[str, list[Nag]] = {}
        self.by_district: dict[str, list[Nag]] = {}
        for nag in nags:
            for pc in nag.postcodes:
                district = pc.split()[0]
                if " " in pc:
                    self.by_sector.setdefault(pc, []).append(nag)
                if nag not in self.by_district.setdefault(district, []):
                    self.by_district[district].append(nag)
        self.districts = frozenset(self.by_district)
        # Search choices: every area name and every NAG name, pre-processed once.
        self._names: list[str] = []
        self._owners: list[Nag] = []
        for nag in nags:
            for name in (nag.name, nag.short_name, *nag.areas):
                self._names.append(utils.default_process(name))
                self._owners.append(nag)
        # Every word of a place name, for typos corrected word by word ("Bletchly" -> bletchley).
        self._words = sorted({w for name in self._names for w in name.split()} - STOPWORDS)
        self._word_set = frozenset(self._words)
        self._common = common_words()

    def by_postcode(self, pc: Postcode, full: str | None = None) -> SearchResult:
        if pc.sector and pc.sector in self.by_sector:
            return SearchResult("postcode", tuple(self.by_sector[pc.sector]), full or pc.sector)
        if pc.district in self.by_district:
            nags = self.by_district[pc.district]
            if pc.sector:
                # Sector not listed anywhere: NAGs covering the whole district come first.
                whole = [n for n in nags if pc.district in n.postcodes]
                nags = whole or nags
            return SearchResult("postcode", tuple(nags[:MAX_CHOICES]), full or pc.district)
        return SearchResult("outside", (), full or pc.sector or pc.district)

    def _owners_of(self, indexes: list[int]) -> tuple[Nag, ...]:
        seen: list[Nag] = []
        for i in indexes:
            if self._owners[i] not in seen:
                seen.append(self._owners[i])
        return tuple(seen[:MAX_CHOICES])

    def named(self, text: str) -> tuple[tuple[Nag, ...], bool]:
        """NAGs whose place names and the text contain one another as whole words, and whether
        one was named exactly. "Bletchley" and "I live in Bletchley" name both Bletchley NAGs,
        "when does the Olney group meet" names Olney; exact names come first."""
        query = utils.default_process(text)
        if len(query) < 3:
            return (), False
        padded = f" {query} "
        exact = [i for i, name in enumerate(self._names) if name == query]
        in_text = [i for i, name in enumerate(self._names) if f" {name} " in padded]
        # A longer name in the text beats a shorter one inside it ("west bletchley" wins over
        # "bletchley" in "I live in West Bletchley").
        in_text = [
            i
            for i in in_text
            if not any(
                len(self._names[j]) > len(self._names[i]) and self._names[i] in self._names[j]
                for j in in_text
            )
        ]
        # Every place whose name holds the text, or a place named in it, as whole words.
        words = {self._names[i] for i in in_text}
        if query not in STOPWORDS and len(query) >= 4:
            words.add(query)
        holding = [
            i for i, name in enumerate(self._names) if any(f" {w} " in f" {name} " for w in words)
        ]
        order = exact + [i for i in in_text + holding if i not in exact]
        return self._owners_of(order), bool(exact)

    def search(self, text: str, *, asking: bool = False) -> SearchResult:
        """Postcode first (anywhere in the UK), then place names, then typos tolerated.

        A message that is mostly a place (or postcode) is always searched; a sentence with
        other words only when `asking` (the bot asked for an area), and then only for the
        places it names or words that are not ordinary English."""
        text = text.strip()
        if not text:
            return SearchResult("none", ())
        found = self._postcode(text)
        if found is not None:
            return found
        query = utils.default_process(text)
        if not query or len(query) < 3 or query in STOPWORDS:
            return SearchResult("none", ())
        if _MOVED_AWAY.search(query):
            left, _ = self.named(text)
            if left:
                return SearchResult("moved", left, text)
        words = [w for w in query.split() if w not in FILLER]
        core = " ".join(words)
        if not core or core in STOPWORDS:
            return SearchResult("none", ())
        if core != query:
            found = self._postcode(core)  # "my postcode is MK6 3AX"
            if found is not None:
                return found
        corrections = {w: self._typo_of(w) for w in words if w not in self._word_set}
        if not any(not c for c in corrections.values()):
            # Mostly a place: every word left is a word of a place name, or a typo of one.
            return self._place(core, words, corrections)
        guess = self._whole(core, words)
        if guess is not None:
            return guess  # "Coffee Hal": a short typo, read with the rest of the name
        if not asking:
            return SearchResult("none", ())
        nags, _ = self.named(text)
        if nags:
            return SearchResult("name", nags, text)
        typos = [c for c in corrections.values() if c]
        nags = self._owners_of([i for c in typos for i in self._holding(c)])
        return SearchResult("fuzzy", nags, text) if nags else SearchResult("none", ())

    def _postcode(self, text: str) -> SearchResult | None:
        full = uk_postcode(text)
        pc = parse_postcode(text, self.districts)
        if pc is not None:
            return self.by_postcode(pc, full)
        if full is not None:
            return SearchResult("outside", (), full)
        return None

    def _typo_of(self, word: str) -> tuple[str, ...]:
        """Words of place names that `word` may be a misspelling of (none for an ordinary
        English word, a short word or a number)."""
        if len(word) < TYPO_MIN_LEN or word in self._common or not word.isalpha():
            return ()
        hits = process.extract(
            word, self._words, scorer=fuzz.ratio, score_cutoff=TYPO_CUTOFF, limit=MAX_CHOICES
        )
        if not hits:
            return ()
        best = hits[0][1]
        return tuple(w for w, score, _ in hits if score >= best - NAME_SPREAD)

    def _holding(self, words: tuple[str, ...]) -> list[int]:
        """Indexes of the place names holding any of `words` as a whole word."""
        return [
            i for i, name in enumerate(self._names) if any(f" {w} " in f" {name} " for w in words)
        ]

    def _place(
        self, core: str, words: list[str], corrections: dict[str, tuple[str, ...]]
    ) -> SearchResult:
        if not corrections:
            nags, _ = self.named(core)
            if nags:
                return SearchResult("name", nags, core)
        else:
            # Each typo read as its closest place word(s): "bletchly" -> every Bletchley.
            phrases = [" ".join(corrections.get(w, (w,))[0] for w in words)]
            for w, options in corrections.items():
                phrases += [
                    " ".join(o if x == w else x for x in phrases[0].split()) for o in options[1:]
                ]
            nags = self._owners_of([i for p in phrases for i in self._named_indexes(p)])
            if nags:
                return SearchResult("fuzzy", nags, core)
        return self._whole(core, words) or SearchResult("none", ())

    def _named_indexes(self, phrase: str) -> list[int]:
        """The names equal to `phrase` first, then those holding it as whole words."""
        exact = [i for i, name in enumerate(self._names) if name == phrase]
        return exact + [i for i, name in enumerate(self._names) if f" {phrase} " in f" {name} "]

    def _whole(self, core: str, words: list[str]) -> SearchResult | None:
        """The whole message read as one misspelt name ("coffee hal"), when it has a word of a
        place name or one that is not ordinary English."""
        if not any(w in self._word_set or w not in self._common for w in words):
            return None
        hits = process.extract(
            core,
            self._names,
            scorer=fuzz.ratio,
            processor=None,
            score_cutoff=NAME_CUTOFF,
            limit=MAX_CHOICES * 3,
        )
        if not hits:
            return None
        best = hits[0][1]
        nags = self._owners_of([idx for _, score, idx in hits if score >= best - NAME_SPREAD])
        exact = hits[0][1] == 100
        return SearchResult("name" if exact else "fuzzy", nags, core)

    def inside(self, lat: float, lon: float) -> bool:
        """Whether a point is in Milton Keynes (near enough to some NAG's centre)."""
        nearest = self.nearest(lat, lon)
        return bool(nearest) and nearest[0][1] <= MK_REACH_KM

    def nearest(self, lat: float, lon: float, limit: int = 1) -> list[tuple[Nag, float]]:
        ranked = sorted(
            ((n, haversine_km(lat, lon, n.lat, n.lon)) for n in self.nags), key=lambda x: x[1]
        )
        return ranked[:limit]

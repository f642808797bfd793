"""Safeguarding: recognise free text about danger, a crime or a risk to someone, and choose help.

Pure: no telegram, no SQL, no I/O beyond reading the packaged word list once. The lexicon
(categories, their words and phrases, each category's reply) is content, edited by
non-programmers in content/safety.yaml; the matching rules live here (phrases and groups over the
words in bot/domain/matching.py) and are described to editors in that file's header. In short:

1. **Normalise** the message: Unicode compatibility form, lower case, apostrophes dropped
   ("won't" -> "wont", "he's" -> "hes"), everything else that is not a letter or digit becomes a
   space, letters repeated three or more times shortened to two ("pleeeease" -> "pleease"), and
   the editors' spelling aliases applied word by word ("u" -> "you"). A `*` inside a word
   stands for one to three letters, as people censor themselves ("p*ki").
2. **Mask** what must never raise an alarm on its own: the lexicon's safe phrases ("fire
   station", "help me find"; `a|b` alternatives as in rule 4 but no words in between) and the
   names the bot itself uses (NAG names, areas and venues, campaign and survey titles). Masked
   words are skipped; the rest of the message still counts, so "there's a fire next to the fire
   station" is still about a fire.
3. **Words** match by stem (Snowball English: threaten / threatening / threatened are one word;
   irregular verbs too: broke / broken / break),
   by a `*` prefix ("threat*"), or only in the form written after `=` ("=missing", which must
   not match "missed"), with doubled letters ignored ("stabed" = "stabbed"), and with
   one typo tolerated in words of five letters or more (two from nine): a letter missing, extra,
   wrong or swapped ("nife" = "knife", "threatend" = "threatened"). A word that is itself common
   English is never read as a typo of another ("attached" is not "attacked").
4. **Phrases** are words in order, each position written like a word and `a|b` listing
   alternatives, with up to two other words allowed between positions: "wont let me leave|go"
   matches "he won't ever let me go out".
5. **Together**: groups joined by `+` must all appear within sixteen words of each other, in
   any order; each group lists alternatives with `|`, and an alternative may be several words
   ("year old"): "child|kid|year old + bruise|belt" matches "my 7 year old has bruises".
   Anywhere a word can stand, `@name` stands for all the words of the lexicon's group `name`,
   and a category's `exactly` list holds whole messages ("help").
6. **Urgency**: the cues of the urgent category ("right now", "outside my house") add it only
   when some other category matched too; its own words and phrases add it on their own.

The reply puts the matched categories' help in the lexicon's order (most urgent first), at most
`max_blocks` of them, then the footer saying that the bot cannot take reports.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz.distance import DamerauLevenshtein

from bot.domain.matching import Pattern, Together, Trie, follows, together
from bot.domain.words import (  # the text handling (stem, words_of: also imported from here)
    FUZZY_LONGEST,
    FUZZY_MIN,
    allowed_typos,
    common_words,
    deletions,
    inflections,
    squeeze,
    stem,
    words_of,
)

# ---------------------------------------------------------------- the lexicon (built by content)


@dataclass(frozen=True)
class Category:
    """One kind of help: what recognises it and the reply block residents get."""

    id: str
    title: str
    reply: str = ""  # HTML, one short block (none for intents, which only route)
    words: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    together: tuple[str, ...] = ()  # "a|b + c|d": groups found near each other, any order
    exactly: tuple[str, ...] = ()  # whole messages ("help")
    cues: tuple[str, ...] = ()  # count only when another category matched (urgency)


@dataclass(frozen=True)
class Lexicon:
    categories: tuple[Category, ...]  # in reply order: most urgent first
    safe_phrases: tuple[str, ...] = ()
    aliases: dict[str, str] = field(default_factory=dict)
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)  # @name -> alternatives
    footer: str = ""
    max_blocks: int = 3


@dataclass(frozen=True)
class Finding:
    """What a message is about: matched category ids in reply order (empty: nothing found)."""

    categories: tuple[str, ...] = ()
    # Found by more than one word in order (a phrase, a group, a whole message): stronger
    # evidence than one word alone ("knife" in "knife crime workshop").
    strong: frozenset[str] = frozenset()
    whole: bool = False  # the whole message is one of a category's `exactly` ("help")

    def __bool__(self) -> bool:
        return bool(self.categories)


class Detector:
    """Compiled lexicon; `find(text)` in well under a millisecond per message."""

    def __init__(self, lexicon: Lexicon, names: Iterable[str] = ()) -> None:
        self.lexicon = lexicon
        self._terms: dict[tuple[str, str], int] = {}  # (normalised word, how) -> id
        self._exact: dict[str, set[int]] = {}  # `=word`: this form only
        self._by_stem: dict[str, set[int]] = {}
        self._by_squeezed: dict[str, set[int]] = {}
        self._prefixes: dict[str, list[tuple[str, int]]] = {}  # first 3 letters -> prefixes
        self._forms: list[tuple[str, int]] = []  # (surface form, term id) a typo may be of
        self._typos: dict[str, list[int]] = {}  # deletion variant -> indexes into _forms
        self._patterns: list[Pattern] = []
        self._second: list[frozenset[int] | None] = []  # each pattern's second position
        self._starts: dict[int, list[int]] = {}  # term id -> patterns starting with it
        self._together: list[Together] = []
        self._together_by_term: dict[int, list[int]] = {}  # first group's word ids -> patterns
        self._exactly: dict[tuple[str, ...], int] = {}
        self._why: dict[int, str] | None = None  # set by `explain` only
        for ci, cat in enumerate(lexicon.categories):
            for w in cat.words:
                self._add_pattern(ci, w, cue=False)
            for p in cat.phrases:
                self._add_pattern(ci, p, cue=False)
            for p in cat.together:
                self._addtogether(ci, p)
            for p in cat.cues:
                self._add_pattern(ci, p, cue=True)
            for m in cat.exactly:
                self._exactly.setdefault(tuple(stem(w) for w in words_of(m, lexicon.aliases)), ci)
        self._mask = Trie()
        for phrase in lexicon.safe_phrases:
            for seq in self._spelled_out(phrase):
                self._mask.add([stem(w) for w in seq])
        for name in names:
            for part in re.split(r"[,&()]| and ", name):
                ws = [stem(w) for w in words_of(part, lexicon.aliases)]
                if ws:
                    self._mask.add(ws)
        # The lengths of a number ("hello 4001") that can be a typo of some form: none, unless a
        # form is mostly digits. A number's distance to a form with d digits is at least its
        # length - d and the form's length - d (no other character of either can match), so
        # for any other length the typo search would find nothing, and is not made.
        self._number_typos = frozenset(
            n
            for form, _ in self._forms
            if (d := sum(c.isdigit() for c in form))
            for n in range(FUZZY_MIN - 1, FUZZY_LONGEST + 1)
            if max(n, len(form)) - d <= allowed_typos(len(form))
        )
        self._cache: dict[str, frozenset[int]] = {}
        self._recent: dict[str, tuple[list[str], list[str], list[bool]]] = {}

    # ------------------------------------------------------------ compiling

    def _term(self, word: str, prefix: bool, exact: bool = False) -> int:
        """The id of one normalised word (`prefix*`, `=exact`), indexed for every way it matches."""
        key = (word, "prefix" if prefix else "exact" if exact else "word")
        if key in self._terms:
            return self._terms[key]
        tid = len(self._terms)
        self._terms[key] = tid
        if prefix:
            self._prefixes.setdefault(word[:3], []).append((word, tid))
            return tid
        if exact:
            self._exact.setdefault(word, set()).add(tid)
            return tid
        self._by_stem.setdefault(stem(word), set()).add(tid)
        self._by_squeezed.setdefault(squeeze(stem(word)), set()).add(tid)
        for form in inflections(word):
            # Two typos only for the word as written: its inflections tolerate one (the index
            # of two-deletion variants is most of the detector's build time and memory).
            depth = min(allowed_typos(len(form)), 2 if form == word else 1)
            if depth:
                fi = len(self._forms)
                self._forms.append((form, tid))
                typos = self._typos
                for variant in deletions(form, depth):
                    found = typos.get(variant)
                    if found is None:
                        typos[variant] = [fi]
                    else:
                        found.append(fi)
        return tid

    def _slot(self, slot: str) -> list[list[frozenset[int]]]:
        """One position of a pattern as branches: the one-word alternatives share a position;
        an alternative that is several words ("will not", from the alias of "won't") is a
        branch of several positions."""
        single: set[int] = set()
        branches: list[list[frozenset[int]]] = []
        for alt in self._alternatives(slot):
            star = alt.endswith("*")
            if alt.startswith("="):  # this exact form: no stem, no typo, no alias
                for w in words_of(alt[1:]):
                    single.add(self._term(w, False, exact=True))
                continue
            words = words_of(alt.rstrip("*"), self.lexicon.aliases)
            if len(words) == 1:
                single.add(self._term(words[0], star))
            elif words:
                ids = [self._term(w, star and k == len(words) - 1) for k, w in enumerate(words)]
                branches.append([frozenset({i}) for i in ids])
        if single:
            branches.insert(0, [frozenset(single)])
        return branches

    def _alternatives(self, slot: str) -> list[str]:
        """`a|@group|b`: the alternatives of one slot, with named groups spelled out."""
        out: list[str] = []
        for alt in slot.split("|"):
            if alt.startswith("@"):
                out.extend(self.lexicon.groups.get(alt[1:], ()))
            elif alt:
                out.append(alt)
        return out

    def _spelled_out(self, phrase: str) -> list[list[str]]:
        """Every word sequence a phrase with `a|b` slots stands for (for the safe phrases)."""
        seqs: list[list[str]] = [[]]
        for slot in phrase.split():
            options = [words_of(a, self.lexicon.aliases) for a in self._alternatives(slot)]
            options = [o for o in options if o]
            if options:
                seqs = [seq + o for seq in seqs for o in options]
        return [seq for seq in seqs if seq]

    def _add_pattern(self, category: int, text: str, *, cue: bool) -> None:
        sequences: list[list[frozenset[int]]] = [[]]
        for slot in text.replace("-", " ").split():
            branches = self._slot(slot)
            if branches:
                sequences = [seq + branch for seq in sequences for branch in branches]
        for positions in sequences:
            if not positions:
                continue
            pid = len(self._patterns)
            self._patterns.append(Pattern(category, tuple(positions), cue, text))
            self._second.append(positions[1] if len(positions) > 1 else None)
            for tid in positions[0]:
                self._starts.setdefault(tid, []).append(pid)

    def _addtogether(self, category: int, text: str) -> None:
        groups = []
        for part in text.split("+"):
            seqs = []
            for alt in self._alternatives(part.strip()):
                words = words_of(alt.replace("*", " * "), self.lexicon.aliases)
                ids: list[int] = []
                for k, w in enumerate(words):
                    if w == "*":
                        continue
                    star = k + 1 < len(words) and words[k + 1] == "*"
                    ids.append(self._term(w, star))
                if ids:
                    seqs.append(tuple(ids))
            if seqs:
                groups.append(tuple(seqs))
        if len(groups) >= 2:
            needed = tuple(frozenset(seq[0] for seq in g) for g in groups)
            index = len(self._together)
            self._together.append(Together(category, tuple(groups), needed, text))
            for tid in needed[0]:
                self._together_by_term.setdefault(tid, []).append(index)

    # ------------------------------------------------------------ matching

    def _terms_of(self, token: str) -> frozenset[int]:
        """Rule 3: every term this word matches (cached: most words repeat)."""
        hit = self._cache.get(token)
        if hit is not None:
            return hit
        found: set[int] = set(self._exact.get(token, ()))
        s = stem(token)
        found |= self._by_stem.get(s, set())
        found |= self._by_squeezed.get(squeeze(s), set())
        for prefix, tid in self._prefixes.get(token[:3], ()):
            if token.startswith(prefix):
                found.add(tid)
        if (
            not found
            and FUZZY_MIN - 1 <= len(token) <= FUZZY_LONGEST
            and token not in common_words()
            and (len(token) in self._number_typos or not token.isdigit())
        ):
            found |= self._typo_terms(token)
        if "*" in token:  # a self-censored word: "*" stands for one to three letters
            found |= self._censored_terms(token)
        result = frozenset(found)
        if len(self._cache) > 100_000:
            self._cache.clear()
        self._cache[token] = result
        return result

    def _censored_terms(self, token: str) -> set[int]:
        pattern = re.compile(
            "".join(
                ".{1,3}" if part == "*" else re.escape(part) for part in re.split(r"(\*)", token)
            )
        )
        return {tid for form, tid in self._forms if pattern.fullmatch(form)} | {
            tid
            for (word, how), tid in self._terms.items()
            if how == "word" and pattern.fullmatch(word)
        }

    def _typo_terms(self, token: str) -> set[int]:
        depth = allowed_typos(len(token) + 2)  # the intended word may be longer
        found: set[int] = set()
        for variant in deletions(token, max(depth, 1)):
            for fi in self._typos.get(variant, ()):
                form, tid = self._forms[fi]
                if tid in found:
                    continue
                allowed = allowed_typos(len(form))
                if allowed and DamerauLevenshtein.distance(token, form) <= allowed:  # verify
                    found.add(tid)
        return found

    def _masked(self, stems: Sequence[str]) -> list[bool]:
        """Rule 2: which words belong to a safe phrase or a name the bot uses."""
        n_stems = len(stems)
        masked = [False] * n_stems
        first = self._mask.root  # most words start no masked name: skip them at once
        i = 0
        while i < n_stems:
            n = self._mask.longest(stems, i) if stems[i] in first else 0
            if n:
                for j in range(i, i + n):
                    masked[j] = True
                i += n
            else:
                i += 1
        return masked

    def mask(self, words: Sequence[str]) -> list[bool]:
        """Which of a message's normalised words belong to a safe phrase or a name the bot uses."""
        return self._masked([stem(w) for w in words])

    def read(self, text: str) -> tuple[list[str], list[str], list[bool]]:
        """A message's words, their stems and which are masked (rules 1 and 2; the last few
        messages kept: the model reads the same words right after the check). Not to be
        changed by the caller."""
        hit = self._recent.get(text)
        if hit is None:
            tokens = words_of(text, self.lexicon.aliases)
            stems = [stem(t) for t in tokens]
            hit = (tokens, stems, self._masked(stems))
            if len(self._recent) >= 64:
                del self._recent[next(iter(self._recent))]
            self._recent[text] = hit
        return hit

    def find(self, text: str) -> Finding:
        """The categories a message is about, in reply order."""
        tokens, stems, masked = self.read(text)
        if not tokens:
            return Finding()
        cache = self._cache
        none: frozenset[int] = frozenset()
        terms = [
            none if m else (hit if (hit := cache.get(t)) is not None else self._terms_of(t))
            for t, m in zip(tokens, masked, strict=True)
        ]
        matched: set[int] = set()
        strong: set[int] = set()
        whole = self._exactly.get(tuple(stems))
        if whole is not None:
            matched.add(whole)
            strong.add(whole)
        where: dict[int, list[int]] = {}  # term id -> positions in the message
        for i, here in enumerate(terms):
            for tid in here:
                where.setdefault(tid, []).append(i)
        present = set(where)
        cued: set[int] = set()
        seconds, patterns, starting = self._second, self._patterns, self._starts
        for tid, starts in where.items():
            for pid in starting.get(tid, ()):
                # A phrase whose second position is nowhere in the message cannot match (most
                # phrases a message's words start are ruled out here, before `follows`).
                second = seconds[pid]
                if second is not None and second.isdisjoint(present):
                    continue
                pattern = patterns[pid]
                cue, category = pattern.cue, pattern.category
                if category in (cued if cue else matched) and (
                    cue or second is None or category in strong
                ):
                    continue
                if second is None or any(
                    follows(terms, i + 1, pattern.positions, 1) for i in starts
                ):
                    (cued if cue else matched).add(category)
                    if not cue and second is not None:
                        strong.add(category)
                    if self._why is not None:
                        self._why.setdefault(category, pattern.source)
        candidates = sorted({i for tid in present for i in self._together_by_term.get(tid, ())})
        for index in candidates:
            t = self._together[index]
            if t.category in strong or any(n.isdisjoint(present) for n in t.needed[1:]):
                continue
            if together(terms, where, t.groups):
                matched.add(t.category)
                strong.add(t.category)
                if self._why is not None:
                    self._why.setdefault(t.category, t.source)
        # Rule 6: a cue of urgency only counts alongside another category.
        if matched and cued - matched and any(c not in cued for c in matched):
            matched |= cued
        order = sorted(matched)
        ids = self.lexicon.categories
        return Finding(
            tuple(ids[i].id for i in order), frozenset(ids[i].id for i in strong), whole is not None
        )

    def explain(self, text: str) -> list[tuple[str, str]]:
        """(category id, the lexicon entry that matched first) for each category found."""
        self._why = {}
        try:
            finding = self.find(text)
            by_id = {c.id: i for i, c in enumerate(self.lexicon.categories)}
            return [
                (c, self._why.get(by_id[c], "urgency cue or whole message"))
                for c in finding.categories
            ]
        finally:
            self._why = None

    def reply(self, finding: Finding) -> str:
        """One short message: the matched categories' help, most urgent first, then the footer."""
        by_id = {c.id: c for c in self.lexicon.categories}
        blocks = [by_id[c].reply for c in finding.categories[: self.lexicon.max_blocks]]
        return "\n\n".join([*blocks, self.lexicon.footer]) if blocks else ""

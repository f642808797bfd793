"""Words as the understanding layer reads them (rules 1 and 3 of bot/domain/safety.py):
normalising a message into words, stems with irregular verbs, doubled letters, and the surface
forms and deletions that typo matching compares. Pure; reads only the packaged word list."""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache
from importlib import resources

import snowballstemmer

FUZZY_MIN = 5  # shortest word (letters) that tolerates one typo
FUZZY_TWO = 9  # shortest word that tolerates two
FUZZY_LONGEST = 20  # longer "words" are not words: never searched for typos (cost grows as n²)
_NOT_WORD = re.compile(r"[^\w*]+|_+")
_CENSORED = re.compile(r"(?<=[^\W\d_])\*+(?=[^\W\d_])")  # "p*ki", "f**k": kept inside a word
_APOSTROPHES = re.compile(r"['’‘`´]")
_LAUGHING = re.compile("[\U0001F602\U0001F923\U0001F606\U0001F639]")  # 😂 🤣 😆 😹: "lol"
_REPEATS = re.compile(r"(\w)\1{2,}")
_SQUEEZE = re.compile(r"(\w)\1+")
_AGED = re.compile(r"\b(\d{1,2})(yo|yr|yrs)\b")  # "14yo": "14 yo"
# Polish letters read without their accents: many type Polish without them ("noz" for "nóż"),
# so both spellings are one word to the rules and the model. English has none of these letters.
_FOLD = str.maketrans("ąćęłńóśźż", "acelnoszz")
# Aliases that mean their expansion only after a number: "my 7 yo" is seven years old, but "yo"
# alone is a greeting.
AFTER_NUMBER = frozenset({"yo"})


@cache
def common_words() -> frozenset[str]:
    """English words frequent enough that they are never taken for a typo of a lexicon word."""
    text = resources.files("bot.domain").joinpath("data/common_en.txt").read_text("utf-8")
    return frozenset(w for w in text.split() if not w.startswith("#") and w.isalpha())


_stemmer = snowballstemmer.stemmer("english")

# Irregular verb forms count as their verb (Snowball only strips regular endings). Forms that are
# common as other words are left out: left, lit, shot, found, felt, saw.
IRREGULAR = {
    form: base
    for base, forms in {
        "break": "broke broken", "steal": "stole stolen", "beat": "beaten",
        "throw": "threw thrown", "take": "took taken", "run": "ran", "fight": "fought",
        "catch": "caught", "bite": "bit bitten", "drive": "drove driven", "hide": "hid hidden",
        "sell": "sold", "tell": "told", "spit": "spat", "strike": "struck", "swear": "swore sworn",
        "tear": "tore torn", "wake": "woke woken", "hang": "hung", "keep": "kept", "lend": "lent",
        "hold": "held", "send": "sent", "go": "went gone", "come": "came", "get": "got gotten",
        "make": "made", "fall": "fell fallen", "sleep": "slept", "bring": "brought",
        "stick": "stuck", "shake": "shook shaken", "ride": "rode ridden", "blow": "blew blown",
        "burn": "burnt", "lose": "lost", "pay": "paid", "rape": "raped", "say": "said",
    }.items()
    for form in forms.split()
}  # fmt: skip


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    if word.isdigit() and word.isascii():  # "4001": Snowball has no rule for digits (35 µs)
        return word
    return _stemmer.stemWord(IRREGULAR.get(word, word))


def squeeze(word: str) -> str:
    """Doubled letters count once: "stabbed" and "stabed" are both "stabed"."""
    return _SQUEEZE.sub(r"\1", word)


@lru_cache(maxsize=64)
def _split(text: str) -> tuple[str, ...]:
    """Rule 1 before aliases (kept for the last few texts: the safeguarding and the intent
    rules read the same message, each with its own aliases). Polish letters without accents."""
    text = unicodedata.normalize("NFKC", text).lower().translate(_FOLD)
    text = _APOSTROPHES.sub("", text)
    text = _LAUGHING.sub(" lol ", text)
    text = _NOT_WORD.sub(" ", text)
    text = _REPEATS.sub(r"\1\1", text)
    if "y" in text:
        text = _AGED.sub(r"\1 \2", text)
    return tuple(text.split())


def words_of(text: str, aliases: dict[str, str] | None = None) -> list[str]:
    """Rule 1: the normalised words of a message (Polish letters without accents)."""
    out: list[str] = []
    for w in _split(text):
        if "*" in w:
            w = _CENSORED.sub("*", w).strip("*").replace("**", "*")
            if not w.replace("*", ""):
                continue
        alias = aliases.get(w) if aliases else None
        if alias:
            alias = alias.translate(_FOLD)
        if alias and w in AFTER_NUMBER and not (out and out[-1].isdigit()):
            alias = None
        out.extend(alias.split() if alias else (w,))
    return out


def inflections(word: str) -> set[str]:
    """Surface forms a typo is compared with: the word and its usual endings."""
    forms = {word, word + "s", word + "ed", word + "ing", word + "er"}
    if word.endswith("e"):
        forms |= {word + "d", word[:-1] + "ing", word + "r"}
    if word.endswith("y"):
        forms |= {word[:-1] + "ies", word[:-1] + "ied"}
    if len(word) >= 3 and word[-1] not in "aeiouwxy" and word[-2] in "aeiou":
        forms |= {word + word[-1] + "ed", word + word[-1] + "ing", word + word[-1] + "er"}
    return forms


def deletions(word: str, depth: int) -> set[str]:
    out = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        out |= frontier
    return out


def allowed_typos(length: int) -> int:
    if length >= FUZZY_TWO:
        return 2
    return 1 if length >= FUZZY_MIN else 0

"""How a message frames what it mentions: happening now, in the past, asked about, and how old.

Pure. The safeguarding words say *what* a message is about ("stabbed", "burglary"); the frame
says whether it calls for help now. "someone was stabbed outside my house right now" and "was
there a stabbing in CMK in the 90s" share their topic word, not their frame. The understanding
layer (bot/domain/understanding.py) gives the frames to the model as features, so it learns how
far each one moves each topic, and uses two of them in its decisions:

- **now**: words of the present moment ("right now", "rn", "as we speak", "still outside");
- **past**: time words of the past ("last night", "yesterday", "years ago", "in the 90s");
- **asking**: a request for tips or information, not a report ("any tips to stop my bike getting
  nicked", "how do I spot a scam", "was there ever a bank robbery in Bedford");
- **opinion**: a view on the partnership's work, an answer to one of its questions or talk of
  its meetings: priorities, survey answers ("my answer to question 2 is burglary", "our main
  worry is vandalism", "the NAG spends too long on parking and not enough on burglaries");
- **list**: a few words that name things and tell no story: none of the language's story words
  (a person, a plea, a question or time word, a verb of being or having) and no number ("ASB
  and littering", "knife crime among young people"), as survey answers and priorities are
  written;
- **minor** / **adult**: an age stated in the message ("I'm 15", "my daughter is 24", "(22)");
- **joke**: laughter or a joke said as one ("lol", "haha", "jk", 😂: bot/domain/words.py reads
  the laughing faces as "lol"), round 8.

The phrases and the words that make a number an age are each language's content
(content/frames.yaml for English, content/<lang>/frames.yaml added to it: bot/content/frames.py
loads them into FrameWords). Matching is on the normalised words of bot/domain/words.py (aliases
applied: "rn" is "right now"), each phrase's words in order and next to each other.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

NOW = "now"
PAST = "past"
ASKING = "asking"
OPINION = "opinion"
LIST = "list"
MINOR = "minor"
ADULT = "adult"
JOKE = "joke"
FRAMES = (NOW, PAST, ASKING, OPINION, LIST, MINOR, ADULT, JOKE)  # the order frames_of gives them in

_DECADE = re.compile(r"\d0s")  # "the 90s", "1980s"
MAX_LIST = 6  # words: a longer message is a sentence, not a list


def _expand(pattern: str) -> list[tuple[str, ...]]:
    """A phrase's word sequences: "last night|week" is "last night" and "last week" (as in
    content/safety.yaml, | gives alternatives for one place)."""
    out: list[tuple[str, ...]] = [()]
    for place in pattern.split():
        out = [(*seq, alt) for seq in out for alt in place.split("|") if alt]
    return out


@dataclass(frozen=True)
class FrameWords:
    """A language's frame words (content/frames.yaml, and content/<lang>/frames.yaml added to
    them): phrases per frame (words normalised as bot/domain/words.py reads them, | for
    alternatives in one place), and the words before or after a number that make it an age
    ("im 15", "aged 9"; "my 14 year old"), and the words that tell a story, so that a short
    message without any is a list ("vandalism and speeding"; none: no list frame)."""

    phrases: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (frame, its phrases), by frame
    age_before: tuple[str, ...] = ()
    age_after: tuple[str, ...] = ()
    story: tuple[str, ...] = ()

    def merged(self, other: FrameWords) -> FrameWords:
        """These words and `other`'s (a language's view reads English's frames and its own)."""
        mine, theirs = dict(self.phrases), dict(other.phrases)
        return FrameWords(
            phrases=tuple(
                (f, _union(mine.get(f, ()), theirs.get(f, ())))
                for f in FRAMES if f in mine or f in theirs
            ),
            age_before=_union(self.age_before, other.age_before),
            age_after=_union(self.age_after, other.age_after),
            story=_union(self.story, other.story),
        )  # fmt: skip

    @cached_property
    def index(self) -> dict[str, list[tuple[tuple[str, ...], str]]]:
        """Each phrase's words and frame, by its first word."""
        out: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for frame, patterns in self.phrases:
            for pattern in patterns:
                for words in _expand(pattern):
                    out.setdefault(words[0], []).append((words, frame))
        return out

    @cached_property
    def story_words(self) -> frozenset[str]:
        return frozenset(self.story)

    @cached_property
    def ages(self) -> tuple[frozenset[str], frozenset[str]]:
        return frozenset(self.age_before), frozenset(self.age_after)


def _union(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    return (*a, *(x for x in b if x not in a))


def frames_of(words: Sequence[str], table: FrameWords) -> tuple[str, ...]:
    """The frames of a message given as its normalised words, in a fixed order (`table`: the
    frame words of the message's language, content/frames.yaml)."""
    found: set[str] = set()
    index = table.index
    story = table.story_words
    if story and 0 < len(words) <= MAX_LIST and not any(w in story or w.isdigit() for w in words):
        found.add(LIST)
    for i, w in enumerate(words):
        for phrase, frame in index.get(w, ()):
            if tuple(words[i : i + len(phrase)]) == phrase:
                found.add(frame)
        if _DECADE.fullmatch(w) or (w.isdigit() and len(w) == 4 and w[:2] in ("19", "20")):
            found.add(PAST)  # "in the 90s", "back in 2019"
        age = _age(words, i, table)
        if age is not None:
            found.add(MINOR if age < 18 else ADULT)
    return tuple(f for f in FRAMES if f in found)


def _age(words: Sequence[str], i: int, table: FrameWords) -> int | None:
    w = words[i]
    if not (w.isdigit() and len(w) <= 3):
        return None
    n = int(w)
    before = words[i - 1] if i else ""
    after = words[i + 1] if i + 1 < len(words) else ""
    age_before, age_after = table.ages
    if before in age_before or after in age_after:
        return n if 0 < n < 110 else None
    return None


def frames_settings() -> tuple[object, ...]:
    """How frames are found beside the content's words (part of a stored model's key, with the
    FrameWords: the model learns from the frames)."""
    return (FRAMES, _DECADE.pattern, "years 19xx 20xx", "age 0 < n < 110, minor < 18",
            f"list: at most {MAX_LIST} words, no story word, no number")  # fmt: skip

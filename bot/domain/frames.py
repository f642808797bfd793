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
- **list**: a few words that name things and tell no story: no person, no time, no plea ("ASB
  and littering", "knife crime among young people"), as survey answers and priorities are
  written; the model alone weighs it (a cry such as "house on fire" is short too);
- **minor** / **adult**: an age stated in the message ("I'm 15", "my daughter is 24", "(22)").

Matching is on the normalised words of bot/domain/words.py (aliases applied: "rn" is "right
now"), each phrase's words in order and next to each other.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

NOW = "now"
PAST = "past"
ASKING = "asking"
OPINION = "opinion"
LIST = "list"
MINOR = "minor"
ADULT = "adult"

_DAYS = "monday tuesday wednesday thursday friday saturday sunday weekend"
# Only ways to *prevent* something: "best way to end it" or "how many tablets would it take" is
# not a request for tips.
_PREVENT = ("stop", "prevent", "protect", "keep", "avoid", "spot", "secure", "deter")

_PHRASES: dict[str, tuple[str, ...]] = {
    NOW: (
        "right now", "as we speak", "at the moment", "currently", "just now", "still here",
        "still there", "still outside", "still going", "still in", "happening now",
        "going on now", "is here", "are here", "hurry", "asap", "quick",
    ),
    PAST: (
        "yesterday", "ago", "the other day", "the other night", "earlier today",
        "this morning", "back in", "years back", "history", "historic", "historical",
        *(f"last {w}" for w in f"night week month year time summer winter {_DAYS}".split()),
        *(f"on {w}" for w in _DAYS.split()),
    ),
    ASKING: (
        "tips", "tip on", "tip for", "any advice", "advice on", "advice about", "advise",
        *(f"{w} {v}" for w in ("best way to", "ways to", "way to") for v in _PREVENT),
        "how do i stop", "how can i stop", "how to stop",
        "how do i prevent", "how can i prevent", "how to prevent", "how do i protect",
        "how can i protect", "how to protect", "how do i spot", "how can i spot",
        "how to spot", "how do i avoid", "how to avoid", "how do i keep", "how to keep",
        "stop my", "keep burglars", "is it true", "was there ever", "was there a",
        "were there", "did they ever", "who were", "school project",
        "for a project", "for my homework", "famous",
        # round 6: questions about protecting oneself or about a scheme, not reports
        "should i know", "is it worth", "worth getting", "waste of money", "do they work",
        "actually work", "information on", "information about", "info on", "leaflet",
        "can i read",
    ),
    OPINION: (
        "my answer", "answer to", "question 1", "question 2", "question 3", "question 4",
        "main worry", "main worries", "main concern", "main concerns", "biggest problem",
        "biggest issue", "biggest worry", "biggest concern", "top priority", "priority",
        "priorities", "not enough on", "too long on", "too much time on", "should focus",
        "should spend", "should prioritise", "the nag", "the meeting", "last meeting",
        "next meeting", "the survey", "in my opinion", "imo", "i vote", "i would vote",
        "my vote", "we need more", "more patrols", "is a problem round here",
        "is an issue", "a big issue", "a big problem",
    ),
}  # fmt: skip
_INDEX: dict[str, list[tuple[tuple[str, ...], str]]] = {}
for _frame, _phrases in _PHRASES.items():
    for _p in _phrases:
        _words = tuple(_p.split())
        _INDEX.setdefault(_words[0], []).append((_words, _frame))

_DECADE = re.compile(r"\d0s")  # "the 90s", "1980s"
# "im 15", "she is 24", "aged 9", "(22)": a number read as an age after these words
_AGE_BEFORE = frozenset({"am", "is", "aged", "age", "im", "shes", "hes", "only", "turned"})
_AGE_AFTER = ("year", "years", "yr", "yrs")  # "my 14 year old"


# "list": a person, a time, a plea or a question word tells a story or asks for something
_STORY = frozenset(
    "i im ive me my mine we our us you your he hes him his she shes her they theyre them their "
    "someone somebody anyone everyone nobody man men woman women guy lad lads girl boy kid kids "
    "child son daughter mum dad mother father wife husband partner neighbour friend "
    "help please pls now tonight today just still again who what why how where when is are was "
    "were been being has have had do does did can cant will wont keeps keep got".split()
)
MAX_LIST = 6  # words: longer than this is a sentence


def frames_of(words: Sequence[str]) -> tuple[str, ...]:
    """The frames of a message given as its normalised words, in a fixed order."""
    found: set[str] = set()
    if 0 < len(words) <= MAX_LIST and not any(w in _STORY or w.isdigit() for w in words):
        found.add(LIST)
    for i, w in enumerate(words):
        for phrase, frame in _INDEX.get(w, ()):
            if tuple(words[i : i + len(phrase)]) == phrase:
                found.add(frame)
        if _DECADE.fullmatch(w) or (w.isdigit() and len(w) == 4 and w[:2] in ("19", "20")):
            found.add(PAST)  # "in the 90s", "back in 2019"
        age = _age(words, i)
        if age is not None:
            found.add(MINOR if age < 18 else ADULT)
    return tuple(f for f in (NOW, PAST, ASKING, OPINION, LIST, MINOR, ADULT) if f in found)


def _age(words: Sequence[str], i: int) -> int | None:
    w = words[i]
    if not (w.isdigit() and len(w) <= 3):
        return None
    n = int(w)
    before = words[i - 1] if i else ""
    after = words[i + 1] if i + 1 < len(words) else ""
    if before in _AGE_BEFORE or after in _AGE_AFTER:
        return n if 0 < n < 110 else None
    return None


def frames_settings() -> tuple[object, ...]:
    """The phrase lists (part of a stored model's key: the model learns from the frames)."""
    return (tuple(sorted(_PHRASES.items())), sorted(_STORY), MAX_LIST)

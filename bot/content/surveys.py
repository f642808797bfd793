"""content/surveys/*.yaml: surveys as frozen objects (what the rest of the bot reads), and the
limits their files are held to.

Read and checked by bot/content/survey_loading.py (every problem as `file:line: message`), after
bot/content/survey_schema.py has parsed the YAML. Imports neither telegram nor SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from bot.telegram.limits import MAX_BUTTON_LABEL

# Conditions about one multi / top / text question (their combinations are tried: 2 ** n).
MAX_CONDITIONS_ON_PICKS = 10
QuestionType = Literal["single", "multi", "rating", "yesno", "text", "number", "top"]
CHOICE_TYPES = ("single", "multi", "top")
END = "end"
MAX_ID = 24
MAX_LABEL = MAX_BUTTON_LABEL
# Room left in a message for the progress line, the resident's earlier answer and hints.
MAX_QUESTION_TEXT = 3500
# Largest response number and step assumed when checking button data against 64 bytes.
LONGEST_RESPONSE_ID = 10**12
LONGEST_STEP = 10**6
MAX_TITLE = 60  # a question's short title for officers' results (`title:`)
# Instructions to residents, left out of a question's text when officers read results without
# a `title:`: a sentence starting with one of these words, or a bracketed aside starting so.
_INSTRUCTION = re.compile(
    r"\s*\((?:type|pick|press|tap|choose|select|optional|for example)\b[^)]*\)"
    r"|(?:(?<=[.?!])|^)\s*(?:type|pick|press|tap|choose|select)\b[^.?!]*[.?!]",
    re.IGNORECASE,
)
ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
SCALES = {"1-5": (1, 5), "0-10": (0, 10)}


# ---------------------------------------------------------------- typed, frozen objects


@dataclass(frozen=True)
class Option:
    id: str
    label: str


@dataclass(frozen=True)
class Condition:
    """True when an earlier answer is one of `values`, or (rating/number) within the bounds."""

    question: str
    values: tuple[str, ...] = ()
    at_least: float | None = None
    at_most: float | None = None


@dataclass(frozen=True)
class Jump:
    when: Condition
    goto: str  # a question id or "end"


@dataclass(frozen=True)
class Question:
    id: str
    type: QuestionType
    text: str
    required: bool = True
    options: tuple[Option, ...] = ()
    min: int | None = None  # picks (multi), value (number)
    max: int | None = None
    pick: int = 3  # top N
    scale: tuple[int, int] = (1, 5)
    low: str = ""
    high: str = ""
    max_length: int = 1000
    show_if: Condition | None = None
    jumps: tuple[Jump, ...] = ()
    goto: str | None = None  # unconditional next question (after jumps)
    line: int = 0
    yes_no: tuple[str, str] = ("Yes", "No")  # the labels of a yes/no question, from the texts
    title: str = ""  # a short title for officers' results; "" when the survey gives none

    @property
    def short_title(self) -> str:
        """The question as officers' results name it: its `title:`, or its text without the
        instructions to residents ("Pick up to three, then press Done.")."""
        return self.title or strip_instructions(self.text)

    def label(self, value: str) -> str:
        """Human label of a stored value (option label, yes/no, or the value itself)."""
        for o in self.choices():
            if o.id == value:
                return o.label
        return value

    def choices(self) -> tuple[Option, ...]:
        """The buttons offered: options, yes/no, or the rating scale."""
        if self.type in CHOICE_TYPES:
            return self.options
        if self.type == "yesno":
            return (Option("yes", self.yes_no[0]), Option("no", self.yes_no[1]))
        if self.type == "rating":
            lo, hi = self.scale
            return tuple(Option(str(v), str(v)) for v in range(lo, hi + 1))
        return ()


@dataclass(frozen=True)
class Survey:
    id: str
    title: str
    intro: str
    privacy: str
    thanks: str
    opens: date
    closes: date
    audience: Literal["everyone", "nags", "link"]
    nags: tuple[str, ...]
    anonymous: bool
    repeatable: bool
    changeable: bool
    questions: tuple[Question, ...]
    file: str = ""

    def question(self, qid: str | None) -> Question | None:
        for q in self.questions:
            if q.id == qid:
                return q
        return None

    def index(self, qid: str) -> int:
        for i, q in enumerate(self.questions):
            if q.id == qid:
                return i
        raise KeyError(qid)


def strip_instructions(text: str) -> str:
    """A question without its instructions to residents: "Which of these worry you most in
    your area? Pick up to three, then press Done." -> "Which of these worry you most in your
    area?" (the text itself when nothing else would be left)."""
    stripped = " ".join(_INSTRUCTION.sub("", text).split())
    return stripped or text

"""Survey rules, pure: who may answer, which question comes next, answer checks, progress,
results arithmetic with small-number suppression and the rules that stop small groups being
worked out (see "results and disclosure control"), and the pseudonymous respondent key.

Answers are `tuple[str, ...]` (one value for most types, several for multi-choice, ranked for
"top N") or None for a skipped question. Nothing here touches telegram or SQL.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from bot.content.keys import TextKey
from bot.content.surveys import END, Condition, Question, Survey

Answer = tuple[str, ...] | None
Answers = Mapping[str, Answer]
STOP_WORDS = frozenset({"stop", "cancel", "quit"})


def pseudonym(secret: str, chat_id: int) -> str:
    """HMAC-SHA256 of the chat id: responses are keyed by this, never by the chat id."""
    return hmac.new(secret.encode(), str(chat_id).encode(), hashlib.sha256).hexdigest()


# ---------------------------------------------------------------- availability

Status = Literal["upcoming", "open", "closed"]
Need = Literal["area", "consent"]


def status(survey: Survey, today: date) -> Status:
    if today < survey.opens:
        return "upcoming"
    if today > survey.closes:
        return "closed"
    return "open"


def needs_area(survey: Survey) -> bool:
    """Whether a resident must choose their area before starting `survey`.

    The results of a survey open to everyone or to listed NAGs are read per NAG: officers' view
    of one NAG, each NAG's top three priorities, and the "you said, we did" message, which
    carries the resident's own NAG's figures. A response without a NAG counts in none of those,
    and a NAG list can't be checked without one. A link-only survey (the partnership review) is
    answered by partner organisations about the partnership, not about where someone lives; its
    results are read as a whole, so a home area would be a needless question and a split that
    means nothing."""
    return survey.audience != "link"


def first_need(survey: Survey, *, has_area: bool, consent_answered: bool) -> Need | None:
    """What to ask before starting `survey`, one thing at a time: the area, then (once) whether
    they want messages, which is how its results reach them. None: start it now."""
    if not needs_area(survey):
        return None
    if not has_area:
        return "area"
    if not consent_answered:
        return "consent"
    return None


def listed_for(survey: Survey, nag_id: str | None) -> bool:
    """Shown in /survey: everyone with an area, or the resident's NAG is listed (link-only never
    listed). Without an area nothing is listed: every listed survey needs one (`needs_area`)."""
    if survey.audience == "everyone":
        return nag_id is not None
    if survey.audience == "nags":
        return nag_id is not None and nag_id in survey.nags
    return False


def may_open(survey: Survey, nag_id: str | None, via_link: bool) -> bool:
    """A deep link opens link-only surveys too; NAG-limited surveys need the right NAG."""
    if survey.audience == "link":
        return via_link
    return listed_for(survey, nag_id)


# ---------------------------------------------------------------- flow


def holds(c: Condition, answers: Answers) -> bool:
    ans = answers.get(c.question)
    if not ans:
        return False
    if c.values and not set(ans) & set(c.values):
        return False
    if c.at_least is not None or c.at_most is not None:
        try:
            v = float(ans[0])
        except ValueError:
            return False
        if c.at_least is not None and v < c.at_least:
            return False
        if c.at_most is not None and v > c.at_most:
            return False
    return True


def visible(q: Question, answers: Answers) -> bool:
    return q.show_if is None or holds(q.show_if, answers)


def first_question(survey: Survey, answers: Answers | None = None) -> Question | None:
    return _first_visible_from(survey, 0, answers or {})


def _first_visible_from(survey: Survey, i: int, answers: Answers) -> Question | None:
    while i < len(survey.questions):
        q = survey.questions[i]
        if visible(q, answers):
            return q
        i += 1
    return None


def next_question(survey: Survey, current: Question, answers: Answers) -> Question | None:
    """The question after `current` given the answers so far; None means the survey is done."""
    target: str | None = None
    for jump in current.jumps:
        if holds(jump.when, answers):
            target = jump.goto
            break
    if target is None:
        target = current.goto
    if target == END:
        return None
    start = survey.index(target) if target else survey.index(current.id) + 1
    return _first_visible_from(survey, start, answers)


def route(survey: Survey, answers: Answers, until: str | None = None) -> list[Question]:
    """Questions asked, in order, following the answers (stops at `until` or the first gap)."""
    out: list[Question] = []
    q = first_question(survey, answers)
    while q is not None and q.id != until:
        out.append(q)
        if q.id not in answers:
            break
        q = next_question(survey, q, answers)
    return out


def previous_question(survey: Survey, current: str, answers: Answers) -> Question | None:
    """Where Back goes: the question asked before `current` on the resident's route."""
    before = route(survey, answers, until=current)
    if before and before[-1].id == current:  # `current` not on the route: go to its last step
        before = before[:-1]
    return before[-1] if before else None


def final_route(survey: Survey, answers: Answers) -> list[str] | None:
    """Question ids answered on a complete route, or None if some question is still due."""
    ids: list[str] = []
    q = first_question(survey, answers)
    while q is not None:
        if q.id not in answers:
            return None
        ids.append(q.id)
        q = next_question(survey, q, answers)
    return ids


@dataclass(frozen=True)
class Progress:
    """Where the resident is: question `n` of `total` ("of up to `total`" unless `fixed`)."""

    n: int  # position of the current question on the resident's route (1 = the first)
    total: int  # questions on the longest route still possible from here
    fixed: bool  # every route still possible has exactly `total` questions


def progress(survey: Survey, current: str, answers: Answers) -> Progress:
    """Question n of (up to) total, stable as the resident goes forward.

    `total` counts the longest route any answers still to be given could take (jumps and
    questions shown only for some answers included), so it never grows when the resident goes
    forward: an answer can only rule routes out. When every route left has the same length it
    is exact ("Question 6 of 9"); otherwise it is a bound ("Question 6 of up to 10").
    """
    n = len(route(survey, answers, until=current)) + 1
    if survey.question(current) is None:
        return Progress(n, n, True)
    shortest, longest = _Routes(survey, answers).from_question(survey.index(current))
    return Progress(n, n - 1 + longest, shortest == longest)


# A hypothetical answer to a question, as far as the route depends on it: the set of conditions
# (of jumps and show_if, anywhere in the survey) about that question that it satisfies.
_Signature = frozenset[Condition]


class _Routes:
    """Shortest and longest routes from a question, over every answer still to be given.

    Answers already given decide conditions about questions not asked again on the way (as in
    `next_question`, which reads the same answers); a question asked on the way decides its
    conditions by the answer it gets there, explored as one branch per distinct outcome. The
    survey is a forward-only graph (the validator refuses loops), so this ends; memoised on the
    question and the outcomes that later conditions still read.
    """

    def __init__(self, survey: Survey, answers: Answers) -> None:
        self.survey = survey
        self.answers = answers
        self.about: dict[str, list[Condition]] = {}  # question -> conditions about it
        self.last_read: dict[str, int] = {}  # question -> last index where one is read
        for i, q in enumerate(survey.questions):
            conds = [j.when for j in q.jumps]
            if q.show_if is not None:
                conds.append(q.show_if)
            for c in conds:
                if c not in self.about.setdefault(c.question, []):
                    self.about[c.question].append(c)
                self.last_read[c.question] = max(self.last_read.get(c.question, -1), i)
        self.memo: dict[tuple[int, frozenset[tuple[str, _Signature]]], tuple[int, int]] = {}

    def _holds(self, c: Condition, env: Mapping[str, _Signature]) -> bool:
        sig = env.get(c.question)
        return c in sig if sig is not None else holds(c, self.answers)

    def _enter(self, i: int, env: dict[str, _Signature]) -> tuple[int, int]:
        """Routes from index i on, passing over questions not shown."""
        questions = self.survey.questions
        while i < len(questions):
            q = questions[i]
            if q.show_if is None or self._holds(q.show_if, env):
                return self._asked(i, env)
            i += 1
        return 0, 0

    def from_question(self, i: int) -> tuple[int, int]:
        return self._asked(i, {})

    def _asked(self, i: int, env: dict[str, _Signature]) -> tuple[int, int]:
        key = (i, frozenset((k, v) for k, v in env.items() if self.last_read.get(k, -1) >= i))
        if key in self.memo:
            return self.memo[key]
        q = self.survey.questions[i]
        shortest, longest = len(self.survey.questions) + 1, 0
        for sig in self._outcomes(q):
            moved = {**env, q.id: sig}
            target = next((j.goto for j in q.jumps if self._holds(j.when, moved)), q.goto)
            if target == END:
                rest = (0, 0)
            else:
                rest = self._enter(self.survey.index(target) if target else i + 1, moved)
            shortest, longest = min(shortest, 1 + rest[0]), max(longest, 1 + rest[1])
        self.memo[key] = (shortest, longest)
        return shortest, longest

    def _outcomes(self, q: Question) -> set[_Signature]:
        """Every distinct set of conditions about `q` that some answer to it satisfies."""
        conds = self.about.get(q.id, [])
        if not conds:
            return {frozenset()}
        candidates: list[Answer] = [] if q.required else [None]
        if q.type in ("single", "yesno", "rating"):
            candidates += [(o.id,) for o in q.choices()]
        elif q.type == "number":
            candidates += [(str(v),) for v in _numbers_worth_trying(q, conds)]
        else:
            # Picks and free text: any combination of outcomes is assumed possible (a bound).
            out: set[_Signature] = set()
            for mask in range(2 ** len(conds)):
                out.add(frozenset(c for k, c in enumerate(conds) if mask >> k & 1))
            return out
        return {frozenset(c for c in conds if holds(c, {q.id: a})) for a in candidates}


def _numbers_worth_trying(q: Question, conds: Sequence[Condition]) -> list[int]:
    """Whole numbers in the question's range on each side of every bound the conditions use."""
    points: set[int] = set()
    for c in conds:
        for bound in (c.at_least, c.at_most):
            if bound is not None:
                f = math.floor(bound)
                points.update({f - 1, f, f + 1, f + 2})
        for v in c.values:
            if re.fullmatch(r"-?\d{1,9}", v):
                points.update({int(v) - 1, int(v), int(v) + 1})
    for edge in (q.min, q.max):
        if edge is not None:
            points.add(edge)
    lo = q.min if q.min is not None else -(10**9)
    hi = q.max if q.max is not None else 10**9
    inside = sorted(p for p in points if lo <= p <= hi)
    # Values between two tried points satisfy the same conditions as one of them, and values
    # beyond all of them the same as the outermost: add one step past each end to be sure.
    if inside and inside[0] - 1 >= lo:
        inside.insert(0, inside[0] - 1)
    if inside and inside[-1] + 1 <= hi:
        inside.append(inside[-1] + 1)
    return inside or [lo]


# ---------------------------------------------------------------- answers


@dataclass(frozen=True)
class Invalid:
    """Why an answer was refused: a text key and its placeholders."""

    key: TextKey
    values: dict[str, object] = field(default_factory=dict)


def parse_typed(q: Question, text: str) -> tuple[str, ...] | Invalid:
    """Check a typed answer; choice questions accept a label typed exactly (any case)."""
    text = text.strip()
    if q.type == "text":
        if not text:
            return Invalid("survey.bad_empty")
        if len(text) > q.max_length:
            return Invalid("survey.bad_too_long", {"max": q.max_length, "length": len(text)})
        return (text,)
    if q.type == "number":
        cleaned = text.replace(",", "")
        if not re.fullmatch(r"-?\d{1,9}", cleaned):
            return Invalid("survey.bad_number", number_range(q))
        value = int(cleaned)
        if (q.min is not None and value < q.min) or (q.max is not None and value > q.max):
            return Invalid("survey.bad_range", number_range(q))
        return (str(value),)
    if q.type == "rating":
        lo, hi = q.scale
        if re.fullmatch(r"\d{1,2}", text) and lo <= int(text) <= hi:
            return (str(int(text)),)
        return Invalid("survey.bad_rating", {"min": lo, "max": hi})
    if q.type == "yesno":
        word = text.lower().rstrip(".!")
        if word in ("yes", "y", "yeah", "yep"):
            return ("yes",)
        if word in ("no", "n", "nope"):
            return ("no",)
        return Invalid("survey.bad_choice")
    if q.type == "single":
        for o in q.options:
            if o.label.casefold() == text.casefold():
                return (o.id,)
        return Invalid("survey.bad_choice")
    # multi and top need the buttons: several picks can't be typed reliably.
    return Invalid("survey.bad_buttons")


def number_range(q: Question) -> dict[str, object]:
    return {
        "min": q.min if q.min is not None else "any",
        "max": q.max if q.max is not None else "any",
    }


def button_answer(q: Question, value: str) -> tuple[str, ...] | None:
    """A single-press answer (single, yes/no, rating) if `value` is one of its buttons."""
    if q.type not in ("single", "yesno", "rating"):
        return None
    return (value,) if value in {o.id for o in q.choices()} else None


def toggle(q: Question, picks: tuple[str, ...], option: str) -> tuple[str, ...] | Invalid:
    """Add or remove a pick (multi, top); refuses more than the question allows."""
    if option not in {o.id for o in q.options}:
        return Invalid("survey.stale")
    if option in picks:
        return tuple(p for p in picks if p != option)
    limit = q.pick if q.type == "top" else (q.max or len(q.options))
    if len(picks) >= limit:
        return Invalid("survey.too_many", {"max": limit})
    return (*picks, option)


def check_picks(q: Question, picks: tuple[str, ...]) -> Invalid | None:
    """Done pressed: enough picks? (An optional question with no picks is a skip.)"""
    if q.type == "top":
        need = min(q.pick, len(q.options))
        if len(picks) != need and (picks or q.required):
            return Invalid("survey.pick_exactly", {"n": need})
        return None
    lo = q.min or 0
    if not picks and not q.required:
        return None
    if len(picks) < max(lo, 1):
        return Invalid("survey.too_few", {"min": max(lo, 1)})
    return None


def is_stop(text: str) -> bool:
    return text.strip().lower().rstrip(".!") in STOP_WORDS

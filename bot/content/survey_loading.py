"""Loading content/surveys/*.yaml: every problem reported as `file:line: message` through the
content collector (unknown question references, unreachable questions, loops, impossible limits,
labels or button data over Telegram's limits), then the surveys built (split from
bot/content/surveys.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot import callback_data as cd
from bot import callback_officers as ob
from bot.content.base import Collector, parse_date, pydantic_problems
from bot.content.survey_schema import (
    ConditionModel,
    QuestionModel,
    SurveyModel,
    as_values,
    build,
)
from bot.content.surveys import (
    CHOICE_TYPES,
    END,
    ID_RE,
    LONGEST_RESPONSE_ID,
    LONGEST_STEP,
    MAX_CONDITIONS_ON_PICKS,
    MAX_LABEL,
    MAX_QUESTION_TEXT,
    MAX_TITLE,
    SCALES,
    Survey,
)
from bot.content.yamlines import LineDict, YamlProblem, line_of, load_yaml


def load_surveys(
    col: Collector,
    survey_dir: Path,
    nag_ids: frozenset[str] | None,
    yes_no: tuple[str, str] = ("Yes", "No"),
) -> list[Survey]:
    """Load every survey file; report problems to `col` (col.add(path, line, message)).

    NAG ids are checked against `nag_ids`, unless it is None (nags.yaml cannot be read).

    `yes_no`: the labels of yes/no answers (from the texts), used on buttons, in results and CSVs.
    """
    surveys: list[Survey] = []
    seen: dict[str, str] = {}
    for path in sorted(survey_dir.glob("*.yaml")):
        try:
            raw = load_yaml(path)
        except YamlProblem as slip:
            col.unreadable_file(path, slip)
            continue
        if not isinstance(raw, LineDict):
            col.add(path, 1, "a survey file must be a mapping with id:, title:, questions: ...")
            continue
        try:
            m = SurveyModel.model_validate(raw)
        except ValidationError as err:
            pydantic_problems(col, path, raw, err, ())
            continue
        before = len(col.problems)
        _validate(col, path, raw, m, nag_ids)
        if m.id in seen:
            col.add(path, line_of(raw, ("id",)), f"survey id {m.id!r} is also used in {seen[m.id]}")
        seen[m.id] = path.name
        opens = parse_date(col, path, line_of(raw, ("opens",)), m.opens)
        closes = parse_date(col, path, line_of(raw, ("closes",)), m.closes)
        if opens and closes and closes < opens:
            col.add(path, line_of(raw, ("closes",)), "closes before it opens")
        if len(col.problems) > before or not (opens and closes):
            continue
        surveys.append(build(m, opens, closes, path.name, yes_no))
    return surveys


Add = Callable[[tuple[Any, ...], str], None]  # report a problem at a place in the file


def _validate(
    col: Any, path: Path, raw: Any, m: SurveyModel, nag_ids: frozenset[str] | None
) -> None:
    def add(loc: tuple[Any, ...], message: str) -> None:
        col.add(path, line_of(raw, loc), message)

    _check_survey(add, m, nag_ids)
    index = _check_questions(add, m)
    _check_routes(add, m, index)
    _check_conditions_on_picks(add, m)
    # Unreachable questions: walk every possible route from the first question.
    reachable = _reachable(m, index)
    for i, q in enumerate(m.questions):
        if i not in reachable:
            add(("questions", i, "id"), f"question {q.id!r} can never be reached")


def _check_survey(add: Add, m: SurveyModel, nag_ids: frozenset[str] | None) -> None:
    """The survey's own fields: id, title, texts, button data, audience, anonymity."""
    if not ID_RE.match(m.id):
        add(("id",), f"{m.id!r} is not a valid id (lower-case letters, digits, - or _)")
    if len(m.title) > MAX_LABEL:
        add(("title",), f"title is {len(m.title)} characters; buttons allow {MAX_LABEL}")
    for key in ("intro", "privacy", "thanks"):
        if len(getattr(m, key)) > MAX_QUESTION_TEXT:
            add((key,), f"{key} is over {MAX_QUESTION_TEXT} characters")
    for kind in (cd.SurveyOpen, cd.SurveyChange, ob.Results, ob.WizardSurvey):
        try:
            kind(m.id).pack()
        except ValueError:
            add(("id",), "id too long for Telegram's button data")
            break
    if m.audience == "nags" and not m.nags:
        add(("audience",), "audience: nags needs a list of NAG ids under 'nags:'")
    if m.audience != "nags" and m.nags:
        add(("nags",), "nags: only applies with 'audience: nags'")
    for j, nag in enumerate(m.nags):
        if nag_ids is not None and nag not in nag_ids:
            add(("nags", j), f"unknown NAG {nag!r} (not in nags.yaml)")
    if m.changeable and m.anonymous:
        add(
            ("changeable",), "an anonymous survey can't allow changing answers (nothing links them)"
        )
    if m.changeable and m.repeatable:
        add(("changeable",), "choose either 'repeatable' or 'changeable', not both")


def _check_questions(add: Add, m: SurveyModel) -> dict[str, int]:
    """Each question on its own; the index of each question id."""
    index: dict[str, int] = {}
    for i, q in enumerate(m.questions):
        loc = ("questions", i)
        if q.id == END:
            add((*loc, "id"), "'end' is reserved for 'goto: end'")
        if q.id in index:
            add((*loc, "id"), f"question id {q.id!r} is used twice")
        index.setdefault(q.id, i)
        _validate_question(add, loc, q, m.id)
    return index


def _check_routes(add: Add, m: SurveyModel, index: dict[str, int]) -> None:
    """show_if conditions and next: rules point at questions that exist, later ones only."""
    for i, q in enumerate(m.questions):
        loc = ("questions", i)
        if q.show_if is not None:
            _validate_condition(add, (*loc, "show_if"), q.show_if, m, index, i, "question")
        targets: list[tuple[tuple[Any, ...], str]] = []
        if isinstance(q.next, str):
            targets.append(((*loc, "next"), q.next))
        elif isinstance(q.next, list):
            for j, rule in enumerate(q.next):
                rloc = (*loc, "next", j)
                cond = ConditionModel(
                    question=q.id, equals=rule.if_, at_least=rule.at_least, at_most=rule.at_most
                )
                if rule.if_ is None and rule.at_least is None and rule.at_most is None:
                    add(rloc, "each rule needs 'if:', 'at_least:' or 'at_most:' (and 'goto:')")
                else:
                    _validate_condition(add, rloc, cond, m, index, i + 1, "rule")
                targets.append(((*rloc, "goto"), rule.goto))
        for tloc, target in targets:
            if target == END:
                continue
            if target not in index:
                add(tloc, f"goto {target!r}: there is no question with that id")
            elif index[target] <= i:
                add(tloc, f"goto {target!r} goes back to an earlier question: that makes a loop")


def _check_conditions_on_picks(add: Add, m: SurveyModel) -> None:
    """At most MAX_CONDITIONS_ON_PICKS conditions about one multi, top or text question: the
    progress count ("Question 3 of 7") tries every combination of them, 2 ** n, on every
    question shown."""
    about: dict[str, set[str]] = {}
    for q in m.questions:
        if q.show_if is not None:
            about.setdefault(q.show_if.question, set()).add(repr(q.show_if))
        if isinstance(q.next, list):
            for rule in q.next:
                about.setdefault(q.id, set()).add(repr((rule.if_, rule.at_least, rule.at_most)))
    for i, q in enumerate(m.questions):
        n = len(about.get(q.id, ()))
        if q.type in ("multi", "top", "text") and n > MAX_CONDITIONS_ON_PICKS:
            add(
                ("questions", i, "id"),
                f"{n} rules and show_if depend on question {q.id!r}; at most"
                f" {MAX_CONDITIONS_ON_PICKS} for a {q.type!r} question (split it into questions)",
            )


def _validate_question(add: Any, loc: tuple[Any, ...], q: QuestionModel, survey_id: str) -> None:
    if len(q.text) > MAX_QUESTION_TEXT:
        add((*loc, "text"), f"text is over {MAX_QUESTION_TEXT} characters")
    if q.title is not None and (len(q.title) > MAX_TITLE or "\n" in q.title.strip()):
        add((*loc, "title"), f"title: one short line of at most {MAX_TITLE} characters")
    allowed: dict[str, set[str]] = {
        "single": {"options"},
        "multi": {"options", "min", "max"},
        "top": {"options", "pick"},
        "rating": {"scale", "low", "high"},
        "yesno": set(),
        "text": {"max_length"},
        "number": {"min", "max"},
    }
    for key in ("options", "min", "max", "pick", "scale", "low", "high", "max_length"):
        value = getattr(q, key)
        if value not in (None, []) and key not in allowed[q.type]:
            add((*loc, key), f"{key}: does not apply to a {q.type} question")
    _check_options(add, loc, q)
    _check_bounds(add, loc, q)
    del survey_id


def _check_options(add: Any, loc: tuple[Any, ...], q: QuestionModel) -> None:
    """A choice question's options: two at least, ids once each and short enough for a button,
    labels with room for a tick or a rank."""
    if q.type not in CHOICE_TYPES:
        return
    if len(q.options) < 2:
        add((*loc, "options"), f"a {q.type} question needs at least two options")
    ids = [o.id for o in q.options]
    for j, o in enumerate(q.options):
        if ids.index(o.id) != j:
            add((*loc, "options", j, "id"), f"option id {o.id!r} is used twice")
        if len(o.label) > MAX_LABEL - 4:  # room for the tick or rank shown on the button
            add((*loc, "options", j, "label"), f"label is over {MAX_LABEL - 4} characters")
        for kind in (cd.SurveyAnswer, cd.SurveyToggle):
            try:
                kind(LONGEST_RESPONSE_ID, LONGEST_STEP, o.id).pack()
            except ValueError:
                add(
                    (*loc, "options", j, "id"),
                    "option id too long for Telegram's 64-byte button data",
                )
                break


def _check_bounds(add: Any, loc: tuple[Any, ...], q: QuestionModel) -> None:
    """The numbers of a question make sense: picks within the options, min below max, a known
    rating scale with short end labels, a text length Telegram can carry."""
    n = len(q.options)
    if q.type == "multi":
        lo = q.min if q.min is not None else (1 if q.required else 0)
        hi = q.max if q.max is not None else n
        if lo < 0 or (q.required and lo < 1):
            add((*loc, "min"), "min must be at least 1 for a required question (0 if optional)")
        if hi < 1 or hi < lo:
            add((*loc, "max"), f"max ({hi}) is below min ({lo}): nobody could answer")
        if n and hi > n:
            add((*loc, "max"), f"max ({hi}) is more than the {n} options")
        if n and lo > n:
            add((*loc, "min"), f"min ({lo}) is more than the {n} options")
    if q.type == "top":
        pick = q.pick if q.pick is not None else 3
        if pick < 1 or (n and pick > n):
            add((*loc, "pick"), f"pick {pick} of {n} options is impossible")
    if q.type == "number":
        if q.min is not None and q.max is not None and q.max <= q.min:
            add((*loc, "max"), f"max ({q.max}) must be more than min ({q.min})")
    if q.type == "rating":
        if q.scale is not None and str(q.scale) not in SCALES:
            add((*loc, "scale"), f"scale {q.scale!r}: use 1-5 or 0-10")
        for key in ("low", "high"):
            if getattr(q, key) and len(getattr(q, key)) > MAX_LABEL:
                add((*loc, key), f"{key} is over {MAX_LABEL} characters")
    if q.type == "text" and q.max_length is not None and not 1 <= q.max_length <= 4000:
        add((*loc, "max_length"), "max_length must be between 1 and 4000")


def _answer_values(q: QuestionModel) -> set[str] | None:
    """The values a condition may test, or None when any value is allowed (text, number)."""
    if q.type in CHOICE_TYPES:
        return {o.id for o in q.options}
    if q.type == "yesno":
        return {"yes", "no"}
    if q.type == "rating":
        lo, hi = SCALES.get(str(q.scale or "1-5"), (1, 5))
        return {str(v) for v in range(lo, hi + 1)}
    return None


def _validate_condition(
    add: Any,
    loc: tuple[Any, ...],
    c: ConditionModel,
    m: SurveyModel,
    index: dict[str, int],
    limit: int,
    what: str,
) -> None:
    """`limit`: the condition must refer to a question before this index."""
    if c.question not in index:
        add((*loc, "question"), f"show_if refers to unknown question {c.question!r}")
        return
    if index[c.question] >= limit:
        add((*loc, "question"), f"a {what} can only depend on an earlier question's answer")
        return
    target = m.questions[index[c.question]]
    if c.equals is None and c.at_least is None and c.at_most is None:
        add(loc, "say what to match: 'equals:' (or 'if:'), 'at_least:' or 'at_most:'")
    if c.equals is not None:
        allowed = _answer_values(target)
        for v in as_values(c.equals):
            if allowed is not None and v not in allowed:
                add(loc, f"{v!r} is not a possible answer to {c.question!r}")
    if (c.at_least is not None or c.at_most is not None) and target.type not in (
        "rating",
        "number",
    ):
        add(loc, "at_least/at_most only apply to rating and number questions")
    if c.at_least is not None and c.at_most is not None and c.at_least > c.at_most:
        add(loc, "at_least is above at_most: this can never match")


def _reachable(m: SurveyModel, index: dict[str, int]) -> set[int]:
    """Indexes of questions some route can reach (conditions are assumed satisfiable)."""
    seen: set[int] = set()
    stack = [0]
    n = len(m.questions)
    while stack:
        i = stack.pop()
        if i >= n or i in seen:
            continue
        seen.add(i)
        q = m.questions[i]
        # A question hidden by show_if is passed over to the following one.
        if q.show_if is not None:
            stack.append(i + 1)
        # Unknown or backward targets are reported elsewhere; they lead nowhere here.
        if isinstance(q.next, str):
            if index.get(q.next, -1) > i:
                stack.append(index[q.next])
            continue
        for rule in q.next or []:
            if index.get(rule.goto, -1) > i:
                stack.append(index[rule.goto])
        stack.append(i + 1)
    return seen

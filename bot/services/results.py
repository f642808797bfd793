"""Survey results with small-number suppression, as plain values for any front end.

Counts come from SQL GROUP BY (storage/surveys.py); arithmetic, suppression and the rules that
stop a small group being worked out by comparing results come from bot/domain/disclosure.py.
This module picks the view an officer asked for (the whole survey, one NAG, from a start week),
refuses it when it would show too few, and says which figures each question can show, which
charts there are, each NAG's top priorities, and the CSV file (written by
bot/services/export.py, as the CLI's is); bot/handlers/results.py renders
that in chat.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from bot.content.surveys import Question, Survey
from bot.domain import disclosure as dc
from bot.domain import surveys as dom
from bot.services import export as ex
from storage.surveys import SurveyStore, week_of


@dataclass(frozen=True)
class Refused:
    """A NAG or start date that can't be shown (the same reason whatever the exact cause)."""

    reason: dc.Refusal
    nag: str | None


@dataclass(frozen=True)
class Figures:
    """What one question of a view can show: its counts, and the labels of figures hidden
    because they are under the threshold (`small`) or would let one be worked out (`withheld`).
    `nothing` when it has no figure at all to show."""

    number: int  # 1-based, as the question is numbered in the summary
    result: dc.QuestionResult
    small: tuple[str, ...]
    withheld: tuple[str, ...]
    nothing: bool

    @property
    def chartable(self) -> bool:
        """A chart only when it has a bar to show: never one of nothing but "not shown" and 0."""
        r = self.result
        bars = any(c.count for c in r.cells)
        return r.answered is not None and r.question.type in dc.CHOICE_TYPES and bars


SinceKind = Literal["moved", "since", "all_weeks", "first"]


@dataclass(frozen=True)
class Since:
    """How the summary describes its start week: `moved` (asked for `asked`, shown from `week`,
    the nearest usable), `since` (from `week`), `all_weeks` (asked for a week, but it could not be
    used: everything is shown), `first` (asked for the first week: nothing came before it)."""

    kind: SinceKind
    week: str | None = None
    asked: str | None = None


@dataclass(frozen=True)
class NagTop:
    """One NAG's top priorities (empty when withheld) as its own view shows them."""

    nag: str
    completed: int
    top: tuple[dc.Cell, ...]


@dataclass(frozen=True)
class TopPriorities:
    question: str  # the "top N" question's id
    nags: tuple[NagTop, ...]
    others_hidden: bool  # responses of NAGs not shown exist (shown together, not by NAG)


@dataclass(frozen=True)
class CsvFile:
    name: str
    text: str


@dataclass(frozen=True)
class SurveyResults:
    """One view of a survey's results, ready to render. `enough` is False when fewer than
    `min_count` responses are in it (then nothing else should be shown)."""

    survey: Survey
    nag: str | None  # the NAG asked for
    view: dc.ViewResult
    min_count: int
    since: Since | None
    figures: tuple[Figures, ...]
    top: TopPriorities | None
    groups: dc.Groups | None
    selection: dc.Selection | None  # None: no CSV can be made (too few responses overall)

    @property
    def enough(self) -> bool:
        return self.view.completed >= self.min_count

    @property
    def charts(self) -> tuple[Figures, ...]:
        return tuple(f for f in self.figures if f.chartable)


@dataclass(frozen=True)
class SurveyProgress:
    """A survey's status and counts as they may be shown (None: not shown, see `progress`)."""

    survey: Survey
    status: str  # "open", "closed" or "upcoming" (bot/domain/surveys.py)
    started: int | None
    completed: int | None
    rate: float | None  # per cent completed of started, when both are shown


def has_figures(r: dc.QuestionResult) -> bool:
    """Whether a question shows at least one count (else its figures are all "fewer than")."""
    return any(c.count is not None for c in r.cells)


def figures(view: dc.ViewResult) -> tuple[Figures, ...]:
    out = []
    for i, r in enumerate(view.results, 1):
        nothing = r.answered is None or bool(r.cells and not has_figures(r) and r.mean is None)
        small = tuple(c.label for c in r.cells if c.count is None and c.small)
        held = tuple(c.label for c in r.cells if c.count is None and not c.small)
        out.append(Figures(i, r, small, held, nothing))
    return tuple(out)


def since_of(view: dc.ViewResult, asked: str | None, first: str | None) -> Since | None:
    """How the view's start relates to the week asked for (`asked`) and the first week."""
    if view.start and asked and asked != view.start:
        return Since("moved", view.start, asked)
    if view.start:
        return Since("since", view.start)
    if asked and first and asked > first:
        return Since("all_weeks", None, asked)
    if asked:
        return Since("first", asked)
    return None


async def load_groups(
    store: SurveyStore,
    survey: Survey,
    nag_order: Sequence[str],
    min_count: int,
    question_id: str | None = None,
    *,
    answers: bool = True,
) -> dc.Groups:
    """The survey's counts per (NAG, week) block, grouped into what may be shown (rule 1)."""
    blocks = await store.blocks(survey.id, question_id, answers=answers)
    tallies = {
        key: dc.Tally(c.completed, c.answered, c.values, c.ranks) for key, c in blocks.items()
    }
    return dc.group(tallies, nag_order, min_count)


def top_priorities(
    survey: Survey, question_id: str, level: dict[str | None, dc.ViewResult]
) -> TopPriorities:
    """Each shown NAG's top three priorities, as its own view shows them."""
    q = survey.question(question_id)
    assert q is not None
    nags = tuple(
        NagTop(nag_id, view.completed, tuple(dc.top_three(q, view)))
        for nag_id, view in level.items()
        if nag_id is not None
    )
    parent = level[None]
    shown = sum(v.tally.completed for n, v in level.items() if n is not None)
    return TopPriorities(question_id, nags, parent.tally.completed > shown)


async def survey_results(
    store: SurveyStore,
    survey: Survey,
    nag_order: Sequence[str],
    min_count: int,
    nag_id: str | None = None,
    since: str | None = None,
) -> SurveyResults | Refused:
    """The results of `survey`, for one NAG and from one date when given.

    The whole survey is exact; a NAG or a start date is checked and protected first (see the
    rules in bot/domain/disclosure.py), and refused with a reason when it would show too few.
    """
    k = min_count
    asked = week_of(since) if since else None
    top = next((q for q in survey.questions if q.type == "top"), None)
    level: dict[str | None, dc.ViewResult] | None = None
    groups: dc.Groups | None = None
    if nag_id is None and since is None:
        # The whole survey: the fast GROUP BY path; no other view is involved.
        counts = await store.counts(survey.id)
        results = dc.summarise(
            survey, counts.answered, counts.values, k, completed=counts.completed
        )
        view = dc.ViewResult(None, None, counts.completed, tuple(results), dc.Tally(), False)
        if top is not None:
            groups = await load_groups(store, survey, nag_order, k, top.id)
            level = dc.protect_level(survey, groups, 0, k)
        elif counts.completed:
            groups = await load_groups(store, survey, nag_order, k, answers=False)
        selection = dc.select(groups, None, None, k) if groups else "small"
    else:
        groups = await load_groups(store, survey, nag_order, k)
        selection = dc.select(groups, nag_id, asked, k)
        if isinstance(selection, str):
            return Refused(selection, nag_id)
        level = dc.protect_level(survey, groups, selection.start, k)
        view = level[selection.nag]
    first = groups.starts[0] if groups and groups.starts else None
    tops = None
    if nag_id is None and top is not None and level is not None:
        tops = top_priorities(survey, top.id, level)
    return SurveyResults(
        survey=survey,
        nag=nag_id,
        view=view,
        min_count=k,
        since=since_of(view, asked, first),
        figures=figures(view),
        top=tops,
        groups=groups,
        selection=None if isinstance(selection, str) else selection,
    )


async def responses_csv(store: SurveyStore, results: SurveyResults, note: str) -> CsvFile | None:
    """The responses of the view, one row each, as a CSV file whose first line is `note` (what
    it holds); None when too few responses overall. For admins only (bot/handlers/results.py):
    officers get `tables_csv`."""
    groups, selection = results.groups, results.selection
    if groups is None or selection is None:
        return None
    buf = io.StringIO()
    csv.writer(buf).writerow([note])
    await ex.write_csv(store, results.survey, buf, groups, selection)
    name = ex.file_name(results.survey.id, results.nag, ex.start_of(groups, selection))
    return CsvFile(name, buf.getvalue())


TABLE_HEADER = ("question", "question_id", "option", "count", "percent", "hidden")


def tables_csv(results: SurveyResults, note: str) -> CsvFile:
    """The view's figures as shown (never a response): one row per question and option, first
    the note saying so. A hidden figure has no count and `hidden` says why: `under_k` (from 1 to
    k-1), `withheld` (it would let one be worked out), `question` (the whole question)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([note])
    w.writerow(TABLE_HEADER)
    for f in results.figures:
        r, q = f.result, f.result.question
        title = ex.safe_cell(q.short_title)
        if r.answered is None:
            w.writerow([title, q.id, "", "", "", "question"])
            continue
        w.writerow([title, q.id, "(answered)", r.answered, "", ""])
        for c in r.cells:
            why = "" if c.count is not None else "under_k" if c.small else "withheld"
            pct = f"{c.percent:.0f}" if c.percent is not None else ""
            w.writerow(
                [
                    title,
                    q.id,
                    ex.safe_cell(c.label),
                    c.count if c.count is not None else "",
                    pct,
                    why,
                ]
            )
    name = ex.file_name(results.survey.id, results.nag, results.view.start)
    return CsvFile(name.removesuffix(".csv") + "-tables.csv", buf.getvalue())


async def progress(
    store: SurveyStore, surveys: Sequence[Survey], day: date, min_count: int
) -> list[SurveyProgress]:
    """Each survey's status on `day`, responses started and completed, and completion rate.

    Completed is shown as the survey's own view shows it (`dc.shown`), so started (completed
    plus not finished) is shown only when both of those are shown and not finished is 0 or k or
    more: otherwise the list and the view together would give the difference away."""
    k = min_count
    overview = await store.overview()
    out = []
    for survey in surveys:
        started, completed = overview.get(survey.id, (0, 0))
        done = dc.shown(completed, k)
        begun = dc.protect_parts(started, (completed, started - completed), k)
        total = begun.total if done is not None and None not in begun.parts else None
        rate = 100.0 * completed / started if total and done is not None else None
        out.append(SurveyProgress(survey, dom.status(survey, day), total, done, rate))
    return out


async def participant_views(
    store: SurveyStore,
    survey: Survey,
    nag_order: Sequence[str],
    min_count: int,
    respondent: Callable[[int], str],
) -> list[tuple[int, dc.ViewResult]]:
    """(chat_id, view) for each participant of `survey` who agreed to messages: their NAG's view
    as officers would see it (rounded, protected against comparison with the Milton Keynes-wide
    figures), or the Milton Keynes-wide view when their NAG can't be shown. `respondent` turns
    a chat id into the survey's pseudonym."""
    participants = await store.participants(survey.id)
    if not participants:
        return []
    groups = await load_groups(store, survey, nag_order, min_count)
    level = dc.protect_level(survey, groups, 0, min_count)
    out: list[tuple[int, dc.ViewResult]] = []
    async for batch in store.opted_in_residents():
        for chat_id, nag_id in batch:
            if respondent(chat_id) in participants:
                out.append((chat_id, level[nag_id if nag_id in level else None]))
    return out


# ---------------------------------------------------------------- "you said, we did"


@dataclass(frozen=True)
class YouSaidLine:
    """One question's most chosen options, as the area's view shows them (percentages)."""

    question: Question
    top: tuple[dc.Cell, ...]


@dataclass(frozen=True)
class YouSaid:
    """What one area's participants are told: None for Milton Keynes-wide figures."""

    nag: str | None
    lines: tuple[YouSaidLine, ...]


def you_said(view: dc.ViewResult, most: int = 3) -> YouSaid:
    """The `most` most chosen options shown of each question of `view` (nothing hidden)."""
    lines = []
    for r in view.results:
        shown = sorted((c for c in r.cells if c.count), key=lambda c: -(c.count or 0))
        if r.answered is not None and shown:
            lines.append(YouSaidLine(r.question, tuple(shown[:most])))
    return YouSaid(view.nag, tuple(lines))


async def you_said_we_did(
    store: SurveyStore,
    survey: Survey,
    nag_order: Sequence[str],
    min_count: int,
    respondent: Callable[[int], str],
) -> list[tuple[int, YouSaid]]:
    """(chat_id, what to tell them) for each participant who agreed to messages, with their
    NAG's results (see `participant_views`); nothing once the results were sent."""
    if await store.results_sent(survey.id):
        return []
    by_area: dict[str | None, YouSaid] = {}
    out = []
    for chat_id, view in await participant_views(store, survey, nag_order, min_count, respondent):
        said = by_area.setdefault(view.nag, you_said(view))
        if said.lines:
            out.append((chat_id, said))
    return out


@dataclass(frozen=True)
class YouSaidStatus:
    """Where a survey's "you said, we did" stands: its status, and whether results went out."""

    survey: Survey
    status: str  # "open", "closed" or "upcoming"
    sent: bool


async def you_said_we_did_status(
    store: SurveyStore, surveys: Sequence[Survey], day: date
) -> list[YouSaidStatus]:
    """Each survey's status on `day` and whether its results went to participants."""
    return [YouSaidStatus(s, dom.status(s, day), await store.results_sent(s.id)) for s in surveys]


# ---------------------------------------------------------------- for the console


async def top_priorities_by_nag(
    store: SurveyStore, survey: Survey, nag_order: Sequence[str], min_count: int
) -> TopPriorities | None:
    """Each NAG's top three priorities (the survey's "top N" question), protected as in
    /results; None when the survey has no such question or too few responses."""
    results = await survey_results(store, survey, nag_order, min_count)
    return results.top if isinstance(results, SurveyResults) and results.enough else None

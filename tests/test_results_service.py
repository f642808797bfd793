"""The survey-results service functions the console calls (bot/services/results.py), with plain
values: a real SQLite database, the real content, no Telegram. Issue 22: small but real numbers
show their figures, 0 included; filtered views under k are refused; every count is protected."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path

import pytest

from bot.content import Content
from bot.services import results as rs
from storage.db import Database
from storage.surveys import SurveyStore
from tests.conftest import LONDON
from tests.test_results import safety_answers, seed_safety, survey
from tests.test_surveys import CS

K = 5
PRIORITIES = "nag-priorities"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SurveyStore]:
    db = await Database(tmp_path / "bot.db").open()
    yield SurveyStore(db)
    await db.close()


class _Stores:
    """Just what seed_safety reaches for (`h.services.surveys`)."""

    def __init__(self, store: SurveyStore) -> None:
        self.services = self
        self.surveys = store


def nags(content: Content) -> list[str]:
    return [n.id for n in content.nags]


@pytest.mark.parametrize("n", [5, 6])
async def test_five_or_six_identical_responses_show_every_figure(
    store: SurveyStore, content: Content, n: int
):
    rows = [("fishermead", "2026-11-13", safety_answers(4, 2, ("asb",), "no"))] * n
    await store.insert_completed(CS, rows)
    res = await rs.survey_results(store, survey(content, CS), nags(content), K)
    assert isinstance(res, rs.SurveyResults) and res.enough
    shown = {f.result.question.id: f for f in res.figures}
    assert not [f for f in res.figures if f.nothing], "every question has figures"
    day = {c.label: c.count for c in shown["safe_day"].result.cells}
    assert day == {"1": 0, "2": 0, "3": 0, "4": n, "5": 0}
    assert {f.result.question.id for f in res.charts} >= {"safe_day", "worries", "contact"}
    table = list(csv.reader(io.StringIO(rs.tables_csv(res, "note").text)))
    assert ["safe_day", "4", str(n), "100", ""] in [r[1:] for r in table[2:]]


async def test_a_filter_under_k_is_refused_not_a_table_of_blanks(
    store: SurveyStore, content: Content
):
    await seed_safety(_Stores(store))  # type: ignore[arg-type]
    s, order = survey(content, CS), nags(content)
    assert await rs.survey_results(store, s, order, K, "olney") == rs.Refused("nag", "olney")
    small = await rs.survey_results(store, s, order, K, "fishermead", "2026-11-16")
    assert small == rs.Refused("small", "fishermead")


async def test_top_priorities_by_nag_for_the_console(store: SurveyStore, content: Content):
    s = survey(content, PRIORITIES)
    assert await rs.top_priorities_by_nag(store, s, nags(content), K) is None, "no responses"
    rows = [("fishermead", "2026-11-20", {"top3": ("asb", "drugs", "burglary"), "other": None})]
    rows += [("woughton", "2026-11-20", {"top3": ("speeding", "drugs", "asb"), "other": None})]
    await store.insert_completed(PRIORITIES, rows * 5)
    top = await rs.top_priorities_by_nag(store, s, nags(content), K)
    assert top is not None and not top.others_hidden
    by_nag = {t.nag: [(c.value, c.count) for c in t.top] for t in top.nags}
    assert by_nag["fishermead"] == [("asb", 5), ("drugs", 5), ("burglary", 5)]
    assert by_nag["woughton"] == [("speeding", 5), ("drugs", 5), ("asb", 5)]


async def test_you_said_we_did_status_and_progress_for_the_console(
    store: SurveyStore, content: Content
):
    surveys = content.surveys
    status = await rs.you_said_we_did_status(store, surveys, date(2026, 11, 25))
    assert [(x.survey.id, x.sent) for x in status] == [(s.id, False) for s in surveys]
    await store.mark_results_sent(CS, datetime(2026, 11, 25, 10, tzinfo=LONDON))
    status = await rs.you_said_we_did_status(store, surveys, date(2026, 11, 25))
    assert {x.survey.id: x.sent for x in status}[CS] is True
    # 3 completed: neither started nor completed can be shown, nor a rate.
    rows = [("fishermead", "2026-11-13", safety_answers(4, 2, ("asb",), "no"))] * 3
    await store.insert_completed(CS, rows)
    p = {x.survey.id: x for x in await rs.progress(store, surveys, date(2026, 11, 25), K)}
    assert (p[CS].started, p[CS].completed, p[CS].rate) == (None, None, None)
    assert (p[PRIORITIES].started, p[PRIORITIES].completed) == (0, 0), "0 is shown"

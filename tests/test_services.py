"""The application services (bot/services/) with plain values: a real SQLite database in a
temporary folder through the storage classes, the real content, and no Telegram at all."""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from bot.content import Content
from bot.services import export as ex
from bot.services import officers as ro
from bot.services import residents as rv
from bot.services import results as rs
from bot.services import surveys as sv
from storage.broadcasts import BroadcastStore
from storage.db import Database
from storage.model import (
    AreaQuestion,
    Audience,
    AudienceKind,
    AuditAction,
    BroadcastKind,
    BroadcastSpec,
)
from storage.residents import Residents
from storage.surveys import SurveyStore
from tests.conftest import LONDON
from tests.test_results import seed_safety, survey
from tests.test_surveys import CS

K = 5  # the threshold the content's surveys use in these tests
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=LONDON)
OFFICER = 777


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database(tmp_path / "bot.db").open()
    yield database
    await database.close()


class Stores:
    """Just what seed_safety reaches for (`h.services.surveys`)."""

    def __init__(self, db: Database) -> None:
        self.services = self
        self.surveys = SurveyStore(db)


def nag_order(content: Content) -> list[str]:
    return [n.id for n in content.nags]


# ---------------------------------------------------------------- survey results


async def test_whole_survey_is_exact_with_figures_and_csv(db: Database, content: Content):
    await seed_safety(Stores(db))  # type: ignore[arg-type]
    store = SurveyStore(db)
    s = survey(content, CS)
    res = await rs.survey_results(store, s, nag_order(content), K)
    assert isinstance(res, rs.SurveyResults)
    assert res.enough and res.view.completed == 17 and not res.view.rounded
    assert res.since is None and res.nag is None
    assert [f.number for f in res.figures] == list(range(1, len(s.questions) + 1))
    by_id = {f.result.question.id: f for f in res.figures}
    assert by_id["unsafe_why"].nothing, "nobody was asked it: nothing to show"
    assert not by_id["years"].nothing and not by_id["years"].chartable, "a number: no chart"
    worries = by_id["worries"]
    assert not worries.nothing and worries.chartable
    assert "Burglary" in worries.small, "3 < 5"
    assert all(f.chartable for f in res.charts)
    csv_ = await rs.csv_file(store, res)
    assert csv_ is not None and csv_.name == f"{CS}.csv"
    rows = list(csv.reader(io.StringIO(csv_.text)))
    assert len(rows) == 1 + 17


async def test_a_nag_with_too_few_is_refused_and_a_big_one_is_rounded(
    db: Database, content: Content
):
    await seed_safety(Stores(db))  # type: ignore[arg-type]
    store, s = SurveyStore(db), survey(content, CS)
    refused = await rs.survey_results(store, s, nag_order(content), K, "woughton")
    assert refused == rs.Refused("nag", "woughton")
    fm = await rs.survey_results(store, s, nag_order(content), K, "fishermead")
    assert isinstance(fm, rs.SurveyResults)
    assert fm.view.nag == "fishermead" and fm.view.rounded and fm.view.completed == 10
    csv_ = await rs.csv_file(store, fm)
    assert csv_ is not None and csv_.name == f"{CS}-fishermead.csv"


async def test_no_responses_is_not_enough_and_has_no_csv(db: Database, content: Content):
    store, s = SurveyStore(db), survey(content, CS)
    res = await rs.survey_results(store, s, nag_order(content), K)
    assert isinstance(res, rs.SurveyResults)
    assert not res.enough and res.view.completed == 0
    assert await rs.csv_file(store, res) is None


async def test_progress_counts_started_and_completed(db: Database, content: Content):
    await seed_safety(Stores(db))  # type: ignore[arg-type]
    rows = await rs.progress(SurveyStore(db), content.surveys, date(2026, 11, 25))
    assert [p.survey.id for p in rows] == [s.id for s in content.surveys]
    cs = next(p for p in rows if p.survey.id == CS)
    assert (cs.status, cs.started, cs.completed, cs.rate) == ("open", 17, 17, 100.0)


def test_since_says_how_the_start_week_was_used():
    def view(start: str | None):
        from bot.domain import disclosure as dc

        return dc.ViewResult(None, start, 10, (), dc.Tally(), start is not None)

    assert rs.since_of(view(None), None, None) is None
    assert rs.since_of(view("2026-11-09"), "2026-11-16", "2026-11-02") == rs.Since(
        "moved", "2026-11-09", "2026-11-16"
    )
    assert rs.since_of(view("2026-11-09"), "2026-11-09", None) == rs.Since("since", "2026-11-09")
    assert rs.since_of(view(None), "2026-11-16", "2026-11-02") == rs.Since(
        "all_weeks", None, "2026-11-16"
    )
    assert rs.since_of(view(None), "2026-11-02", "2026-11-02") == rs.Since("first", "2026-11-02")


async def test_participants_get_their_nags_view_or_the_whole(db: Database, content: Content):
    await seed_safety(Stores(db))  # type: ignore[arg-type]
    residents = Residents(db)
    for chat, nag in ((1, "fishermead"), (2, "olney"), (3, "fishermead"), (4, "fishermead")):
        await residents.touch(chat, NOW)
        await residents.set_nag(chat, nag, NOW)
        await residents.set_consent(chat, chat != 4, NOW)  # 4 did not agree to messages
    for chat in (1, 2, 4):  # 3 never took part
        await db.execute(
            "INSERT INTO survey_completions (survey_id, respondent) VALUES (?, ?)", (CS, f"r{chat}")
        )
    views = await rs.participant_views(
        SurveyStore(db), survey(content, CS), nag_order(content), K, lambda c: f"r{c}"
    )
    got = {chat: view.nag for chat, view in views}
    assert got == {1: "fishermead", 2: None}, "Olney can't be shown: the whole survey instead"


# ---------------------------------------------------------------- officers' broadcast views


async def resident(db: Database, chat: int, consent: bool = True) -> None:
    residents = Residents(db)
    await residents.touch(chat, NOW)
    await residents.set_nag(chat, "fishermead", NOW)
    await residents.set_consent(chat, consent, NOW)


async def officer_broadcast(store: BroadcastStore, text: str, at: datetime) -> int:
    spec = BroadcastSpec(
        BroadcastKind.OFFICER, text, Audience(AudienceKind.ALL), at, created_by=OFFICER
    )
    bid, created = await store.create(spec, NOW)
    assert created
    return bid


async def test_reach_counts_who_agreed_to_messages(db: Database):
    for chat in (1, 2, 3):
        await resident(db, chat, consent=chat != 3)
    store = BroadcastStore(db)
    b = await store.get(await officer_broadcast(store, "Hello", NOW + timedelta(hours=2)))
    assert b is not None
    assert await ro.reach(store, b) == ro.Reach(2, 0, 2)


async def test_scheduled_pages_are_clamped(db: Database):
    store = BroadcastStore(db)
    empty = await ro.scheduled_page(store, NOW, later=False, page=0)
    assert empty.empty and empty.pages == 1 and empty.shown == ()
    for i in range(10):
        await officer_broadcast(store, f"Message {i}", NOW + timedelta(hours=i + 1))
    first = await ro.scheduled_page(store, NOW, later=False, page=0)
    assert (first.page, first.pages, first.count, len(first.shown)) == (0, 2, 10, ro.PAGE)
    assert [b.text for b, _ in first.shown][:2] == ["Message 0", "Message 1"], "soonest first"
    last = await ro.scheduled_page(store, NOW, later=False, page=9)
    assert (last.page, len(last.shown)) == (1, 2)
    later = await ro.scheduled_page(store, NOW, later=True, page=0)
    assert later.count == 0 and later.soon_count == 10 and not later.empty


async def test_report_and_audit_and_an_officers_own_actions(db: Database):
    store = BroadcastStore(db)
    assert await ro.report(store, 404) is None
    bid = await officer_broadcast(store, "Hello", NOW + timedelta(hours=2))
    report = await ro.report(store, bid)
    assert report is not None and report.broadcast.id == bid
    assert (report.sent, report.remaining, report.failed, report.useful) == (0, 0, 0, 0)
    assert [(a.action, a.actor_id) for a in report.audit] == [(AuditAction.SCHEDULE, OFFICER)]
    actions = await ro.actions_of(store, OFFICER)
    assert [(a["broadcast"], a["action"]) for a in actions] == [(bid, "schedule")]
    assert await ro.actions_of(store, OFFICER + 1) == []


# ---------------------------------------------------------------- opening a survey


async def test_opening_a_survey_from_closed_to_started_to_resumed(db: Database, content: Content):
    store, s = SurveyStore(db), survey(content, CS)
    day = date(2026, 11, 25)

    async def opening(nag: str | None, on: date = day, **kw: bool) -> sv.Opening:
        args = {"consent_answered": True, "via_link": False, **kw}
        return await sv.opening(store, s, "r1", nag, day=on, **args)

    assert (await opening("fishermead", date(2027, 4, 1))).kind == "closed"
    assert (await opening("fishermead", date(2026, 10, 1))).kind == "upcoming"
    assert await opening(None) == sv.Opening("ask_first", need="area")
    assert (await opening("fishermead")).kind == "start"
    resp = await sv.start(store, s, "r1", "fishermead", NOW)
    assert resp.current == s.questions[0].id
    resumed = await opening(None)
    assert resumed.kind == "resume" and resumed.existing is not None
    assert resumed.existing.id == resp.id, "one in progress resumes, area or not"


async def test_opening_a_link_only_or_answered_survey(db: Database, content: Content):
    store, review = SurveyStore(db), survey(content, "partnership-review")
    day = date(2026, 11, 25)

    async def kind(respondent: str, via_link: bool) -> str:
        o = await sv.opening(
            store, review, respondent, "fishermead", consent_answered=True, day=day,
            via_link=via_link,
        )  # fmt: skip
        return o.kind

    assert await kind("r1", via_link=False) == "not_for_you", "link-only: not from the list"
    assert await kind("r1", via_link=True) == "start"
    await db.execute(
        "INSERT INTO survey_completions (survey_id, respondent) VALUES (?, ?)", (review.id, "r1")
    )
    assert await kind("r1", via_link=True) == "done"
    assert await kind("r2", via_link=True) == "start"


# ---------------------------------------------------------------- the CSV export


async def test_export_plan_writes_every_response_with_coarse_nag_and_week(
    db: Database, content: Content
):
    await seed_safety(Stores(db))  # type: ignore[arg-type]
    store, s = SurveyStore(db), survey(content, CS)
    plan = await ex.plan(store, s, nag_order(content), K)
    assert isinstance(plan, ex.Plan)
    assert plan.start is None and not plan.moved
    out = io.StringIO()
    assert await ex.write(store, plan, out) == 17
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == ex.header(s)
    assert [r[0] for r in rows[1:]] == [str(i) for i in range(1, 18)], "a running number"
    nags = {r[1] for r in rows[1:]}
    assert "fishermead" in nags and not nags & {"woughton", "olney"}, "small NAGs are blank"


async def test_export_refuses_a_small_nag_and_an_empty_survey(db: Database, content: Content):
    store, s = SurveyStore(db), survey(content, CS)
    assert await ex.plan(store, s, nag_order(content), K) == "small", "no responses at all"
    await seed_safety(Stores(db))  # type: ignore[arg-type]
    assert await ex.plan(store, s, nag_order(content), K, "woughton") == "nag"
    fm = await ex.plan(store, s, nag_order(content), K, "fishermead")
    assert isinstance(fm, ex.Plan)
    out = io.StringIO()
    assert await ex.write(store, fm, out) == 12


async def test_export_since_says_when_the_start_moved(db: Database, content: Content):
    await seed_safety(Stores(db))  # type: ignore[arg-type]
    store, s = SurveyStore(db), survey(content, CS)
    plan = await ex.plan(store, s, nag_order(content), K, since="2026-11-18")
    assert isinstance(plan, ex.Plan)
    assert plan.start == "2026-11-16" and not plan.moved, "the week asked for holds 5"
    assert await ex.write(store, plan, io.StringIO()) == 5
    later = await ex.plan(store, s, nag_order(content), K, since="2026-11-25")
    assert isinstance(later, ex.Plan)
    assert later.start == "2026-11-16" and later.moved, "nothing that week: from the one before"
    assert ex.file_name(CS, None, None) == f"{CS}.csv"
    assert ex.file_name(CS, "olney", "2026-11-16") == f"{CS}-olney-from-2026-11-16.csv"


# ---------------------------------------------------------------- residents and areas


async def test_choosing_an_area_asks_consent_only_the_first_time(db: Database, content: Content):
    residents, fm = Residents(db), content.nag_by_id["fishermead"]
    chosen = await rv.choose_area(residents, 1, fm, NOW)
    assert chosen == rv.AreaChosen(fm, ask_consent=True)
    before = await rv.answer_consent(residents, 1, True, NOW)
    assert before.consent_at is None and before.nag_id == "fishermead"
    again = await rv.choose_area(residents, 1, content.nag_by_id["olney"], NOW)
    assert not again.ask_consent
    r = await residents.get(1)
    assert r is not None and r.consent and r.nag_id == "olney"
    assert rv.nag_of(content.nag_by_id, r) == content.nag_by_id["olney"]
    assert rv.nag_of(content.nag_by_id, None) is None


async def test_leaving_an_area_question_keeps_it_asked_only_without_an_area(
    db: Database, content: Content
):
    residents, nags = Residents(db), content.nag_by_id
    assert await rv.leave_area_question(residents, nags, 1, NOW) is None, "nobody yet"
    await residents.touch(1, NOW)
    await residents.open_area_question(1, AreaQuestion.ASKED, NOW)
    assert await rv.leave_area_question(residents, nags, 1, NOW) is None
    r = await residents.get(1)
    assert r is not None and r.area_question is AreaQuestion.ASKED, "still no area: still asked"
    await residents.set_nag(1, "fishermead", NOW)
    await residents.open_area_question(1, AreaQuestion.ASKED, NOW)
    assert await rv.leave_area_question(residents, nags, 1, NOW) == nags["fishermead"]
    r = await residents.get(1)
    assert r is not None and r.area_question is AreaQuestion.NONE


async def test_touch_and_open_writes_what_touch_then_open_area_question_write(db: Database):
    """The one-statement form leaves each row exactly as the two statements did: someone new,
    someone with the question already asked (an offer keeps it asked), someone inactive and
    last seen long ago, someone with an area and no question open."""
    residents = Residents(db)
    later = NOW + timedelta(days=40)
    for chat in (10, 20):  # 10: the two statements, 20: the one
        await residents.touch(chat + 2, NOW, source="qr:olney")
        await residents.open_area_question(chat + 2, AreaQuestion.ASKED, NOW)
        await residents.touch(chat + 3, NOW)
        await residents.set_active(chat + 3, False, NOW)
        await residents.touch(chat + 4, NOW)
        await residents.set_nag(chat + 4, "fishermead", NOW)
    steps: dict[int, list[int]] = {10: [], 20: []}
    for n, kind in ((1, AreaQuestion.ASKED), (2, AreaQuestion.OFFERED), (3, AreaQuestion.OFFERED),
                    (4, AreaQuestion.OFFERED)):  # fmt: skip
        await residents.touch(10 + n, later)
        steps[10].append(await residents.open_area_question(10 + n, kind, later))
        steps[20].append(await residents.touch_and_open(20 + n, kind, later))
    assert steps[10] == steps[20] == [1, 2, 1, 2]
    for n in (1, 2, 3, 4):
        two, one = await residents.get(10 + n), await residents.get(20 + n)
        assert two is not None and one is not None
        assert one == dataclasses.replace(two, chat_id=20 + n), n


async def test_mydata_collects_every_part_and_forget_erases_them(db: Database, content: Content):
    residents = Residents(db)
    await rv.choose_area(residents, 1, content.nag_by_id["fishermead"], NOW)
    erased: list[int] = []

    async def own(chat: int) -> dict[str, object]:
        r = await residents.get(chat)
        return {} if r is None else rv.record(r, content.nag_by_id)

    async def nothing(chat: int) -> dict[str, object]:
        return {}

    async def erase(chat: int) -> None:
        erased.append(chat)

    data = await rv.collect_everything([("you", own), ("empty", nothing)], 1)
    assert list(data) == ["you"], "empty sections are left out"
    fm = content.nag_by_id["fishermead"]
    assert data["you"]["area"] == {"id": "fishermead", "name": fm.name}
    assert data["you"]["chat_id"] == 1 and data["you"]["campaign_messages_changed_at"] is None
    await rv.forget_everything(db, residents, [erase], 1)
    assert erased == [1] and await residents.get(1) is None
    assert await rv.collect_everything([("you", own)], 1) == {}


async def test_settings_change_only_when_different_and_reminders_need_an_area(db: Database):
    residents = Residents(db)
    assert rv.setting_of("messages") == "messages" and rv.setting_of("area") is None
    no_area = await rv.change_setting(residents, 1, "reminders", True, NOW)
    assert no_area.need_area and no_area.resident is not None
    assert not no_area.resident.remind_meetings, "nothing changed"
    on = await rv.change_setting(residents, 1, "messages", True, NOW)
    assert not on.need_area and on.resident is not None and on.resident.consent
    assert on.resident.consent_at == NOW
    later = NOW + timedelta(hours=1)
    again = await rv.change_setting(residents, 1, "messages", True, later)
    assert again.resident is not None and again.resident.consent_at == NOW, "pressed twice"
    await residents.set_nag(1, "fishermead", NOW)
    flipped = not again.resident.remind_meetings
    rem = await rv.change_setting(residents, 1, "reminders", flipped, later)
    assert not rem.need_area and rem.resident is not None
    assert rem.resident.remind_meetings is flipped

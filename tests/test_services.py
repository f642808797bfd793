"""The application services (bot/services/) with plain values: a real SQLite database in a
temporary folder through the storage classes, the real content, and no Telegram at all."""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from bot.content import Content, Texts
from bot.content.surveys import Question
from bot.domain import surveys as dom
from bot.ops.status import OpsStatus
from bot.plumbing.clock import FixedClock
from bot.plumbing.config import Config, load_config
from bot.plumbing.runtime import SeenCache
from bot.ports import Created, Duplicate
from bot.services import answering as sa
from bot.services import broadcasts as bs
from bot.services import export as ex
from bot.services import officers as ro
from bot.services import residents as rv
from bot.services import results as rs
from bot.services import retention as rt
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
from storage.surveys import Answer, SurveyStore
from tests.conftest import LONDON, write_config
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
    assert by_id["unsafe_why"].result.answered == 0, "nobody answered it: 0 is shown"
    assert not by_id["years"].nothing and not by_id["years"].chartable, "a number: no chart"
    worries = by_id["worries"]
    assert not worries.nothing and worries.chartable
    assert "Burglary" in worries.small, "3 < 5"
    assert all(f.chartable for f in res.charts)
    csv_ = await rs.responses_csv(store, res, "what it holds")
    assert csv_ is not None and csv_.name == f"{CS}.csv"
    rows = list(csv.reader(io.StringIO(csv_.text)))
    assert rows[0] == ["what it holds"] and len(rows) == 2 + 17
    tables = list(csv.reader(io.StringIO(rs.tables_csv(res, "no responses").text)))
    assert tables[1] == list(rs.TABLE_HEADER)
    assert ["Biggest worries", "worries", "Burglary", "", "", "under_k"] in [
        [r[0][:15], *r[1:]] for r in tables
    ]


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
    csv_ = await rs.responses_csv(store, fm, "")
    assert csv_ is not None and csv_.name == f"{CS}-fishermead.csv"
    assert rs.tables_csv(fm, "").name == f"{CS}-fishermead-tables.csv"


async def test_no_responses_is_not_enough_and_has_no_csv(db: Database, content: Content):
    store, s = SurveyStore(db), survey(content, CS)
    res = await rs.survey_results(store, s, nag_order(content), K)
    assert isinstance(res, rs.SurveyResults)
    assert not res.enough and res.view.completed == 0
    assert await rs.responses_csv(store, res, "") is None


async def test_progress_counts_started_and_completed(db: Database, content: Content):
    await seed_safety(Stores(db))  # type: ignore[arg-type]
    rows = await rs.progress(SurveyStore(db), content.surveys, date(2026, 11, 25), K)
    assert [p.survey.id for p in rows] == [s.id for s in content.surveys]
    cs = next(p for p in rows if p.survey.id == CS)
    assert (cs.status, cs.started, cs.completed, cs.rate) == ("open", 17, 17, 100.0)
    other = next(p for p in rows if p.survey.id != CS)
    assert (other.started, other.completed, other.rate) == (0, 0, None), "0 is shown"


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
    assert await ro.report(store, 404, K) is None
    bid = await officer_broadcast(store, "Hello", NOW + timedelta(hours=2))
    report = await ro.report(store, bid, K)
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


# ---------------------------------------------------------------- the broadcast service


class Ports:
    """The broadcast service's two ports and the sender's kick, as records (no Telegram)."""

    def __init__(self) -> None:
        self.timers: dict[int, datetime] = {}
        self.told: list[tuple[str, int | None]] = []
        self.kicks = 0

    def at(self, broadcast_id: int, when: datetime) -> None:
        self.timers[broadcast_id] = when

    def drop(self, broadcast_id: int) -> None:
        self.timers.pop(broadcast_id, None)

    async def tell(self, text: str, cancel: int | None = None) -> int:
        self.told.append((text, cancel))
        return 1

    def kick(self) -> None:
        self.kicks += 1


@dataclass
class Parts:
    config: Config
    clock: FixedClock
    broadcasts: BroadcastStore
    status: OpsStatus
    delivery: Ports
    content: Content

    def texts(self, lang: str = "en") -> Texts:
        return self.content.t(lang)


def broadcasts(db: Database, content: Content, tmp_path: Path) -> tuple[bs.Broadcasts, Ports]:
    ports = Ports()
    clock = FixedClock(NOW)
    config = load_config(write_config(tmp_path), env={})
    parts = Parts(config, clock, BroadcastStore(db), OpsStatus(clock), ports, content)
    return bs.Broadcasts(parts, ports, ports), ports  # type: ignore[arg-type]


async def test_broadcast_service_schedules_guards_duplicates_and_honours_the_shown_time(
    db: Database, content: Content, tmp_path: Path
):
    service, ports = broadcasts(db, content, tmp_path)
    await resident(db, 1)
    at = NOW + timedelta(hours=2)
    spec = BroadcastSpec(
        BroadcastKind.OFFICER, "Hello", Audience(AudienceKind.ALL), at, created_by=OFFICER,
        fingerprint="f1",
    )  # fmt: skip
    made = await service.create(spec)
    assert isinstance(made, Created) and ports.timers == {made.broadcast.id: at}
    assert ports.kicks == 0, "not due yet"
    again = await service.create(replace(spec, key="other"))
    assert isinstance(again, Duplicate) and again.other.id == made.broadcast.id
    bid = made.broadcast.id
    listed = await service.scheduled()
    assert [b.id for b in listed.soon] == [bid]
    later = NOW + timedelta(hours=5)
    assert await service.retime(bid, later, OFFICER, expected_due=NOW) is None, "shown time old"
    moved = await service.retime(bid, later, OFFICER, expected_due=at)
    assert moved is not None and ports.timers[bid] == later
    sent = await service.send_now(bid, OFFICER, expected_due=later)
    assert sent is not None and ports.kicks == 1, "due now: the sender is woken"
    assert not await service.cancel(bid, OFFICER, expected_due=later), "it went out already"


async def test_broadcast_service_cancels_and_tells_officers_of_notices_and_expiry(
    db: Database, content: Content, tmp_path: Path
):
    service, ports = broadcasts(db, content, tmp_path)
    at = NOW + timedelta(hours=3)
    made = await service.create(
        BroadcastSpec(BroadcastKind.OFFICER, "Bye", Audience(AudienceKind.ALL), at, created_by=1)
    )
    assert isinstance(made, Created)
    assert await service.cancel(made.broadcast.id, OFFICER, expected_due=at)
    assert ports.timers == {}
    auto = BroadcastSpec(
        BroadcastKind.CAMPAIGN, "Tip", Audience(AudienceKind.ALL), NOW + timedelta(hours=20),
        key="campaign:tip",
    )  # fmt: skip
    tip = await service.create(auto)
    assert isinstance(tip, Created)
    assert await service.send_notices() == 1
    assert ports.told[-1][1] == tip.broadcast.id, "the notice carries a Cancel for it"
    assert await service.send_notices() == 0, "once"
    assert await service.expire(tip.broadcast, NOW, 30.0)
    assert "30" in ports.told[-1][0] and ports.told[-1][1] is None
    assert service.send_time(NOW, urgent=True) == NOW


# ---------------------------------------------------------------- answering and leaving a survey


def a_value(q: Question) -> Answer:
    """Some valid answer to `q` by its type (the first button; nothing for typed ones)."""
    if q.type in ("single", "yesno", "rating"):
        return dom.button_answer(q, q.choices()[0].id)
    return None


async def test_answering_moves_on_goes_back_and_refuses_a_stale_press(
    db: Database, content: Content
):
    store, s, surveys = SurveyStore(db), survey(content, CS), content.survey_by_id
    day = date(2026, 11, 25)
    resp = await sv.start(store, s, "r1", "fishermead", NOW)
    assert await sa.pressed(store, surveys, "r2", resp.id, resp.step) is None, "someone else's"
    at = await sa.pressed(store, surveys, "r1", resp.id, resp.step)
    assert at is not None and at.question.id == "safe_day"
    given = await sa.give(store, at, ("4",), NOW, day)
    assert given.next is not None and given.next.id == "safe_dark"
    assert given.moved is not None and given.moved.step == resp.step + 1
    assert await store.answers(resp.id) == {"safe_day": ("4",)}
    assert await sa.pressed(store, surveys, "r1", resp.id, resp.step) is None, "an old step"
    now_on = await sa.current(store, surveys, "r1")
    assert now_on is not None and now_on.question.id == "safe_dark"
    back = await sa.back(store, now_on, NOW, 55)
    assert back is not None and (back.resp.current, back.resp.message_id) == ("safe_day", 55)
    first = await sa.current(store, surveys, "r1")
    assert first is not None and await sa.back(store, first, NOW, 55) is None, "the first"


async def test_answering_drafts_picks_and_finishes_on_the_last_question(
    db: Database, content: Content
):
    store, s, surveys = SurveyStore(db), survey(content, CS), content.survey_by_id
    day = date(2026, 11, 25)
    await sv.start(store, s, "r1", "fishermead", NOW)
    seen: list[str] = []
    while (at := await sa.current(store, surveys, "r1")) is not None:
        seen.append(at.question.id)
        value = a_value(at.question)
        if at.question.type == "multi":
            assert isinstance(await sa.picks(store, at), dom.Invalid), "none picked yet"
            option = at.question.options[0].id
            drafted = await sa.toggle(store, at, option, NOW)
            assert isinstance(drafted, sa.Drafted) and drafted.resp.draft == (option,)
            at = await sa.current(store, surveys, "r1")
            assert at is not None
            value = await sa.picks(store, at)
            assert value == (option,)
        given = await sa.give(store, at, value, NOW, day)
    assert given.next is None and given.moved is None, "finished on the last"
    assert seen[0] == "safe_day" and seen[-1] == "anything_else"
    assert await store.has_completed(s.id, "r1")


async def test_leaving_a_survey_asks_first_only_when_answers_would_go(
    db: Database, content: Content
):
    store, s, surveys = SurveyStore(db), survey(content, CS), content.survey_by_id
    day = date(2026, 11, 25)
    resp = await sv.start(store, s, "r1", "fishermead", NOW)
    assert not (await sa.leaving(store, s, resp)).asks_first, "nothing saved yet"
    at = await sa.current(store, surveys, "r1")
    assert at is not None
    await sa.give(store, at, ("4",), NOW, day)
    left = await sa.stop(store, s, resp, NOW, day)
    assert left.asks_first and left.keep is None and not left.changing
    assert await sa.current(store, surveys, "r1") is None, "stopped"
    assert not await store.has_completed(s.id, "r1")


async def test_the_survey_list_and_reopening(db: Database, content: Content):
    store, s = SurveyStore(db), survey(content, CS)
    day = date(2026, 11, 25)
    assert (await sv.listing(store, content.surveys, "r1", None, day)).need_area
    listed = await sv.listing(store, content.surveys, "r1", "fishermead", day)
    assert (s, "") in listed.items
    resp = await sv.start(store, s, "r1", "fishermead", NOW)
    in_progress = await sv.listing(store, content.surveys, "r1", None, day)
    assert not in_progress.need_area and (s, "in_progress") in in_progress.items
    assert await sv.resume(store, resp, NOW) == {}
    assert await sv.reopen(store, s, "r1", NOW) is None, "not finished"


# ---------------------------------------------------------------- destinations, membership


async def test_a_destination_waits_for_area_and_consent_and_is_taken_once(
    db: Database, content: Content
):
    residents, nags = Residents(db), content.nag_by_id
    waiting = await rv.wait_for(residents, 1, "survey:cs", NOW)
    assert waiting.pending == "survey:cs"
    assert await rv.take_destination(residents, nags, waiting) is None, "no area yet"
    await residents.set_nag(1, "fishermead", NOW)
    await residents.set_consent(1, False, NOW)
    ready = await residents.get(1)
    assert await rv.take_destination(residents, nags, ready) == ("survey", "cs")
    assert await rv.take_destination(residents, nags, ready) is None, "pressed twice: once"
    again = await residents.get(1)
    assert again is not None and again.pending is None


async def test_reminders_toggle_and_reachability(db: Database):
    residents = Residents(db)
    await residents.touch(1, NOW)
    assert await rv.toggle_reminders(residents, 1, NOW) is None, "no area: nothing to remind"
    await residents.set_nag(1, "fishermead", NOW)
    was = (await residents.get(1)).remind_meetings  # type: ignore[union-attr]
    flipped = await rv.toggle_reminders(residents, 1, NOW)
    assert flipped is not None and flipped.remind_meetings is not was
    await rv.reachable(residents, 1, False, NOW)
    assert not (await residents.get(1)).active  # type: ignore[union-attr]
    await rv.reachable(residents, 1, True, NOW)
    assert (await residents.get(1)).active  # type: ignore[union-attr]


# ---------------------------------------------------------------- retention


async def test_last_seen_is_written_once_a_day_and_a_year_unseen_is_forgotten(db: Database):
    residents, cache = Residents(db), SeenCache()
    await residents.touch(1, NOW)
    day = NOW.date()
    rt.note_seen(residents, cache, 1, day)
    assert 1 in cache.chats and cache.day == day.isoformat()
    year_on = day + timedelta(days=rt.RETENTION_DAYS + 1)
    forgotten: list[int] = []

    async def forget(chat: int) -> None:
        forgotten.append(chat)
        await residents.delete(chat)

    assert await rt.purge_expired(residents, forget, day) == 0
    assert await rt.purge_expired(residents, forget, year_on) == 1 and forgotten == [1]

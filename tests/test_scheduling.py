"""Scheduling: the campaign calendar (idempotent across restarts and reloads), jobs rebuilt from
storage, expiry after downtime, officers' 24-hour notices, meeting reminders, and the pure time
rules (quick choices across the clock change, UK date parsing, quiet hours)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from bot import callback_officers as ob
from bot.domain.broadcasts import (
    clocks_go_back,
    in_quiet_hours,
    parse_uk_datetime,
    quick_choices,
    quiet_end,
)
from bot.domain.meetings import day_before, upcoming
from bot.plumbing.clock import FixedClock
from tests.conftest import ADMIN_ID, LONDON, OFFICER_ID, ROOT, close_harness
from tests.test_delivery import NO_QUIET, add_residents, harness, officer_broadcast

UTC_OFFSET_0 = timedelta(0)


# ---------------------------------------------------------------- pure rules


def test_tomorrow_1000_on_the_saturday_before_the_clocks_go_back_is_gmt():
    now = datetime(2026, 10, 24, 12, 0, tzinfo=LONDON)  # BST
    choices = {c.key: c.at for c in quick_choices(now, LONDON)}
    sunday = choices["tomorrow_1000"]
    assert (sunday.year, sunday.month, sunday.day, sunday.hour) == (2026, 10, 25, 10)
    assert sunday.utcoffset() == UTC_OFFSET_0
    # 12:00 BST to 10:00 GMT is 23 real hours (same-zone subtraction would say 22).
    assert sunday.astimezone(UTC) - now.astimezone(UTC) == timedelta(hours=23)
    assert choices["today_1800"].utcoffset() == timedelta(hours=1)


def test_today_1800_is_not_offered_after_18():
    now = datetime(2026, 11, 23, 18, 30, tzinfo=LONDON)
    assert [c.key for c in quick_choices(now, LONDON)] == ["tomorrow_1000", "tomorrow_1800"]


def test_uk_dates_and_times():
    now = datetime(2026, 11, 23, 12, 0, tzinfo=LONDON)
    assert parse_uk_datetime("24/11/2026 18:30", now, LONDON) == datetime(
        2026, 11, 24, 18, 30, tzinfo=LONDON
    )
    assert parse_uk_datetime("24/11/26 18.30", now, LONDON).day == 24
    assert parse_uk_datetime("1/3 09:00", now, LONDON) == datetime(2027, 3, 1, 9, 0, tzinfo=LONDON)
    assert parse_uk_datetime("29/03/2026 01:30", now, LONDON) is None  # clocks go forward
    assert parse_uk_datetime("31/02/2026 10:00", now, LONDON) is None
    assert parse_uk_datetime("tomorrow", now, LONDON) is None


def test_quiet_hours_cross_midnight_and_end_in_the_morning():
    quiet = (time(21, 0), time(8, 0))
    assert in_quiet_hours(datetime(2026, 11, 23, 22, 0, tzinfo=LONDON), quiet, LONDON)
    assert in_quiet_hours(datetime(2026, 11, 23, 7, 59, tzinfo=LONDON), quiet, LONDON)
    assert not in_quiet_hours(datetime(2026, 11, 23, 8, 0, tzinfo=LONDON), quiet, LONDON)
    assert not in_quiet_hours(datetime(2026, 11, 23, 22, 0, tzinfo=LONDON), None, LONDON)
    end = quiet_end(datetime(2026, 10, 24, 23, 0, tzinfo=LONDON), quiet, LONDON)
    assert end == datetime(2026, 10, 25, 8, 0, tzinfo=LONDON)
    assert end.utcoffset() == UTC_OFFSET_0


def test_clocks_go_back_on_the_last_sunday_of_october():
    assert clocks_go_back(2026).isoformat() == "2026-10-25"
    assert clocks_go_back(2027).isoformat() == "2027-10-31"


# ---------------------------------------------------------------- the campaign calendar


async def campaign_rows(h) -> list[dict]:  # noqa: ANN001
    return await h.rows("SELECT * FROM broadcasts WHERE kind = 'campaign' ORDER BY key")


async def test_calendar_import_is_idempotent_across_restarts_and_reloads(tmp_path, content):
    clock = FixedClock(datetime(2026, 10, 1, 9, 0, tzinfo=LONDON))
    h = await harness(tmp_path, content, clock=clock)
    rows = await campaign_rows(h)
    by_key = {r["key"]: r for r in rows}
    loan = by_key["campaign:loan-shark-week:2026:launch"]
    assert datetime.fromisoformat(loan["send_at"]) == datetime(2026, 10, 19, 10, 0, tzinfo=LONDON)
    thursday = by_key["campaign:loan-shark-week:2026:reminder"]
    assert datetime.fromisoformat(thursday["send_at"]) == datetime(
        2026, 10, 22, 18, 0, tzinfo=LONDON
    )
    clocks = datetime.fromisoformat(by_key["campaign:winter-burglary:2026:clocks-back"]["send_at"])
    assert clocks == datetime(2026, 10, 25, 17, 0, tzinfo=LONDON)
    assert clocks.utcoffset() == UTC_OFFSET_0  # 17:00 GMT, after the clocks went back
    assert (
        "Loan Shark Week" in loan["text"]
        and loan["audience"] == '{"kind": "all", "nags": [], "survey": null}'
    )
    jobs = {j.name for j in h.app.job_queue.jobs()}
    assert {f"broadcast:{r['id']}" for r in rows} <= jobs
    await close_harness(h)

    h2 = await harness(tmp_path, content, clock=clock)
    assert [r["id"] for r in await campaign_rows(h2)] == [r["id"] for r in rows]
    calls = await h2.send(ADMIN_ID, "/reload")
    assert "Content reloaded" in calls[-1].text
    assert [r["id"] for r in await campaign_rows(h2)] == [r["id"] for r in rows]
    names = [j.name for j in h2.app.job_queue.jobs() if j.name.startswith("broadcast:")]
    assert len(names) == len(set(names)), "one job per broadcast, even after a reload"
    await close_harness(h2)


async def test_reload_with_broken_content_keeps_the_old_content(tmp_path, content):
    broken = tmp_path / "content"
    shutil.copytree(ROOT / "content", broken)
    path = broken / "campaigns.yaml"
    path.write_text(path.read_text().replace('time: "18:00"', 'time: "25:00"', 1))
    h = await harness(tmp_path, content, extra=f'{NO_QUIET}\ncontent:\n  dir: "{broken}"')
    before = h.services.content
    calls = await h.send(ADMIN_ID, "/reload")
    assert "problem" in calls[-1].text and "campaigns.yaml" in calls[-1].text
    assert h.services.content is before
    officer = await h.send(OFFICER_ID, "/reload")
    assert "I don't know that command" in officer[-1].text, "admins only"
    await close_harness(h)


async def test_missed_broadcast_is_sent_at_start_if_recent_else_expired_and_officers_told(
    tmp_path: Path, content
):
    clock = FixedClock(datetime(2026, 11, 23, 10, 0, tzinfo=LONDON))
    h = await harness(tmp_path, content, clock=clock)
    await add_residents(h, [1000, 1001])
    recent = await officer_broadcast(h, "Recent news")
    old = await officer_broadcast(
        h, "Old news", send_at=datetime(2026, 11, 23, 11, 0, tzinfo=LONDON) - timedelta(hours=1)
    )
    await h.db.execute(
        "UPDATE broadcasts SET send_at = ?, due_at = ? WHERE id = ?",
        ("2026-11-23T02:00:00+00:00", "2026-11-23T02:00:00+00:00", old),
    )
    await h.db.execute(
        "UPDATE broadcasts SET send_at = ?, due_at = ? WHERE id = ?",
        ("2026-11-23T12:00:00+00:00", "2026-11-23T12:00:00+00:00", recent),
    )
    await close_harness(h)

    # The bot was down; it starts again at 14:00: "recent" is 2 hours late, "old" 12 hours.
    clock.set(datetime(2026, 11, 23, 14, 0, tzinfo=LONDON))
    h2 = await harness(tmp_path, content, clock=clock)
    assert (await h2.services.broadcasts.get(old)).status == "expired"
    notices = [t for t in h2.api.texts(OFFICER_ID) if "not sent" in t]
    assert notices and f"#{old}" in notices[0]
    job = h2.app.job_queue.get_jobs_by_name(f"broadcast:{recent}")[0]
    await job.run(h2.app)  # the rebuilt job fires as soon as the scheduler starts
    await h2.services.delivery.wait_idle()
    assert sorted(c.chat_id for c in h2.api.sent("sendMessage") if c.text == "Recent news") == [
        1000,
        1001,
    ]
    assert not [c for c in h2.api.sent("sendMessage") if c.text == "Old news"]
    audit = await h2.rows("SELECT action FROM broadcast_audit WHERE broadcast_id = ?", (old,))
    assert [a["action"] for a in audit] == ["schedule", "expire"]
    await close_harness(h2)


async def test_officers_get_a_notice_24h_before_a_campaign_message_and_can_cancel(
    tmp_path, content
):
    clock = FixedClock(datetime(2026, 10, 18, 9, 0, tzinfo=LONDON))
    h = await harness(tmp_path, content, clock=clock)
    launch = await h.services.broadcasts.get_by_key("campaign:loan-shark-week:2026:launch")
    assert not [t for t in h.api.texts(OFFICER_ID) if "Loan Shark" in t], "25 hours ahead: not yet"
    clock.set(datetime(2026, 10, 18, 10, 30, tzinfo=LONDON))
    assert await h.services.broadcasting.send_notices() >= 1
    notice = [c for c in h.api.sent("sendMessage", OFFICER_ID) if "Loan Shark" in c.text][0]
    assert ("✖️ Cancel this message", ob.CancelBroadcast(launch.id).pack()) in notice.buttons
    assert [c for c in h.api.sent("sendMessage", ADMIN_ID) if "Loan Shark" in c.text]
    assert await h.services.broadcasting.send_notices() == 0, "told once"
    calls = await h.press(OFFICER_ID, ob.CancelBroadcast(launch.id).pack())
    assert (await h.services.broadcasts.get(launch.id)).status == "scheduled", "asks first"
    confirm = ob.ConfirmCancel(launch.id, int(launch.due_at.timestamp())).pack()
    assert confirm in [d for _, d in h.buttons(calls)]
    await h.press(OFFICER_ID, confirm)
    assert (await h.services.broadcasts.get(launch.id)).status == "cancelled"
    audit = await h.rows(
        "SELECT actor_id, action FROM broadcast_audit WHERE broadcast_id = ? ORDER BY id",
        (launch.id,),
    )
    assert audit[-1] == {"actor_id": OFFICER_ID, "action": "cancel"}
    assert not h.app.job_queue.get_jobs_by_name(f"broadcast:{launch.id}") or all(
        j.removed for j in h.app.job_queue.get_jobs_by_name(f"broadcast:{launch.id}")
    )
    await close_harness(h)


async def test_meeting_reminders_go_the_day_before_at_18_to_those_who_asked(tmp_path, content):
    start = datetime(2026, 11, 23, 12, 0, tzinfo=LONDON)
    clock = FixedClock(start)
    h = await harness(tmp_path, content, clock=clock)
    nag = content.nag_by_id["fishermead"]
    meeting = upcoming(nag.meetings, start, LONDON, count=1)[0]
    await add_residents(h, [1000], remind=1, consent=0)  # reminders need no campaign consent
    await add_residents(h, [1001], remind=0)
    await add_residents(h, [1002], remind=1, nag="cmk")
    key = f"reminder:fishermead:{meeting.start.date().isoformat()}"
    row = await h.services.broadcasts.get_by_key(key)
    assert row is not None and row.due_at == day_before(meeting)
    assert row.due_at.astimezone(LONDON).time() == time(18, 0)
    clock.set(day_before(meeting))
    await h.services.delivery.run_due()
    assert h.api.texts(1000) and nag.name.split()[0] in h.api.texts(1000)[0]
    assert h.api.texts(1001) == []
    assert not [t for t in h.api.texts(1002) if "fishermead" in t.lower()]
    assert h.api.sent("sendMessage", 1000)[0].buttons == []
    await close_harness(h)

"""The console's Broadcasts pages through the real Application and real HTTP: a broadcast
scheduled in the console arrives in two residents' chats in the Bot API double when its job
fires; cancel and send now only after a confirm page; a forged POST without the form token
refused; retime and edit; the calendar and the delivery report under the small-number rules."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from bot.content import Content
from tests import consolekit as ck
from tests.conftest import LONDON, OFFICER_ID, close_harness
from tests.test_console import small_numbers
from tests.test_delivery import add_residents

DRAFT = {
    "text": "Bike marking at <Saxon Gate> & Avebury",
    "audience": "nags",
    "nag": "fishermead",
    "when": "later",
    "day": "2026-11-24",
    "time": "18:30",
    "ratings": "1",
}


@pytest.fixture
async def h(tmp_path: Path, content: Content):
    harness = await ck.console_harness(tmp_path, content)
    await add_residents(harness, [1000, 1001], nag="fishermead")
    await add_residents(harness, [1002], nag="woughton")
    yield harness
    await close_harness(harness)


async def schedule(h, http, draft: dict[str, str] = DRAFT) -> int:
    """New broadcast, Preview, Confirm, as an officer does in the browser; its id."""
    status, page = await ck.get(http, h, "/console/broadcasts/new")
    assert status == 200 and 'for="b-text"' in page
    status, preview = await ck.post(http, h, "/console/broadcasts/preview", draft, page)
    assert status == 200, preview
    assert await h.rows("SELECT id FROM broadcasts WHERE kind = 'officer'") == [], (
        "nothing before Confirm"
    )
    status, done = await ck.post(http, h, "/console/broadcasts/create", draft, preview)
    assert status == 303, done
    rows = await h.rows("SELECT id FROM broadcasts WHERE kind = 'officer' ORDER BY id DESC LIMIT 1")
    return int(rows[0]["id"])


def job(h, bid: int):  # noqa: ANN201
    jobs = [j for j in h.app.job_queue.get_jobs_by_name(f"broadcast:{bid}") if not j.removed]
    return jobs[0] if jobs else None


async def test_scheduled_in_the_console_arrives_in_two_chats(h):
    async with ck.client() as http:
        await ck.sign_in(h, http, OFFICER_ID)
        status, page = await ck.get(http, h, "/console/broadcasts/new")
        status, preview = await ck.post(http, h, "/console/broadcasts/preview", DRAFT, page)
        assert "Bike marking at &lt;Saxon Gate&gt; &amp; Avebury" in preview
        assert "residents of Fishermead" in preview and "fewer than 5" in preview
        assert "Tue 24 Nov 2026, 18:30" in preview and "Confirm: schedule it" in preview
        bid = await schedule(h, http)
        status, detail = await ck.get(http, h, f"/console/broadcasts/{bid}?done=created")
        assert "it is scheduled" in detail and small_numbers(detail) == []
        status, cal = await ck.get(http, h, "/console/broadcasts?month=2026-11")
        assert f"18:30 #{bid} scheduled" in cal and "<caption>November 2026" in cal
    row = (await h.rows("SELECT * FROM broadcasts WHERE id = ?", (bid,)))[0]
    assert row["created_by"] == OFFICER_ID and row["status"] == "scheduled"
    assert row["text"] == "Bike marking at &lt;Saxon Gate&gt; &amp; Avebury"
    assert datetime.fromisoformat(row["send_at"]) == datetime(2026, 11, 24, 18, 30, tzinfo=LONDON)
    audit = await h.rows("SELECT actor_id, action FROM broadcast_audit WHERE broadcast_id = ?",
                         (bid,))  # fmt: skip
    assert audit == [{"actor_id": OFFICER_ID, "action": "schedule"}]
    assert h.api.texts(1000) == []

    h.clock.set(datetime(2026, 11, 24, 18, 30, tzinfo=LONDON))
    await job(h, bid).run(h.app)
    await h.services.delivery.wait_idle()
    got = sorted(c.chat_id for c in h.api.sent("sendMessage") if "Saxon Gate" in (c.text or ""))
    assert got == [1000, 1001]


async def test_cancel_asks_first_and_only_the_confirm_cancels(h):
    async with ck.client() as http:
        await ck.sign_in(h, http, OFFICER_ID)
        bid = await schedule(h, http)
        status, detail = await ck.get(http, h, f"/console/broadcasts/{bid}")
        due = re.search(r'name="due" value="([^"]+)"', detail).group(1)  # type: ignore[union-attr]
        status, ask = await ck.post(http, h, f"/console/broadcasts/{bid}/cancel", {"due": due},
                                    detail)  # fmt: skip
        assert status == 200 and "Nobody will get it" in ask and "Confirm: cancel it" in ask
        assert (await h.services.broadcasts.get(bid)).status == "scheduled"
        assert job(h, bid) is not None
        status, _ = await ck.post(http, h, f"/console/broadcasts/{bid}/cancel/confirm",
                                  {"due": due}, ask)  # fmt: skip
        assert status == 303
        status, again = await ck.post(http, h, f"/console/broadcasts/{bid}/cancel/confirm",
                                      {"due": due}, ask)  # fmt: skip
        assert status == 409 and "could not be changed" in again
    assert (await h.services.broadcasts.get(bid)).status == "cancelled"
    assert job(h, bid) is None
    audit = await h.rows("SELECT actor_id, action, detail FROM broadcast_audit"
                         " WHERE broadcast_id = ? ORDER BY id", (bid,))  # fmt: skip
    assert [(a["actor_id"], a["action"]) for a in audit][-1] == (OFFICER_ID, "cancel")


async def test_a_forged_post_without_the_form_token_is_refused(h):
    async with ck.client() as http:
        await ck.sign_in(h, http, OFFICER_ID)
        bid = await schedule(h, http)
        b = await h.services.broadcasts.get(bid)
        for path in (
            f"/console/broadcasts/{bid}/cancel/confirm",
            f"/console/broadcasts/{bid}/send/confirm",
            "/console/broadcasts/create",
        ):
            status, page = await ck.post(http, h, path, {"due": b.due_at.isoformat(), **DRAFT})
            assert status == 403 and "out of date" in page
    assert (await h.services.broadcasts.get(bid)).status == "scheduled"
    assert len(await h.rows("SELECT id FROM broadcasts WHERE kind = 'officer'")) == 1


async def test_retime_edit_and_send_now_with_confirm(h):
    async with ck.client() as http:
        await ck.sign_in(h, http, OFFICER_ID)
        bid = await schedule(h, http)
        status, detail = await ck.get(http, h, f"/console/broadcasts/{bid}")
        due = (await h.services.broadcasts.get(bid)).due_at.isoformat()
        moved = {"due": due, "day": "2026-11-25", "time": "10:15"}
        status, _ = await ck.post(http, h, f"/console/broadcasts/{bid}/retime", moved, detail)
        assert status == 303
        b = await h.services.broadcasts.get(bid)
        assert b.due_at == datetime(2026, 11, 25, 10, 15, tzinfo=LONDON)
        assert job(h, bid).job.trigger.run_date == b.due_at
        status, stale = await ck.post(http, h, f"/console/broadcasts/{bid}/retime", moved, detail)
        assert status == 409, "the time shown was the old one"
        no_due = {"day": "2026-11-26", "time": "09:00"}
        status, _ = await ck.post(http, h, f"/console/broadcasts/{bid}/retime", no_due, detail)
        assert status == 409 and (await h.services.broadcasts.get(bid)).due_at == b.due_at
        status, past = await ck.post(http, h, f"/console/broadcasts/{bid}/retime",
                                     {**moved, "due": b.due_at.isoformat(), "day": "2026-11-01"},
                                     detail)  # fmt: skip
        assert status == 400 and "already passed" in past

        status, detail = await ck.get(http, h, f"/console/broadcasts/{bid}")
        edit = {"due": b.due_at.isoformat(), "text": "Bike marking moved to Thursday"}
        status, _ = await ck.post(http, h, f"/console/broadcasts/{bid}/edit", edit, detail)
        assert status == 303
        assert (await h.services.broadcasts.get(bid)).text == "Bike marking moved to Thursday"

        status, detail = await ck.get(http, h, f"/console/broadcasts/{bid}")
        status, ask = await ck.post(http, h, f"/console/broadcasts/{bid}/send",
                                    {"due": b.due_at.isoformat()}, detail)  # fmt: skip
        assert status == 200 and "Confirm: send it now" in ask
        assert h.api.texts(1000) == []
        status, _ = await ck.post(http, h, f"/console/broadcasts/{bid}/send/confirm",
                                  {"due": b.due_at.isoformat()}, ask)  # fmt: skip
        assert status == 303
    await h.services.delivery.wait_idle()
    await h.services.delivery.run_due()
    got = sorted(c.chat_id for c in h.api.sent("sendMessage") if "Thursday" in (c.text or ""))
    assert got == [1000, 1001]
    actions = await h.rows("SELECT actor_id, action FROM broadcast_audit WHERE broadcast_id = ?"
                           " ORDER BY id", (bid,))  # fmt: skip
    assert [a["action"] for a in actions] == ["schedule", "change", "change", "send_now"]
    assert {a["actor_id"] for a in actions} == {OFFICER_ID}


async def test_duplicate_guard_asks_a_second_time(h):
    async with ck.client() as http:
        await ck.sign_in(h, http, OFFICER_ID)
        await schedule(h, http)
        status, page = await ck.get(http, h, "/console/broadcasts/new")
        status, preview = await ck.post(http, h, "/console/broadcasts/preview", DRAFT, page)
        status, dup = await ck.post(http, h, "/console/broadcasts/create", DRAFT, preview)
        assert status == 409 and "already planned" in dup and "Send anyway" in dup
        assert len(await h.rows("SELECT id FROM broadcasts WHERE kind = 'officer'")) == 1
        status, _ = await ck.post(http, h, "/console/broadcasts/create",
                                  {**DRAFT, "force": "1"}, dup)  # fmt: skip
        assert status == 303
    assert len(await h.rows("SELECT id FROM broadcasts WHERE kind = 'officer'")) == 2


async def test_quiet_hours_shown_in_the_preview_and_bad_input_reasked(h):
    async with ck.client() as http:
        await ck.sign_in(h, http, OFFICER_ID)
        status, page = await ck.get(http, h, "/console/broadcasts/new")
        late = {**DRAFT, "time": "22:30"}
        status, preview = await ck.post(http, h, "/console/broadcasts/preview", late, page)
        assert "Quiet hours: residents get it Wed 25 Nov 2026, 08:00" in preview
        status, again = await ck.post(http, h, "/console/broadcasts/preview",
                                      {**DRAFT, "nag": "nowhere"}, page)  # fmt: skip
        assert status == 400 and "Tick at least one NAG" in again
        status, again = await ck.post(http, h, "/console/broadcasts/preview",
                                      {**DRAFT, "text": " "}, page)  # fmt: skip
        assert status == 400 and "Write the message" in again


async def test_origin_null_is_ours_only_when_the_browser_says_same_origin(h):
    """Under Referrer-Policy: no-referrer browsers send "Origin: null" on our own forms; a form
    on another site sends the same, with Sec-Fetch-Site: cross-site."""
    async with ck.client() as http:
        await ck.sign_in(h, http, OFFICER_ID)
        bid = await schedule(h, http)
        status, detail = await ck.get(http, h, f"/console/broadcasts/{bid}")
        token = re.search(r'name="csrf" value="([^"]+)"', detail).group(1)  # type: ignore[union-attr]
        due = (await h.services.broadcasts.get(bid)).due_at.isoformat()
        path = ck.base(h) + f"/console/broadcasts/{bid}/cancel/confirm"
        data = {"csrf": token, "due": due}
        other = {"Origin": "null", "Sec-Fetch-Site": "cross-site"}
        async with http.post(path, data=data, headers=other, allow_redirects=False) as resp:
            assert resp.status == 403 and "another site" in await resp.text()
        assert (await h.services.broadcasts.get(bid)).status == "scheduled"
        ours = {"Origin": "null", "Sec-Fetch-Site": "same-origin"}
        async with http.post(path, data=data, headers=ours, allow_redirects=False) as resp:
            assert resp.status == 303
    assert (await h.services.broadcasts.get(bid)).status == "cancelled"


async def test_delivery_reports_and_every_broadcast_page_hide_small_counts(h):
    async with ck.client() as http:
        await ck.sign_in(h, http, OFFICER_ID)
        bid = await schedule(h, http)
        h.clock.set(datetime(2026, 11, 24, 18, 30, tzinfo=LONDON))
        await job(h, bid).run(h.app)
        await h.services.delivery.wait_idle()
        await h.services.broadcasts.rate(bid, 1000, True, h.clock.now())
        assert (await h.services.broadcasts.get(bid)).status == "done"
        await ck.sign_in(h, http, OFFICER_ID)  # the session ended while the clock moved on
        for path in (
            f"/console/broadcasts/{bid}",
            "/console/broadcasts",
            "/console/broadcasts/ratings",
            "/console/broadcasts/new",
            "/console/reach",
        ):
            status, page = await ck.get(http, h, path)
            assert status == 200, path
            assert small_numbers(page) == [], path
            assert "1000" not in page and "1001" not in page, path  # no chat ids
        status, page = await ck.get(http, h, f"/console/broadcasts/{bid}")
        assert "Delivery report" in page and "fewer than 5" in page and "not shown" in page
        status, cal = await ck.get(http, h, "/console/broadcasts")
        assert f"18:30 #{bid} sent" in cal


async def test_a_campaign_message_chosen_in_the_console_goes_out_as_the_content_has_it(
    h, content: Content
):
    campaign = next(c for c in content.campaigns if any(m.text for m in c.messages))
    msg = next(m for m in campaign.messages if m.text)
    draft = {**DRAFT, "text": "", "content": f"campaign:{campaign.id}:{msg.id}", "when": "now"}
    async with ck.client() as http:
        await ck.sign_in(h, http, OFFICER_ID)
        status, page = await ck.get(http, h, "/console/broadcasts/new")
        assert f'value="campaign:{campaign.id}:{msg.id}"' in page
        status, preview = await ck.post(http, h, "/console/broadcasts/preview", draft, page)
        assert status == 200 and "Confirm: send it now" in preview
        status, _ = await ck.post(http, h, "/console/broadcasts/create", draft, preview)
        assert status == 303
        bad = {**draft, "content": "campaign:nope:nope"}
        status, again = await ck.post(http, h, "/console/broadcasts/preview", bad, page)
        assert status == 400 and "no longer in the content" in again
    row = (await h.rows("SELECT ref, text FROM broadcasts WHERE kind = 'officer'"))[0]
    assert row["ref"] == campaign.id and campaign.title in row["text"]
    await h.services.delivery.run_due()
    await h.services.delivery.wait_idle()
    got = sorted(c.chat_id for c in h.api.sent("sendMessage") if c.text == row["text"])
    assert got == [1000, 1001]

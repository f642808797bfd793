"""Audience figures can't be subtracted from each other (bot/services/audiences.py), through the
real Application and the console's real HTTP: with 7 residents in Fishermead and 3 in Woughton,
a broadcast to everyone shows 10 and one to Fishermead alone does not show 7 (10 - 7 would be
Woughton's 3), in /scheduled, on its card and confirmations, in the wizard's preview and in the
console; the group picker hides Fishermead's part too. A broadcast already written out shows
its figures rounded to a multiple of k."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot import callback_officers as ob
from bot.content import Content
from bot.domain.broadcasts import fingerprint
from storage.model import Audience, AudienceKind, BroadcastKind, BroadcastSpec
from tests import consolekit as ck
from tests.conftest import OFFICER_ID, close_harness, make_harness
from tests.fakes.botapi import FakeBotApi
from tests.helpers import Conversation
from tests.test_console import small_numbers
from tests.test_delivery import NO_QUIET, add_residents, harness, officer_broadcast
from tests.test_wizard_mended import screen_buttons, typed_broadcast_to_groups

FISHERMEAD = Audience(AudienceKind.NAGS, ("fishermead",))


@pytest.fixture
async def h(tmp_path: Path, content: Content):
    harness_ = await harness(tmp_path, content, f"{NO_QUIET}\n{ck.CONSOLE % ''}")
    await add_residents(harness_, range(1000, 1007), nag="fishermead")
    await add_residents(harness_, range(2000, 2003), nag="woughton")
    yield harness_
    await close_harness(harness_)


async def test_a_nag_audience_that_would_give_away_the_rest_is_not_shown(h):
    later = h.clock.now() + timedelta(days=2)
    everyone = await officer_broadcast(h, "To everyone", send_at=later)
    fm = await officer_broadcast(h, "To Fishermead", audience=FISHERMEAD, send_at=later)
    calls = await h.send(OFFICER_ID, "/scheduled")
    listing = calls[-1].text
    assert f"<b>#{everyone}</b>" in listing and "To everyone · everyone · 👥 10" in listing
    line = next(x for x in listing.split("\n") if f"<b>#{fm}</b>" in x)
    assert "👥 not shown" in line and "7" not in line.split("·", 1)[1]
    card = await h.press(OFFICER_ID, ob.Manage(fm).pack())
    assert "👥 not shown residents" in card[-1].text or "not shown" in card[-1].text
    assert " 7 " not in card[-1].text
    cancel = await h.press(OFFICER_ID, ob.CancelBroadcast(fm).pack())
    assert "7 residents" not in cancel[-1].text
    async with ck.client() as http:
        await ck.sign_in(h, http, OFFICER_ID)
        _, page = await ck.get(http, h, f"/console/broadcasts/{fm}")
        _, whole = await ck.get(http, h, f"/console/broadcasts/{everyone}")
        _, home = await ck.get(http, h, "/console/")
    assert "Residents it would reach now</dt><dd>not shown" in page
    assert "Residents it would reach now</dt><dd>10" in whole
    assert small_numbers(page) == [] and small_numbers(home) == []
    assert ">7<" not in home and ">7<" not in page


async def test_the_group_picker_hides_the_same_part(tmp_path: Path, content: Content):
    h = await make_harness(tmp_path, content, api=FakeBotApi(history=True))
    try:
        await add_residents(h, range(1000, 1007), nag="fishermead")
        await add_residents(h, range(2000, 2003), nag="woughton")
        officer = Conversation(h, OFFICER_ID, "officer")
        await typed_broadcast_to_groups(officer, "Police surgery at the library")
        await officer.say("Fishermead")  # typing part of a name narrows the list
        labels = [label for label in screen_buttons(officer) if " · " in label]
        assert labels and all(label.endswith(" · –") for label in labels), labels
    finally:
        await close_harness(h)


async def test_a_written_out_broadcasts_figures_are_rounded(h):
    await add_residents(h, range(1007, 1010), nag="fishermead")  # 13 in all
    bid = await officer_broadcast(h, "Going out")
    store = h.services.broadcasts
    b = await store.get(bid)
    await store.materialise(b, h.clock.now())
    for chat in range(1000, 1007):
        await store.mark_sent(bid, chat, 1, h.clock.now())
    calls = await h.send(OFFICER_ID, "/scheduled")
    assert "≈5 of ≈15 sent" in calls[-1].text  # 7 of 13: rounded to 5s
    calls = await h.send(OFFICER_ID, f"/report {bid}")
    assert "≈5" in calls[-1].text and " 7 " not in calls[-1].text and "13" not in calls[-1].text
    async with ck.client() as http:
        await ck.sign_in(h, http, OFFICER_ID)
        _, page = await ck.get(http, h, f"/console/broadcasts/{bid}")
    assert "about 15" in page and "about 5" in page and small_numbers(page) == []


async def test_the_24_hour_notice_follows_the_same_rule(h):
    """The officers' notice a day before an automatic campaign message to Fishermead: "not
    shown" like every other view, never 7 (10 less 7 would be Woughton's 3)."""
    due = h.clock.now() + timedelta(hours=12)
    spec = BroadcastSpec(
        kind=BroadcastKind.CAMPAIGN,
        text="Fishermead tip",
        audience=FISHERMEAD,
        send_at=due,
        created_by=None,
        fingerprint=fingerprint("Fishermead tip"),
    )
    bid, _ = await h.services.broadcasts.create(spec, h.clock.now())
    assert await h.services.broadcasting.send_notices() >= 1
    notice = [t for t in h.api.texts(OFFICER_ID) if f"#{bid}" in t]
    assert notice, h.api.texts(OFFICER_ID)
    assert "to not shown residents" in notice[0], notice[0]

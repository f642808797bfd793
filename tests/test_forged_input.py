"""Forged or odd input (the hardening review's list): every id is parsed strictly, every button
press is answered exactly once, and nothing raises in a handler (the harness fails on any)."""

from __future__ import annotations

import pytest

from bot import callback_data as cd
from bot import callback_officers as ob
from storage.model import Audience, BroadcastKind, BroadcastSpec
from tests.conftest import OFFICER_ID, Harness
from tests.fakes.botapi import Call

RESIDENT = 313131


def answers(calls: list[Call]) -> list[Call]:
    return [c for c in calls if c.method == "answerCallbackQuery"]


@pytest.mark.parametrize(
    "data",
    [
        "a:²", "a:١٢", "br:²:1", f"br:{10**23}:1", "br:-1:1", "br:1:2", "sa:²:1:1",
        f"sa:{10**23}:1:1", "sa:1:1", "f:maybe", "c:", "i:../etc", "cp:x", "cp",
        "zz:1", "", ":::", "bx:²", f"bx:{10**23}", "m:nowhere",
    ],
)  # fmt: skip
async def test_a_forged_button_from_a_resident_is_answered_once_and_changes_nothing(
    harness: Harness, data: str
):
    await harness.send(RESIDENT, "/start nag_fishermead")
    await harness.send(RESIDENT, "/help")  # the day's last-seen note is written by now
    before = await harness.rows("SELECT * FROM residents")
    calls = await harness.press(RESIDENT, data)
    assert len(answers(calls)) == 1
    assert await harness.rows("SELECT * FROM residents") == before
    assert await harness.rows("SELECT * FROM broadcast_ratings") == []


@pytest.mark.parametrize("bid", [99_999_999_999, 2**53 - 1, 0])
async def test_officer_buttons_with_unknown_ids_say_so(harness: Harness, bid: int):
    for kind in (ob.CancelBroadcast, ob.SendNow, ob.Retime):
        calls = await harness.press(OFFICER_ID, kind(bid).pack())
        assert len(answers(calls)) == 1


@pytest.mark.parametrize("arg", ["²", "١٢", str(10**23), "-5", "#", "1e3", "0x10"])
async def test_report_with_an_odd_id_shows_the_usage(harness: Harness, arg: str):
    calls = await harness.send(OFFICER_ID, f"/report {arg}")
    assert "/report" in calls[-1].text


async def test_a_broadcast_time_in_year_9999_is_refused_not_a_crash(harness: Harness):
    await harness.send(OFFICER_ID, "/broadcast")
    await harness.press(OFFICER_ID, ob.WizardTypeText().pack())
    await harness.send(OFFICER_ID, "Road closed")
    await harness.press(OFFICER_ID, ob.WizardImage("-").pack())
    await harness.press(OFFICER_ID, ob.WizardAudience("all").pack())
    calls = await harness.send(OFFICER_ID, "31/12/9999 23:30")
    assert "more than 366 days ahead" in calls[-1].text
    assert await harness.rows("SELECT * FROM broadcasts WHERE kind = 'officer'") == []


async def test_a_resident_cannot_rate_a_broadcast_they_never_received(harness: Harness):
    await harness.send(RESIDENT, "/start nag_fishermead")
    spec = BroadcastSpec(
        kind=BroadcastKind.OFFICER, text="x", audience=Audience(), send_at=harness.clock.now()
    )
    bid, _ = await harness.services.broadcasts.create(spec, harness.clock.now())
    calls = await harness.press(RESIDENT, cd.Rate(bid, True).pack())
    assert "out of date" in answers(calls)[0].params["text"]
    assert await harness.rows("SELECT * FROM broadcast_ratings") == []

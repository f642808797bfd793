"""Officers can't slip (issue 12): /scheduled is a compact list with one Manage button per
broadcast; Send now, Change time and Cancel each show what will happen (the message, audience,
recipients and when residents actually get it, by delivery's own quiet-hours rule) and act only
on Confirm; a Confirm is safe to press twice and is refused once the broadcast has changed; a
resident's forged press gets nothing; officers are named from the config; times are in words.

Each test reads as the officer's conversation (tests/helpers.Conversation); a failing assertion
prints it.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from bot import callback_officers as ob
from bot.content import Content
from tests.conftest import ADMIN_ID, LONDON, OFFICER_ID, Harness, close_harness, make_harness
from tests.fakes.botapi import FakeBotApi
from tests.helpers import Conversation, callback_answers
from tests.test_delivery import add_residents, officer_broadcast

RESIDENTS = range(5000, 5040)  # 40 subscribers in Fishermead
INTRUDER = 5100  # a resident who is not an officer
NOON = datetime(2026, 11, 24, 12, 0, tzinfo=LONDON)  # Tuesday
EVENING = datetime(2026, 11, 24, 22, 0, tzinfo=LONDON)  # in quiet hours (21:00-08:00)
LATER = datetime(2026, 11, 26, 10, 0, tzinfo=LONDON)  # Thursday
NAMED = f"""
officers:
  - {{id: {OFFICER_ID}, role: officer, name: "Sam (Safer Neighbourhood Team)"}}
  - {{id: {ADMIN_ID}, role: admin}}
"""
QUIET_OFF = "broadcast:\n  quiet_hours: ''"
ISO = re.compile(r"\d{4}-\d{2}-\d{2}|\d{2}:\d{2}:\d{2}|[+-]\d{2}:\d{2}\b")


async def start(tmp_path: Path, content: Content, extra: str = NAMED) -> Harness:
    h = await make_harness(tmp_path, content, api=FakeBotApi(history=True), config_extra=extra)
    h.services.delivery.use_virtual_time()
    h.clock.set(NOON)
    await add_residents(h, RESIDENTS)
    return h


@pytest.fixture
async def h(tmp_path: Path, content: Content) -> AsyncIterator[Harness]:
    harness = await start(tmp_path, content)
    yield harness
    await close_harness(harness)


def received(h: Harness, text: str) -> list[int]:
    """The residents' chats a message containing `text` went to (the officer's preview aside)."""
    return sorted(
        c.chat_id
        for c in h.api.calls
        if c.method in ("sendMessage", "sendPhoto") and text in c.text and c.chat_id in RESIDENTS
    )


def assert_words_not_iso(chat: Conversation) -> None:
    """No raw ISO date or timestamp in anything the officer was shown."""
    shown = [s.text for s in chat.said] + [label for s in chat.said for label, _ in s.buttons]
    iso = [text for text in shown if ISO.search(text)]
    assert not iso, f"raw ISO times shown: {iso}\n{chat.transcript()}"


async def audit(h: Harness, bid: int) -> list[tuple[int | None, str]]:
    rows = await h.rows(
        "SELECT actor_id, action FROM broadcast_audit WHERE broadcast_id = ? ORDER BY id", (bid,)
    )
    return [(r["actor_id"], r["action"]) for r in rows]


# ---------------------------------------------------------------- /scheduled and the card


async def test_scheduled_is_a_compact_list_with_later_automatic_messages_folded(h: Harness):
    bid = await officer_broadcast(h, "Street surgery on Thursday", send_at=LATER)
    officer = Conversation(h, OFFICER_ID, "officer")
    await officer.say("/scheduled")
    listing = officer.last()
    assert (
        f"#{bid} Thu 26 Nov, 10:00 · Street surgery on Thursday · everyone · 👥 40 · by Sam"
        in listing
    )
    assert "📣 16 Days of Action on Domestic Abuse" in listing  # automatic, tomorrow
    # Campaign messages further than a month ahead (January, next October) are folded away.
    assert "Hate Crime" not in listing and "Loan Shark" not in listing and "2027" not in listing
    labels = officer.buttons()
    assert all(re.fullmatch(r"Manage #\d+", label) for label in labels[:-1]), labels
    assert labels[-1] == "Show 6 later automatic messages"
    assert len(listing.split("\n")) <= 10 and len(listing) <= 900, "one short line each"
    officer.assert_one_screen(limit=900)

    await officer.tap("Show 6 later automatic messages")
    later = officer.last()
    assert "Later automatic messages: 6" in later and "Hate Crime Awareness Week" in later
    assert "Mon 11 Oct 2027, 10:00" in later
    await officer.tap("Back to the next month")
    assert "Street surgery" in officer.last()
    assert officer.live_keyboards() == 1, "the list is edited in place"
    assert_words_not_iso(officer)


async def test_send_now_asks_first_with_recipients_and_the_real_send_time(h: Harness):
    bid = await officer_broadcast(h, "Street surgery on Thursday", send_at=LATER)
    officer = Conversation(h, OFFICER_ID, "officer")
    await officer.say("/scheduled")
    await officer.tap(f"Manage #{bid}")
    card = officer.last()
    assert f"Broadcast #{bid} · scheduled by Sam (Safer Neighbourhood Team)" in card
    assert "40 residents: everyone subscribed" in card
    assert "Residents get it Thursday 26 November, 10:00." in card
    assert "Quiet hours" not in card

    await officer.tap("Send now")
    confirm = officer.last()
    assert f"Send broadcast #{bid} now?" in confirm and "“Street surgery on Thursday”" in confirm
    assert "40 residents" in confirm and "Residents get it now." in confirm
    assert "Quiet hours" not in confirm
    assert received(h, "Street surgery") == [], "nothing happens before Confirm"
    assert (await h.services.broadcasts.get(bid)).due_at == LATER

    await officer.tap("Yes, send it to 40")
    assert f"Broadcast #{bid} is going out now" in officer.last()
    await h.services.delivery.run_due()
    assert received(h, "Street surgery") == list(RESIDENTS)
    assert await audit(h, bid) == [(OFFICER_ID, "schedule"), (OFFICER_ID, "send_now")]
    assert_words_not_iso(officer)


async def test_back_from_a_confirmation_changes_nothing(h: Harness):
    bid = await officer_broadcast(h, "Street surgery on Thursday", send_at=LATER)
    officer = Conversation(h, OFFICER_ID, "officer")
    await officer.say("/scheduled")
    await officer.tap(f"Manage #{bid}")
    await officer.tap("Cancel it")
    assert "Nobody will receive it (40 residents would have, Thursday 26 November, 10:00)." in (
        officer.last()
    )
    await officer.tap("Back")
    assert f"Broadcast #{bid} ·" in officer.last(), "back on the card"
    await officer.tap("Back to the list")
    assert "Broadcasts in the next month" in officer.last()
    assert (await h.services.broadcasts.get(bid)).status == "scheduled"
    assert await audit(h, bid) == [(OFFICER_ID, "schedule")]
    assert officer.live_keyboards() == 1, "one screen, edited in place"


async def test_send_now_in_quiet_hours_says_when_residents_really_get_it(h: Harness):
    h.clock.set(EVENING)
    bid = await officer_broadcast(h, "Road closed on Saxon Gate", send_at=LATER)
    officer = Conversation(h, OFFICER_ID, "officer")
    await officer.say("/scheduled")
    await officer.tap(f"Manage #{bid}")
    await officer.tap("Send now")
    assert "🌙 Quiet hours: residents get it tomorrow at 08:00." in officer.last()
    await officer.tap("Yes, send it")
    assert f"✅ Broadcast #{bid} goes out tomorrow at 08:00 (quiet hours)." in officer.last()
    assert "going out now" not in officer.transcript()
    # Delivery applies the same rule: nobody gets it at 22:00, everybody at 08:00.
    await h.services.delivery.run_due()
    assert received(h, "Saxon Gate") == []
    h.clock.set(datetime(2026, 11, 25, 8, 0, tzinfo=LONDON))
    await h.services.delivery.run_due()
    assert received(h, "Saxon Gate") == list(RESIDENTS)


async def test_in_quiet_hours_send_now_can_be_made_urgent(h: Harness):
    h.clock.set(EVENING)
    bid = await officer_broadcast(h, "Gas leak: stay indoors", send_at=LATER)
    officer = Conversation(h, OFFICER_ID, "officer")
    await officer.say("/scheduled")
    await officer.tap(f"Manage #{bid}")
    await officer.tap("Send now")
    assert officer.buttons()[0] == "🚨 Send now as urgent (ignores quiet hours)"
    await officer.tap("Send now as urgent")
    assert f"Broadcast #{bid} is going out now" in officer.last()
    await h.services.delivery.run_due()
    assert received(h, "Gas leak") == list(RESIDENTS), "at 22:00, because the officer chose urgent"
    rows = await h.rows("SELECT action, detail FROM broadcast_audit WHERE broadcast_id = ?", (bid,))
    assert rows[-1] == {"action": "send_now", "detail": "urgent"}
    assert (await h.services.broadcasts.get(bid)).urgent


async def test_outside_quiet_hours_there_is_no_urgent_button(h: Harness):
    bid = await officer_broadcast(h, "Street surgery on Thursday", send_at=LATER)
    officer = Conversation(h, OFFICER_ID, "officer")
    await officer.say("/scheduled")
    await officer.tap(f"Manage #{bid}")
    await officer.tap("Send now")
    assert not any("urgent" in label for label in officer.buttons())


async def test_quiet_hours_off_means_no_quiet_hours_line(tmp_path: Path, content: Content):
    h = await start(tmp_path, content, NAMED + QUIET_OFF)
    h.clock.set(EVENING)
    bid = await officer_broadcast(h, "Road closed on Saxon Gate", send_at=LATER)
    officer = Conversation(h, OFFICER_ID, "officer")
    await officer.say("/scheduled")
    await officer.tap(f"Manage #{bid}")
    await officer.tap("Send now")
    assert "Residents get it now." in officer.last()
    await officer.tap("Yes, send it")
    assert "is going out now" in officer.last()
    assert "Quiet hours" not in officer.transcript() and "quiet" not in officer.transcript()
    await h.services.delivery.run_due()
    assert received(h, "Saxon Gate") == list(RESIDENTS)
    await close_harness(h)


async def test_a_second_confirm_press_sends_nothing_more(h: Harness):
    bid = await officer_broadcast(h, "Street surgery on Thursday", send_at=LATER)
    officer = Conversation(h, OFFICER_ID, "officer")
    await officer.say("/scheduled")
    await officer.tap(f"Manage #{bid}")
    await officer.tap("Send now")
    message_id, data, label = officer.find_button("Yes, send it")
    await officer.tap_data(message_id, data, label)
    await officer.tap_data(message_id, data, label)  # pressed again (a double tap, a lag)
    assert f"Broadcast #{bid} is already going out. Nothing changed." in officer.last()
    await h.services.delivery.run_due()
    await officer.tap_data(message_id, data, label)  # and once more after it went out
    assert f"Broadcast #{bid} has already been sent. Nothing changed." in officer.last()
    assert received(h, "Street surgery") == list(RESIDENTS), "each resident got it once"
    assert await audit(h, bid) == [(OFFICER_ID, "schedule"), (OFFICER_ID, "send_now")]


async def test_confirm_after_the_broadcast_was_cancelled_is_refused(h: Harness):
    bid = await officer_broadcast(h, "Street surgery on Thursday", send_at=LATER)
    officer = Conversation(h, OFFICER_ID, "officer")
    admin = Conversation(h, ADMIN_ID, "admin")
    await officer.say("/scheduled")
    await officer.tap(f"Manage #{bid}")
    await officer.tap("Send now")  # the officer's confirmation is open...
    await admin.say("/scheduled")
    await admin.tap(f"Manage #{bid}")
    await admin.tap("Cancel it")
    await admin.tap("Yes, cancel it")  # ...when the admin cancels it
    assert f"Broadcast #{bid} cancelled" in admin.last()
    await officer.tap("Yes, send it")
    assert f"Broadcast #{bid} was already cancelled. Nothing changed." in officer.last()
    await h.services.delivery.run_due()
    assert received(h, "Street surgery") == []
    assert (await h.services.broadcasts.get(bid)).status == "cancelled"
    assert await audit(h, bid) == [(OFFICER_ID, "schedule"), (ADMIN_ID, "cancel")]


async def test_stopping_a_broadcast_that_is_going_out_asks_first_then_sends_no_more(h: Harness):
    bid = await officer_broadcast(h, "Road closed tonight", send_at=NOON)
    b = await h.services.broadcasts.get(bid)
    await h.services.broadcasts.materialise(b, NOON)  # going out: 40 in its outbox, none sent
    officer = Conversation(h, OFFICER_ID, "officer")
    await officer.say("/scheduled")
    await officer.tap(f"Manage #{bid}")
    assert "Going out now: 0 sent, ≈40 to go." in officer.last()  # rounded to 5s
    await officer.tap("Stop the rest")
    assert "the other ≈40 will not get it" in officer.last()
    assert (await h.services.broadcasts.get(bid)).status == "sending", "asks first"
    await officer.tap("Yes, cancel it")
    assert f"Broadcast #{bid} cancelled" in officer.last()
    await h.services.delivery.run_due()
    assert received(h, "Road closed") == []
    assert (await h.services.broadcasts.get(bid)).status == "cancelled"
    assert await audit(h, bid) == [(OFFICER_ID, "schedule"), (OFFICER_ID, "cancel")]


async def test_confirm_after_the_time_was_changed_is_refused(h: Harness):
    bid = await officer_broadcast(h, "Street surgery on Thursday", send_at=LATER)
    officer = Conversation(h, OFFICER_ID, "officer")
    admin = Conversation(h, ADMIN_ID, "admin")
    await officer.say("/scheduled")
    await officer.tap(f"Manage #{bid}")
    await officer.tap("Cancel it")  # the officer's cancel confirmation is open...
    await admin.say("/scheduled")
    await admin.tap(f"Manage #{bid}")
    await admin.tap("Change time")
    await admin.say("27/11/2026 18:30")
    assert "From: Thursday 26 November, 10:00\nTo: Friday 27 November, 18:30" in admin.last()
    await admin.tap("Yes, move it")  # ...when the admin moves it
    await officer.tap("Yes, cancel it")
    assert (
        f"Broadcast #{bid} was changed meanwhile: it now goes out Friday 27 November, 18:30. "
        "Nothing changed." in officer.last()
    )
    assert (await h.services.broadcasts.get(bid)).status == "scheduled"


async def test_change_time_into_quiet_hours_says_when_residents_get_it(h: Harness):
    bid = await officer_broadcast(h, "Street surgery on Thursday", send_at=LATER)
    officer = Conversation(h, OFFICER_ID, "officer")
    await officer.say("/scheduled")
    await officer.tap(f"Manage #{bid}")
    await officer.tap("Change time")
    assert "It is planned for Thursday 26 November, 10:00." in officer.last()
    await officer.say("26/11/2026 23:15")
    confirm = officer.last()
    assert "To: Thursday 26 November, 23:15" in confirm
    assert "🌙 Quiet hours: residents get it Friday 27 November, 08:00." in confirm
    assert (await h.services.broadcasts.get(bid)).due_at == LATER, "asks first"
    await officer.tap("Yes, move it")
    assert "now goes out Friday 27 November, 08:00 (quiet hours; you chose Thursday" in (
        officer.last()
    )
    assert (await h.services.broadcasts.get(bid)).send_at == datetime(
        2026, 11, 26, 23, 15, tzinfo=LONDON
    )
    assert_words_not_iso(officer)


async def test_a_resident_pressing_forged_officer_buttons_gets_nothing(h: Harness):
    bid = await officer_broadcast(h, "Street surgery on Thursday", send_at=LATER)
    due = int(LATER.timestamp())
    resident = Conversation(h, INTRUDER)
    for data in (
        ob.Manage(bid),
        ob.SendNow(bid),
        ob.CancelBroadcast(bid),
        ob.Retime(bid),
        ob.ScheduledList(True, 0),
        ob.ConfirmSendNow(bid, due),
        ob.ConfirmCancel(bid, due),
        ob.ConfirmRetime(bid, due, due + 3600),
    ):
        said = await resident.tap_data(1, data.pack())
        assert [s.kind for s in said] == ["toast"], resident.transcript()
        assert "out of date" in said[0].text
    assert (await h.services.broadcasts.get(bid)).due_at == LATER
    assert (await h.services.broadcasts.get(bid)).status == "scheduled"
    assert await audit(h, bid) == [(OFFICER_ID, "schedule")]
    assert received(h, "Street surgery") == []


async def test_every_press_is_answered_once(h: Harness):
    bid = await officer_broadcast(h, "Street surgery on Thursday", send_at=LATER)
    calls = await h.press(OFFICER_ID, ob.Manage(bid).pack())
    assert len(callback_answers(calls)) == 1
    calls = await h.press(OFFICER_ID, ob.ConfirmCancel(bid, 12345).pack())  # a stale due time
    assert len(callback_answers(calls)) == 1
    assert (await h.services.broadcasts.get(bid)).status == "scheduled"


# ---------------------------------------------------------------- names and words


async def test_the_history_names_officers_from_the_config(h: Harness):
    bid = await officer_broadcast(h, "Street surgery on Thursday", send_at=LATER)
    admin = Conversation(h, ADMIN_ID, "admin")
    await admin.say("/scheduled")
    await admin.tap(f"Manage #{bid}")
    await admin.tap("Cancel it")
    await admin.tap("Yes, cancel it")
    await admin.say(f"/report {bid}")
    report = admin.last()
    assert "today at 12:00: scheduled by Sam (Safer Neighbourhood Team)" in report
    assert "today at 12:00: cancelled by officer #2" in report, "no name: their place in the list"
    assert str(OFFICER_ID) not in report and str(ADMIN_ID) not in report
    assert "Status: cancelled · planned for Thursday 26 November, 10:00" in report
    # The database keeps the id, never the name.
    assert await audit(h, bid) == [(OFFICER_ID, "schedule"), (ADMIN_ID, "cancel")]
    tables = await h.rows("SELECT name FROM sqlite_master WHERE type = 'table'")
    for table in (t["name"] for t in tables):
        assert "Sam" not in str(await h.rows(f"SELECT * FROM {table}")), table
    assert_words_not_iso(admin)


async def test_the_24_hour_notice_cancel_asks_first(h: Harness):
    launch = await h.services.broadcasts.get_by_key("campaign:sixteen-days:2026:launch")
    assert launch is not None
    h.clock.set(datetime(2026, 11, 24, 10, 30, tzinfo=LONDON))
    await h.services.broadcasting.send_notices()
    officer = Conversation(h, OFFICER_ID, "officer")
    notice = [m for m in officer.messages() if "16 Days" in str(m.get("text"))][-1]
    assert "goes out tomorrow at 10:00 to 40 residents (as things stand now)" in notice["text"]
    data = ob.CancelBroadcast(launch.id).pack()
    await officer.tap_data(int(notice["message_id"]), data, "✖️ Cancel this message")
    assert f"Cancel broadcast #{launch.id}?" in officer.last()
    assert (await h.services.broadcasts.get(launch.id)).status == "scheduled"
    await officer.tap("Yes, cancel it")
    assert (await h.services.broadcasts.get(launch.id)).status == "cancelled"


# ---------------------------------------------------------------- the /broadcast wizard


async def test_the_picker_shows_current_campaigns_and_messages_by_date_and_first_words(
    h: Harness,
):
    officer = Conversation(h, OFFICER_ID, "officer")
    await officer.say("/broadcast")
    assert officer.buttons() == [
        "Winter Burglary Campaign · now",
        "Take Five to Stop Fraud · now",
        "Prevent Week for Parents and Carers · now",
        "16 Days of Action on Domestic Abuse · from Wed 25 Nov",
        "Safer Christmas in Milton Keynes · from Tue 1 Dec",
        "✏️ Type a new message",
        "✖️ Cancel",
    ], "campaigns over (Hate Crime, Loan Shark, Diwali) are left out"
    await officer.tap("Winter Burglary Campaign")
    screen = officer.last()
    assert "Sun 25 Oct: The clocks went back last night, so it will be dark early" in screen
    assert "Sun 8 Nov: Dark evenings are when burglaries go up." in screen
    labels = officer.buttons()
    assert labels[0].startswith("Sun 25 Oct · The clocks went back")
    assert labels[-2:] == ["‹ Back", "✖️ Cancel"]
    assert all(len(label) <= 40 for label in labels), labels
    assert not [label for label in labels if re.search(r"· [a-z-]+$", label)], "no internal ids"
    await officer.tap("‹ Back")
    assert "What would you like to send?" in officer.last()
    assert officer.live_keyboards() == 1
    officer.assert_one_screen()
    assert_words_not_iso(officer)


async def test_a_message_written_for_another_day_warns_in_the_preview(h: Harness):
    officer = Conversation(h, OFFICER_ID, "officer")
    await officer.say("/broadcast")
    await officer.tap("Winter Burglary Campaign")
    await officer.tap("The clocks went back")
    await officer.tap("Everyone subscribed")
    await officer.tap("Now")
    summary = officer.last()
    assert (
        "⚠️ Written for Sunday 25 October: “The clocks went back last night, so it will be"
        in summary
    )
    assert "It would go out on Tuesday 24 November." in summary
    # A message written for no day in particular has no warning.
    await officer.say("/broadcast")
    await officer.tap("Winter Burglary Campaign")
    await officer.tap("Dark evenings")
    await officer.tap("Everyone subscribed")
    await officer.tap("Now")
    assert "Written for" not in officer.last()


async def test_no_warning_on_the_day_a_message_was_written_for(tmp_path: Path, content: Content):
    h = await start(tmp_path, content)
    h.clock.set(datetime(2026, 11, 27, 9, 0, tzinfo=LONDON))  # Black Friday
    officer = Conversation(h, OFFICER_ID, "officer")
    await officer.say("/broadcast")
    await officer.tap("Take Five")
    assert "Fri 27 Nov: Black Friday and Christmas deals" in officer.last()
    await officer.tap("Black Friday")
    await officer.tap("Everyone subscribed")
    await officer.tap("Today 18:00")
    assert "Written for" not in officer.last()
    await officer.tap("Urgent: off")  # still the same day
    assert "Written for" not in officer.last()
    await close_harness(h)


async def test_the_wizard_preview_and_confirmation_state_the_real_send_time(h: Harness):
    h.clock.set(EVENING)
    officer = Conversation(h, OFFICER_ID, "officer")
    await officer.say("/broadcast")
    await officer.tap("Type a new message")
    await officer.say("Bins are collected late this week")
    await officer.tap("No picture")
    await officer.tap("Everyone subscribed")
    await officer.tap("Now")
    summary = officer.last()
    assert "Goes out: now" in summary and "Recipients: 40" in summary
    assert "🌙 Quiet hours: goes out tomorrow at 08:00. Turn on Urgent to send now." in summary
    await officer.tap("Urgent: off")
    assert "Quiet hours" not in officer.last(), "urgent goes out now"
    await officer.tap("Urgent: on")
    assert "Quiet hours: goes out tomorrow at 08:00" in officer.last()
    await officer.tap("Confirm")
    assert "goes out tomorrow at 08:00 (quiet hours)" in officer.last()
    assert "going out now" not in officer.transcript()
    await h.services.delivery.run_due()
    assert received(h, "Bins are collected") == []
    assert_words_not_iso(officer)


async def test_the_wizard_has_no_quiet_hours_line_when_they_are_off(
    tmp_path: Path, content: Content
):
    h = await start(tmp_path, content, NAMED + QUIET_OFF)
    h.clock.set(EVENING)
    officer = Conversation(h, OFFICER_ID, "officer")
    await officer.say("/broadcast")
    await officer.tap("Type a new message")
    await officer.say("Bins are collected late this week")
    await officer.tap("No picture")
    await officer.tap("Everyone subscribed")
    await officer.tap("Now")
    assert "Quiet hours" not in officer.last() and "morning" not in officer.last()
    await officer.tap("Confirm")
    assert "is going out now" in officer.last()
    await close_harness(h)


async def test_a_second_wizard_confirm_creates_nothing_more(h: Harness):
    officer = Conversation(h, OFFICER_ID, "officer")
    await officer.say("/broadcast")
    await officer.tap("Type a new message")
    await officer.say("Bins are collected late this week")
    await officer.tap("No picture")
    await officer.tap("Everyone subscribed")
    await officer.tap("Now")
    message_id, data, label = officer.find_button("Confirm")
    await officer.tap_data(message_id, data, label)
    await officer.tap_data(message_id, data, label)
    assert officer.toasts()[-1].startswith("That button is out of date")
    assert len(await h.rows("SELECT id FROM broadcasts WHERE kind = 'officer'")) == 1
    await h.services.delivery.run_due()
    assert received(h, "Bins are collected") == list(RESIDENTS)


# ---------------------------------------------------------------- on: in campaigns.yaml


def _campaigns_with(copy: Path, old: str, new: str) -> None:
    path = copy / "campaigns.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            "        on: clocks-go-back\n",
            "        on: clocks-back\n",
            "on 'clocks-back': use \"+N days\"",
        ),
        (
            "        on: black-friday\n",
            '        on: black-friday\n        day: "+3"\n',
            "on 'black-friday' is 2026-11-27 but day '+3' sends it on 2026-11-19",
        ),
    ],
)
def test_a_wrong_on_day_is_a_file_line_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, problem: str
):
    import shutil

    from bot.cli import main
    from tests.conftest import ROOT

    copy = tmp_path / "content"
    shutil.copytree(ROOT / "content", copy)
    _campaigns_with(copy, old, new)
    line = (copy / "campaigns.yaml").read_text(encoding="utf-8").split("\n").index(
        new.split("\n")[0]
    ) + 1
    assert main(["check-content", str(copy)]) == 1
    err = capsys.readouterr().err
    assert f"content/campaigns.yaml:{line}: {problem}" in err, err
    assert "Traceback" not in err


async def test_a_former_officer_is_never_shown_by_id(h: Harness):
    from storage.model import Audience, BroadcastKind, BroadcastSpec

    former = 777777  # scheduled it, then left the config
    spec = BroadcastSpec(
        kind=BroadcastKind.OFFICER,
        text="Old news",
        audience=Audience(),
        send_at=LATER,
        created_by=former,
    )
    bid, _ = await h.services.broadcasts.create(spec, h.clock.now())
    officer = Conversation(h, OFFICER_ID, "officer")
    await officer.say(f"/report {bid}")
    assert "scheduled by a former officer" in officer.last()
    await officer.say("/scheduled")
    assert f"#{bid} Thu 26 Nov, 10:00 · Old news · everyone · 👥 40 · by a former officer" in (
        officer.last()
    )
    assert str(former) not in officer.transcript()

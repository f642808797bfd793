"""The resident journey through the real Application: sign-up, area, consent, NAG card, privacy."""

from __future__ import annotations

from datetime import datetime

import pytest
from icalendar import Calendar

from bot import callback_data as cd
from tests import builders as b
from tests.conftest import LONDON, Harness
from tests.fakes.botapi import Failure

CHAT = 424242


async def resident(h: Harness, chat_id: int = CHAT) -> dict | None:
    rows = await h.rows("SELECT * FROM residents WHERE chat_id = ?", (chat_id,))
    return rows[0] if rows else None


async def test_start_asks_for_area_with_privacy_notice_and_location_button(harness: Harness):
    calls = await harness.send(CHAT, "/start")
    texts = [c.text for c in calls if c.method == "sendMessage"]
    assert any("Welcome to <b>SaferMK</b>" in t and "/privacy" in t for t in texts)
    assert any("Where do you live?" in t for t in texts)
    keyboards = [c.params.get("reply_markup") for c in calls if c.params.get("reply_markup")]
    assert any(k.get("keyboard") and k["keyboard"][0][0].get("request_location") for k in keyboards)
    row = await resident(harness)
    assert row is not None and row["nag_id"] is None and row["consent"] == 0 and row["active"] == 1


async def test_full_postcode_selects_nag_then_consent_is_stored_with_time(harness: Harness):
    await harness.send(CHAT, "/start")
    calls = await harness.send(CHAT, "MK6 2LP")
    row = await resident(harness)
    assert row["nag_id"] == "fishermead"
    consent = [c for c in calls if any(d == "c:1" for _, d in c.buttons)]
    assert consent, "the consent question comes with an explicit Yes button"
    await harness.press(CHAT, cd.Consent(True).pack())
    row = await resident(harness)
    assert row["consent"] == 1
    assert row["consent_at"] == harness.clock.now().isoformat(timespec="seconds")


async def test_district_with_several_nags_offers_buttons(harness: Harness):
    await harness.send(CHAT, "/start")
    calls = await harness.send(CHAT, "MK6")
    buttons = harness.buttons(calls)
    areas = [area for _, d in buttons if (area := cd.Area.unpack(d)) is not None]
    assert len(areas) >= 2
    assert all(harness.services.content.nag_by_id[a.nag] for a in areas)
    await harness.press(CHAT, areas[1].pack())
    assert (await resident(harness))["nag_id"] == areas[1].nag


async def test_place_name_with_typo_is_confirmed_then_set(harness: Harness):
    await harness.send(CHAT, "/start")
    calls = await harness.send(CHAT, "Shenly Lodge")
    assert "Is this right?" in calls[-1].text
    assert (await resident(harness))["nag_id"] is None, "a guess is never set silently"
    yes = [d for label, d in calls[-1].buttons if label.startswith("✅")]
    await harness.press(CHAT, yes[0])
    row = await resident(harness)
    nag = harness.services.content.nag_by_id[row["nag_id"]]
    assert "Shenley Lodge" in nag.areas


async def test_shared_location_picks_nearest_nag(harness: Harness):
    target = harness.services.content.nag_by_id["fishermead"]
    await harness.send(CHAT, "/start")
    await harness.push(b.location_update(CHAT, target.lat + 0.001, target.lon - 0.001))
    assert (await resident(harness))["nag_id"] == "fishermead"
    rows = await harness.rows("SELECT * FROM residents")
    assert "lat" not in str(rows[0].keys()), "the location itself is never stored"


@pytest.mark.parametrize("postcode", ["MK99 1AA", "SW1A 1AA", "NN1 1AA"])
async def test_outside_mk_postcode_gets_clear_answer(harness: Harness, postcode: str):
    calls = await harness.send(CHAT, postcode)
    assert f"<b>{postcode}</b> is outside Milton Keynes" in calls[-1].text


async def test_qr_deep_link_preselects_nag_and_records_source(harness: Harness):
    calls = await harness.send(CHAT, "/start nag_fishermead")
    row = await resident(harness)
    assert row["nag_id"] == "fishermead" and row["source"] == "qr:fishermead"
    assert any("leaflet" in c.text for c in calls)
    # the first source is kept when they come back another way
    await harness.send(CHAT, "/start")
    assert (await resident(harness))["source"] == "qr:fishermead"


async def test_unknown_deep_link_falls_back_to_normal_start(harness: Harness):
    calls = await harness.send(CHAT, "/start nag_nowhere")
    assert any("Where do you live?" in c.text for c in calls)
    assert (await resident(harness))["nag_id"] is None


async def test_nag_card_shows_priorities_next_meeting_and_buttons(harness: Harness):
    await harness.send(CHAT, "/start nag_fishermead")
    calls = await harness.send(CHAT, "/nag")
    card = calls[-1]
    nag = harness.services.content.nag_by_id["fishermead"]
    assert nag.name.replace("&", "&amp;") in card.text
    for p in nag.priorities:
        assert p.replace("&", "&amp;") in card.text
    assert "Next meeting:" in card.text and "google.com/maps" in card.text
    datas = [d for _, d in card.buttons]
    assert datas == ["i:fishermead", "r:fishermead", "ch"]


async def test_calendar_button_sends_valid_ics(harness: Harness):
    await harness.send(CHAT, "/start nag_fishermead")
    calls = await harness.press(CHAT, "i:fishermead")
    doc = [c for c in calls if c.method == "sendDocument"][0]
    name, data = doc.files["document"]
    assert name == "fishermead-meetings.ics"
    cal = Calendar.from_ical(data)
    events = list(cal.walk("VEVENT"))
    assert len(events) == 6
    starts = [ev.decoded("dtstart") for ev in events]
    assert all(s.tzinfo is not None and s > harness.clock.now() for s in starts)
    assert all(str(s.tzinfo) == "Europe/London" for s in starts)
    assert list(cal.walk("VTIMEZONE")), "the calendar carries its time zone definition"
    rule = harness.services.content.nag_by_id["fishermead"].meetings
    assert all(s.astimezone(LONDON).time() == rule.at for s in starts)


async def test_remind_me_toggles_and_stop_clears_everything(harness: Harness):
    await harness.send(CHAT, "/start nag_fishermead")
    await harness.press(CHAT, cd.Consent(True).pack())
    calls = await harness.press(CHAT, "r:fishermead")
    assert (await resident(harness))["remind_meetings"] == 1
    answer = [c for c in calls if c.method == "answerCallbackQuery"][0]
    assert "remind you" in answer.params["text"]
    edit = [c for c in calls if c.method == "editMessageReplyMarkup"][0]
    assert "Stop reminders" in str(edit.params["reply_markup"])
    await harness.send(CHAT, "/stop")
    row = await resident(harness)
    assert row["consent"] == 0 and row["remind_meetings"] == 0


async def test_change_area_button_asks_again(harness: Harness):
    await harness.send(CHAT, "/start nag_fishermead")
    calls = await harness.press(CHAT, "ch")
    assert any("Where do you live?" in c.text for c in calls)
    calls = await harness.send(CHAT, "Olney")
    # an existing resident confirms a new area with a button rather than silently switching
    # (a place typed may be a look-up: its meetings are offered too)
    datas = [d for _, d in harness.buttons(calls)]
    step = (await resident(harness))["area_step"]
    assert datas == [f"a:olney:{step}", "m:olney"]
    assert (await resident(harness))["nag_id"] == "fishermead"
    await harness.press(CHAT, datas[0])
    assert (await resident(harness))["nag_id"] == "olney"


async def test_meetings_lists_three_and_can_look_up_another(harness: Harness):
    await harness.send(CHAT, "/start nag_fishermead")
    calls = await harness.send(CHAT, "/meetings")
    assert calls[-1].text.count("• ") == 3
    assert ("🔎 Look up another group", "mo") in calls[-1].buttons
    calls = await harness.press(CHAT, "mo")
    # a page at a time, one per row, by short name
    assert len(calls[-1].buttons) == 9 and calls[-1].buttons[-1][1] == "mp:1"
    seen = [label for label, d in calls[-1].buttons if d.startswith("m:")]
    for page in (1, 2, 3):
        calls = await harness.press(CHAT, f"mp:{page}")
        seen += [label for label, d in calls[-1].buttons if d.startswith("m:")]
    assert len(seen) == len(set(seen)) == 28
    assert all(len(label) <= 28 for label in seen)
    calls = await harness.press(CHAT, "m:olney")
    assert "Next meetings of" in calls[-1].text


async def test_meetings_with_argument_searches(harness: Harness):
    calls = await harness.send(CHAT, "/meetings Wolverton")
    assert "Next meetings of" in calls[-1].text or calls[-1].buttons


async def test_campaigns_lists_current_with_tips(harness: Harness):
    calls = await harness.send(CHAT, "/campaigns")
    first = calls[-1].buttons[0][1]
    calls = await harness.press(CHAT, first)
    text = "\n".join(c.text for c in calls)
    assert "on now" in text and "✔️" in text


async def test_help_offers_the_menu_and_no_officer_commands(harness: Harness):
    calls = await harness.send(CHAT, "/help")
    assert "/privacy" in calls[-1].text and "999" in calls[-1].text
    assert "/help" not in calls[-1].text, "help does not list itself"
    assert ("📅 Next meeting", "mn:next_meeting") in calls[-1].buttons
    assert all("/broadcast" not in c.text for c in calls)


async def test_mydata_and_forget_leave_no_row(harness: Harness):
    await harness.send(CHAT, "/start nag_fishermead")
    await harness.press(CHAT, cd.Consent(True).pack())
    calls = await harness.send(CHAT, "/mydata")
    assert str(CHAT) in calls[-2].text and "Fishermead" in calls[-2].text
    assert calls[-1].method == "sendDocument", "and the same as a JSON file"
    calls = await harness.send(CHAT, "/forget")
    assert ("Yes, delete everything", "f:1") in calls[-1].buttons
    assert await resident(harness) is not None, "nothing is deleted before the confirm button"
    await harness.press_newest(CHAT, "f:1")
    for table in await harness.rows("SELECT name FROM sqlite_master WHERE type='table'"):
        name = table["name"]
        if name == "schema_migrations":
            continue
        cols = [r["name"] for r in await harness.rows(f"PRAGMA table_info({name})")]
        for col in ("chat_id",):
            if col in cols:
                left = await harness.rows(f"SELECT * FROM {name} WHERE {col} = ?", (CHAT,))
                assert left == [], f"{name} still has rows for the resident"


async def test_forget_cancel_keeps_data(harness: Harness):
    await harness.send(CHAT, "/start nag_fishermead")
    await harness.send(CHAT, "/forget")
    await harness.press_newest(CHAT, "f:0")
    assert await resident(harness) is not None


async def test_privacy_explains_storage_and_contact(harness: Harness):
    calls = await harness.send(CHAT, "/privacy")
    assert "/mydata" in calls[-1].text and "12 months" in calls[-1].text
    pages = []
    for page in (1, 2, 3):
        calls = await harness.press(CHAT, f"pp:{page}")
        pages.append(calls[-1].text)
    text = "\n".join(pages)
    assert "What we store" in text and "How long" in text
    assert "safermk@milton-keynes.gov.uk" in text


async def test_blocking_marks_inactive_and_start_reactivates(harness: Harness):
    await harness.send(CHAT, "/start nag_fishermead")
    await harness.push(b.member_update(CHAT, "kicked"))
    assert (await resident(harness))["active"] == 0
    await harness.send(CHAT, "/start")
    assert (await resident(harness))["active"] == 1


async def test_bad_input_is_answered_safely(harness: Harness):
    # HTML comes back escaped
    calls = await harness.send(CHAT, "<b>zzqx</b> <script>")
    assert "&lt;b&gt;zzqx&lt;/b&gt;" in calls[-1].text and "<script>" not in calls[-1].text
    # 5,000 characters: a short, escaped answer
    calls = await harness.send(CHAT, "zq" * 2500)
    assert len(calls[-1].text) < 1000
    # emoji only
    calls = await harness.send(CHAT, "🙂🙂🙂")
    assert "didn't understand" in calls[-1].text
    # whitespace only
    calls = await harness.send(CHAT, "   ")
    assert "postcode" in calls[-1].text
    # stickers and photos
    calls = await harness.push(b.sticker_update(CHAT))
    assert "only read text" in calls[-1].text
    calls = await harness.push(b.photo_update(CHAT))
    assert "only read text" in calls[-1].text
    # unknown command
    calls = await harness.send(CHAT, "/frobnicate")
    assert "don't know that command" in calls[-1].text


async def test_stale_area_button_is_handled(harness: Harness):
    calls = await harness.press(CHAT, "a:no-such-nag")
    answer = [c for c in calls if c.method == "answerCallbackQuery"][0]
    assert "out of date" in answer.params["text"]


async def test_command_menu_comes_from_registry(harness: Harness):
    menus = harness.api.sent("setMyCommands")
    default = [m for m in menus if (m.params.get("scope") or {}).get("type") == "default"][0]
    names = [c["command"] for c in default.params["commands"]]
    registered = [
        c.name for c in harness.services.commands if c.audience == "resident" and c.in_menu
    ]
    assert names == registered
    assert names[:4] == ["start", "nag", "meetings", "campaigns"]
    texts = harness.services.texts()
    assert all(
        c["description"] == texts.get(f"command.{c['command']}") for c in default.params["commands"]
    )


async def test_send_failure_reaches_error_handler_and_user_gets_apology(harness: Harness):
    harness.api.fail_next("sendMessage", Failure(500, "Internal Server Error"))
    await harness.app.process_update(b.to_update(b.text_update(CHAT, "/help"), harness.app.bot))
    assert harness.errors, "the failure reached the error handler"
    assert "something went wrong" in harness.api.calls[-1].text
    harness.errors.clear()


async def test_meeting_times_stay_local_across_clock_change(harness: Harness):
    from bot.domain.meetings import upcoming

    nag = harness.services.content.nag_by_id["fishermead"]
    start = datetime(2026, 9, 1, tzinfo=LONDON)
    meetings = upcoming(nag.meetings, start, LONDON, count=8)
    offsets = {m.start.utcoffset().total_seconds() for m in meetings}
    assert offsets == {3600.0, 0.0}, "both BST and GMT meetings"
    assert all(m.start.astimezone(LONDON).time() == nag.meetings.at for m in meetings)


async def test_start_again_after_stop_offers_consent_again(harness: Harness):
    await harness.send(CHAT, "/start nag_fishermead")
    await harness.press(CHAT, cd.Consent(True).pack())
    await harness.send(CHAT, "/stop")
    calls = await harness.send(CHAT, "/start")
    assert any("Welcome back" in c.text for c in calls)
    assert ("✅ Yes please", "c:1") in harness.buttons(calls)
    await harness.press_newest(CHAT, "c:1")
    assert (await resident(harness))["consent"] == 1


async def test_updates_of_one_chat_run_in_order_through_the_processor(harness: Harness):
    """The real update-queue path (not process_update directly) keeps a chat's order."""
    import asyncio

    app = harness.app
    await app.start()
    try:
        for text in ("/start", "MK6 2LP", "/nag"):
            await app.update_queue.put(b.to_update(b.text_update(CHAT, text), app.bot))
        # task_done() is called after each update has been processed, so join() waits for all.
        await asyncio.wait_for(app.update_queue.join(), 10)
    finally:
        await app.stop()
    texts = harness.api.texts(CHAT)
    welcome = next(i for i, t in enumerate(texts) if "Welcome to" in t)
    area = next(i for i, t in enumerate(texts) if "Your area is now" in t)
    card = next(i for i, t in enumerate(texts) if "Next meeting" in t)
    assert welcome < area < card

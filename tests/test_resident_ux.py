"""Residents' journeys as conversations (issue 12): /settings toggles in place, campaigns as a
list then one campaign, /privacy as a summary then detail, lists and place matching, the
leaflet's QR entry, rating a message. Every screen is checked to fit a phone."""

from __future__ import annotations

import pytest

from bot import callback_data as cd
from bot.content import Content
from tests.conftest import Harness, close_harness
from tests.fakes.botapi import FakeBotApi
from tests.helpers import SCREEN, Conversation
from tests.test_delivery import add_residents, officer_broadcast
from tests.test_delivery import harness as delivery_harness

RESIDENT = 556001


async def _with_area(h: Harness, nag: str = "fishermead") -> Conversation:
    chat = Conversation(h, RESIDENT)
    await chat.say(f"/start nag_{nag}")
    await chat.tap("Yes please")
    return chat


async def _resident(h: Harness) -> dict:
    rows = await h.rows("SELECT * FROM residents WHERE chat_id = ?", (RESIDENT,))
    return rows[0]


# ---------------------------------------------------------------- /settings


async def test_settings_toggle_in_place(conversation_harness: Harness):
    h = conversation_harness
    chat = await _with_area(h)
    said = await chat.say("/settings")
    settings_id = len(chat.messages())
    assert "Campaign messages: on" in said[-1].text and "Meeting reminders: off" in said[-1].text
    await chat.tap("Turn campaign messages off")
    assert (await _resident(h))["consent"] == 0
    await chat.tap("Turn meeting reminders on")
    assert (await _resident(h))["remind_meetings"] == 1
    # The same message, redrawn: no new message was posted by the toggles.
    assert len(chat.messages()) == settings_id
    assert "Campaign messages: off" in chat.last() and "Meeting reminders: on" in chat.last()
    assert chat.toasts()[-2:] == [
        "🔕 Campaign messages are off.",
        "⏰ I'll remind you at 6pm the day before each meeting.",
    ]
    await chat.tap("Turn campaign messages on")
    row = await _resident(h)
    assert row["consent"] == 1 and row["consent_at"] == h.clock.now().isoformat(timespec="seconds")
    chat.assert_one_screen()


async def test_settings_change_area(conversation_harness: Harness):
    chat = await _with_area(conversation_harness)
    await chat.say("/settings")
    said = await chat.tap("Change area")
    assert "Where do you live?" in said[-1].text
    await chat.say("Olney")
    await chat.tap("Make it my area")
    assert (await _resident(conversation_harness))["nag_id"] == "olney"


async def test_settings_reminders_need_an_area(conversation_harness: Harness):
    chat = Conversation(conversation_harness, RESIDENT)
    said = await chat.say("/settings")
    assert "Area: not chosen yet" in said[-1].text
    await chat.tap("Turn meeting reminders on")
    assert chat.toasts()[-1].startswith("Choose your area first")
    assert (await _resident(conversation_harness))["remind_meetings"] == 0


async def test_settings_is_in_the_command_menu(conversation_harness: Harness):
    commands = [c["command"] for c in conversation_harness.api.commands[("default", None)]]
    assert "settings" in commands and commands.index("settings") < commands.index("help")


# ---------------------------------------------------------------- /campaigns


async def test_campaigns_list_then_one_then_more_tips(conversation_harness: Harness):
    chat = await _with_area(conversation_harness)
    said = await chat.say("/campaigns")
    labels = [label for label, _ in said[-1].buttons]
    # Running now first (marked 🟢), then coming soon with the date; over ones are hidden.
    assert labels[0].startswith("🟢") and labels[-1].startswith("🗓")
    now = [x for x in labels if x.startswith("🟢")]
    assert labels[: len(now)] == now
    assert not any("Hate Crime" in x or "Loan Shark" in x or "Diwali" in x for x in labels)
    said = await chat.tap("Take Five")
    assert said[-1].kind == "photo", "the campaign's picture, with the text as its caption"
    assert said[-1].text.count("✔️") == 3
    await chat.tap("More tips")
    assert "more tips" in chat.last() and chat.last().count("✔️") == 2
    await chat.tap("All campaigns")
    assert "Crime-prevention campaigns" in chat.last()
    chat.assert_one_screen()


async def test_an_old_campaign_button_is_answered(conversation_harness: Harness):
    chat = await _with_area(conversation_harness)
    await chat.tap_data(1, cd.CampaignOpen("hate-crime-week", 0).pack(), "old button")
    assert chat.toasts()[-1].startswith("That campaign has finished")


# ---------------------------------------------------------------- /privacy


async def test_privacy_summary_then_detail_in_one_message(conversation_harness: Harness):
    chat = Conversation(conversation_harness, RESIDENT)
    said = await chat.say("/privacy")
    assert "Your privacy, in short" in said[-1].text
    count = len(chat.messages())
    await chat.tap("More detail")
    assert "What we store" in chat.last() and "(1 of 3)" in chat.last()
    await chat.tap("Next")
    assert "Surveys" in chat.last()
    await chat.tap("Next")
    assert "Your rights" in chat.last() and "Next" not in " ".join(chat.buttons())
    await chat.tap("Previous")
    assert "Surveys" in chat.last()
    assert len(chat.messages()) == count, "the pages replace each other in one message"
    chat.assert_one_screen()


# ---------------------------------------------------------------- lists and matching


async def test_a_place_in_two_areas_offers_both(conversation_harness: Harness):
    chat = Conversation(conversation_harness, RESIDENT)
    await chat.say("/start")
    said = await chat.say("Bletchley")
    assert "more than one group" in said[-1].text
    assert [label for label, _ in said[-1].buttons] == ["Central Bletchley", "West Bletchley"]
    await chat.tap("West Bletchley")
    assert (await _resident(conversation_harness))["nag_id"] == "west-bletchley"
    assert "West Bletchley" not in chat.buttons(), "the choice lost its buttons once made"


async def test_a_misspelt_place_is_confirmed(conversation_harness: Harness):
    chat = Conversation(conversation_harness, RESIDENT)
    await chat.say("/start")
    said = await chat.say("Fishermed")
    assert "Did you mean" in said[-1].text and "Is this right?" in said[-1].text
    await chat.tap("No, try again")
    assert "Where do you live?" in chat.last()
    await chat.say("Fishermed")
    await chat.tap("Yes, that's right")
    assert (await _resident(conversation_harness))["nag_id"] == "fishermead"


@pytest.mark.parametrize("postcode", ["SW1A 1AA", "MK99 9ZZ", "LU7 1AA"])
async def test_a_postcode_elsewhere_is_outside_in_full(
    conversation_harness: Harness, postcode: str
):
    chat = Conversation(conversation_harness, RESIDENT)
    said = await chat.say(postcode.lower().replace(" ", ""))
    assert said[-1].text.startswith(f"{postcode} is outside Milton Keynes")


async def test_every_nag_list_button_fits_a_phone_row(conversation_harness: Harness):
    chat = Conversation(conversation_harness, RESIDENT)
    await chat.say("/meetings")
    await chat.tap("Look up another group")
    labels = []
    for _ in range(4):
        labels += [x for x, d in chat._buttons(chat.messages()[-1]) if d and d.startswith("m:")]
        if "Next ▶️" not in chat.buttons():
            break
        await chat.tap("Next ▶️")
    assert len(labels) == 28 and max(len(x) for x in labels) <= 28


# ---------------------------------------------------------------- entries and ratings


async def test_the_leaflet_entry_has_the_privacy_note_and_999(conversation_harness: Harness):
    chat = Conversation(conversation_harness, RESIDENT)
    said = await chat.say("/start nag_olney")
    welcome = said[0].text
    assert "Neighbourhood Action Group" in welcome and "local community safety group" in welcome
    assert "/privacy" in welcome and "999" in welcome
    assert "Would you like occasional messages" in said[-1].text
    chat.assert_one_screen()


async def test_rating_a_message_edits_it_and_removes_its_buttons(tmp_path, content: Content):
    h = await delivery_harness(tmp_path, content, api=FakeBotApi(history=True))
    try:
        await add_residents(h, [RESIDENT])
        bid = await officer_broadcast(h, "<b>Lock up</b> tonight.")
        await h.services.delivery.run_due()
        chat = Conversation(h, RESIDENT)
        assert chat.buttons() == ["👍 Useful", "👎 Not useful"]
        said = await chat.tap("👍 Useful")
        assert chat.toasts()[-1].startswith("Thanks")
        assert chat.buttons() == [], "the message keeps no buttons"
        assert "You rated this: 👍 Useful" in said[-1].text
        assert "Lock up tonight." in chat.last(), "the message itself is unchanged above"
        assert await h.services.broadcasts.ratings(bid) == (1, 0)
    finally:
        await close_harness(h)


async def test_every_resident_screen_fits_one_phone_screen(conversation_harness: Harness):
    """Every NAG's card and next meeting, every listed campaign, the welcome, menus, settings,
    privacy pages and help: each at most 600 characters as read."""
    h = conversation_harness
    chat = Conversation(h, RESIDENT)
    await chat.say("/start")
    await chat.say("MK6 2LP")
    await chat.tap("Yes please")
    for text in ("/help", "/settings", "/privacy", "/campaigns", "/meetings", "/mydata"):
        await chat.say(text)
    for nag in h.services.content.nags:
        await h.services.residents.set_nag(RESIDENT, nag.id, h.clock.now())
        await chat.say("/nag")
        await chat.say("next meeting")
    await chat.say("/campaigns")
    for label in [x for x in chat.buttons() if x.startswith(("🟢", "🗓"))]:
        await chat.tap(label)
        if "More tips" in " ".join(chat.buttons()):
            await chat.tap("More tips")
    long = [s for s in chat.said if s.kind in ("message", "edit", "photo") and len(s.text) > SCREEN]
    assert not long, "\n\n".join(f"{len(s.text)}: {s.text}" for s in long)


async def test_campaigns_that_matter_in_my_area_come_first(small_harness: Harness):
    # Alpha's residents: "Local Campaign" (nags: [alpha]) before the other current one.
    chat = Conversation(small_harness, RESIDENT)
    await chat.say("/start nag_alpha")
    said = await chat.say("/campaigns")
    assert [label for label, _ in said[-1].buttons] == [
        "🟢 📍 Local Campaign",
        "🟢 Now Campaign",
        "🗓 Later Campaign (from 11 Jan)",
    ]
    # Delta's residents see the current ones by start date, unmarked.
    other = Conversation(small_harness, RESIDENT + 1)
    await other.say("/start nag_delta")
    said = await other.say("/campaigns")
    assert [label for label, _ in said[-1].buttons][:2] == ["🟢 Now Campaign", "🟢 Local Campaign"]


def test_a_campaign_for_an_unknown_nag_is_a_file_line_problem(tmp_path):
    from bot.content import ContentError, load_content
    from tests.conftest import LONDON, small_content_dir

    folder = small_content_dir(tmp_path / "c")
    path = folder / "campaigns.yaml"
    text = path.read_text(encoding="utf-8").replace("nags: [alpha]", "nags: [alpha, nowhere]")
    path.write_text(text, encoding="utf-8")
    line = next(i for i, x in enumerate(text.splitlines(), 1) if "nags: [alpha, nowhere]" in x)
    with pytest.raises(ContentError) as err:
        load_content(folder, LONDON)
    assert [str(p) for p in err.value.problems] == [
        f"c/campaigns.yaml:{line}: nags: no NAG has the id 'nowhere'"
    ]

"""A scheduled typed broadcast's Polish text changed from its card in chat (issue 23), as the
console can: "Change the Polish translation" shows what Polish readers get now and asks for the
new text, typed as in the wizard; the new text is previewed as they will see it, and only
Confirm saves it (through the console's service, with an audit row), then the card is drawn
again; Cancel changes nothing; Remove asks first. An old button (the broadcast started, was
sent or cancelled, or a newer preview replaced it) changes nothing and says so; a resident's
forged press gets nothing.

Through the real Application and the Bot API double, each test read as the officer's
conversation (tests/helpers.Conversation). The content is the shipped one (its Polish is a
draft: offered with languages.allow_drafts).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot import callback_officers as ob
from bot.content import Content
from bot.telegram.htmlcheck import html_problem
from bot.telegram.limits import MAX_MESSAGE
from tests import builders as b
from tests.conftest import ADMIN_ID, LONDON, OFFICER_ID, Harness, close_harness, make_harness
from tests.fakes.botapi import FakeBotApi
from tests.helpers import Conversation
from tests.test_delivery import add_residents, officer_broadcast
from tests.test_languages_sends import ENGLISH_TEXT, POLISH_TEXT, polish, with_bold

NOON = datetime(2026, 11, 24, 12, 0, tzinfo=LONDON)
LATER = datetime(2026, 11, 26, 10, 0, tzinfo=LONDON)
CONFIG = f"""
broadcast:
  quiet_hours: ''
languages:
  allow_drafts: true
officers:
  - {{id: {OFFICER_ID}, role: officer, name: "Sam (Safer Neighbourhood Team)"}}
  - {{id: {ADMIN_ID}, role: admin}}
"""
PL, EN = 4242, 4343  # a Polish reader and an English one
INTRUDER = 5100  # a resident who is not an officer
NEW_POLISH = "Droga otwarta jutro rano"
TEXTS = "SELECT language, text FROM broadcast_texts WHERE broadcast_id = ?"


@pytest.fixture
async def h(tmp_path: Path, content: Content) -> AsyncIterator[Harness]:
    harness = await make_harness(
        tmp_path, content, api=FakeBotApi(history=True), config_extra=CONFIG
    )
    harness.services.delivery.use_virtual_time()
    harness.clock.set(NOON)
    await add_residents(harness, [PL, EN, INTRUDER])
    await polish(harness, [PL])
    yield harness
    await close_harness(harness)


async def scheduled(h: Harness, *, polish_text: str | None = POLISH_TEXT) -> int:
    """An officer's typed broadcast to everyone on Thursday, with 👍/👎 (and a Polish text)."""
    translations = (("pl", polish_text),) if polish_text is not None else ()
    return await officer_broadcast(
        h, ENGLISH_TEXT, send_at=LATER, ratings=True, translations=translations
    )


async def card(h: Harness, bid: int) -> Conversation:
    officer = Conversation(h, OFFICER_ID, "officer")
    await officer.say("/scheduled")
    await officer.tap(f"Manage #{bid}")
    return officer


async def stored(h: Harness, bid: int) -> dict[str, str]:
    return {r["language"]: r["text"] for r in await h.rows(TEXTS, (bid,))}


async def changes(h: Harness, bid: int) -> list[tuple[int | None, str, str | None]]:
    rows = await h.rows(
        "SELECT actor_id, action, detail FROM broadcast_audit WHERE broadcast_id = ?"
        " AND action != 'schedule' ORDER BY id",
        (bid,),
    )
    return [(r["actor_id"], r["action"], r["detail"]) for r in rows]


async def deliver(h: Harness) -> None:
    h.clock.set(LATER)
    await h.services.delivery.run_due()
    await h.services.delivery.wait_idle()


def got(h: Harness, chat: int) -> list[tuple[str, list[str]]]:
    """What the resident was sent: (text, button labels)."""
    return [
        (str(c.text), [label for label, _ in c.buttons])
        for c in h.api.calls
        if c.method == "sendMessage" and c.chat_id == chat and c.text
    ]


def all_button_data(officer: Conversation) -> list[str]:
    return [d for m in officer.messages() for _, d in officer._buttons(m) if d]


async def type_bold(officer: Conversation, text: str, length: int) -> Any:
    """The officer types `text` with its first `length` characters in bold."""
    officer.lines.append(f"officer: {text} (bold start)")
    return await officer._push(with_bold(b.text_update(officer.chat_id, text), length))


# ---------------------------------------------------------------- change, with confirm


async def test_a_changed_polish_text_is_previewed_then_saved_on_confirm_only(h: Harness):
    bid = await scheduled(h)
    officer = await card(h, bid)
    assert "🌐 Also typed in: Polish" in officer.last()
    labels = officer.buttons()
    assert "🌐 Change the Polish translation" in labels
    assert "🗑 Remove the Polish translation" in labels
    assert all(len(d.encode()) <= 64 for d in all_button_data(officer))

    await officer.tap("Change the Polish translation")
    shown = [s.text for s in officer.said[-3:]]
    assert shown[0] == "🌐 Residents who chose Polish get:"
    assert shown[1] == POLISH_TEXT, "the current Polish text, as they get it"
    assert officer.said[-2].buttons and officer.said[-2].buttons[0][0] == "👍 Przydatne"
    assert f"Type the new Polish text of broadcast #{bid}" in shown[2]
    assert "Above: the Polish text residents who chose Polish get now." in shown[2]

    # A first try, then a corrected one: each is a preview; nothing is saved by typing.
    await officer.say("Droga otwarta jutro")
    first_yes = officer.find_button("Yes, save the Polish text")
    await type_bold(officer, NEW_POLISH, 5)
    new_html = f"<b>Droga</b>{NEW_POLISH[5:]}"
    previews = [c for c in h.api.calls if c.chat_id == OFFICER_ID and c.text == new_html]
    assert previews, "the new text exactly as Polish readers will see it"
    assert [label for label, _ in previews[-1].buttons] == ["👍 Przydatne", "👎 Nieprzydatne"]
    question = officer.last()
    assert f"Save this Polish text for broadcast #{bid}?" in question
    assert f"“{ENGLISH_TEXT}”" in question, "the English it translates"
    assert "It replaces the Polish text they would get now." in question
    assert officer.buttons()[-2:] == ["✅ Yes, save the Polish text", "✖️ Cancel: change nothing"]
    assert await stored(h, bid) == {"pl": POLISH_TEXT}, "nothing saved before Confirm"
    assert await changes(h, bid) == []

    said = await officer.tap_data(*first_yes)  # the first preview's Confirm: moved on
    assert [s.text for s in said if s.kind == "toast"] == [
        "That button is out of date: this broadcast screen has moved on. Nothing was changed."
    ]
    assert await stored(h, bid) == {"pl": POLISH_TEXT}

    second_yes = officer.find_button("Yes, save the Polish text")
    await officer.tap_data(*second_yes)
    now = officer.last()
    assert now.startswith(
        f"✅ Saved: residents who chose Polish get the new Polish text of broadcast #{bid}."
    )
    assert f"Broadcast #{bid} · scheduled by Sam" in now, "the card, drawn again"
    assert "🌐 Change the Polish translation" in officer.buttons()
    assert await stored(h, bid) == {"pl": new_html}
    assert await changes(h, bid) == [(OFFICER_ID, "change", "translation edited (pl)")]
    await officer.say(f"/report {bid}")
    assert "Polish text changed by Sam" in officer.last()

    said = await officer.tap_data(*second_yes)  # pressed again: nothing more
    assert [s.kind for s in said] == ["toast"] and "moved on" in said[0].text
    assert await changes(h, bid) == [(OFFICER_ID, "change", "translation edited (pl)")]

    await deliver(h)
    assert got(h, PL) == [(new_html, ["👍 Przydatne", "👎 Nieprzydatne"])]
    assert got(h, EN) == [(ENGLISH_TEXT, ["👍 Useful", "👎 Not useful"])]


async def test_adding_a_polish_text_says_there_is_none_and_english_goes(h: Harness):
    bid = await scheduled(h, polish_text=None)
    officer = await card(h, bid)
    assert "Also typed in" not in officer.last()
    assert "🌐 Add a Polish translation" in officer.buttons()
    assert not any("Remove" in label for label in officer.buttons())
    await officer.tap("Add a Polish translation")
    assert "There is no Polish text yet: residents who chose Polish get the English." in (
        officer.last()
    )
    # Officers' content, as in the wizard: taken as the text, never answered with helplines.
    danger = "My ex has a knife and says he will kill me tonight: call 999"
    footer = "nobody is watching this chat"  # every safeguarding answer says so
    resident = Conversation(h, INTRUDER)
    await resident.say(danger)
    assert footer in resident.transcript(), "what a resident saying it would get"
    said = await officer.say(danger)
    sent = [s.text for s in said if s.kind == "message"]
    assert len(sent) == 3 and "Save this Polish text" in sent[-1], officer.transcript()
    assert footer not in officer.transcript()
    await officer.say(NEW_POLISH)
    assert "Residents who chose Polish get it instead of the English." in officer.last()
    await officer.tap("Yes, save the Polish text")
    assert await stored(h, bid) == {"pl": NEW_POLISH}
    assert "🌐 Also typed in: Polish" in officer.last()
    await deliver(h)
    assert got(h, PL)[-1][0] == NEW_POLISH


# ---------------------------------------------------------------- cancel, back


async def test_cancel_or_back_changes_nothing_and_stops_waiting_for_the_text(h: Harness):
    bid = await scheduled(h)
    officer = await card(h, bid)
    await officer.tap("Change the Polish translation")
    await officer.tap("Back")
    assert f"Broadcast #{bid} ·" in officer.last(), "back on the card"
    await officer.say(NEW_POLISH)
    assert "Save this Polish text" not in officer.transcript(), "no longer waiting for it"

    await officer.tap("Change the Polish translation")
    await officer.say(NEW_POLISH)
    await officer.tap("Cancel: change nothing")
    assert f"Broadcast #{bid} ·" in officer.last()
    assert await stored(h, bid) == {"pl": POLISH_TEXT}
    assert await changes(h, bid) == []
    before = len(officer.said)
    await officer.say("Droga zamknięta na zawsze")
    assert not any("Save this Polish text" in s.text for s in officer.said[before:])
    await deliver(h)
    assert got(h, PL)[-1][0] == POLISH_TEXT


# ---------------------------------------------------------------- remove, with confirm


async def test_removing_the_polish_text_asks_first_then_polish_readers_get_english(h: Harness):
    bid = await scheduled(h)
    officer = await card(h, bid)
    await officer.tap("Remove the Polish translation")
    ask = officer.last()
    assert f"Remove the Polish text of broadcast #{bid}?" in ask
    assert f"“{POLISH_TEXT}”" in ask and "will get the English instead" in ask
    assert await stored(h, bid) == {"pl": POLISH_TEXT}, "nothing before Confirm"
    yes = officer.find_button("Yes, remove it")

    await officer.tap("Yes, remove it")
    now = officer.last()
    assert now.startswith(
        f"🗑 Removed: residents who chose Polish get the English of broadcast #{bid}."
    )
    assert "Also typed in" not in now and "🌐 Add a Polish translation" in officer.buttons()
    assert await stored(h, bid) == {}
    assert await changes(h, bid) == [(OFFICER_ID, "change", "translation removed (pl)")]

    await officer.tap_data(*yes)  # pressed again
    assert f"Broadcast #{bid} has no Polish text now" in officer.last()
    assert len(await changes(h, bid)) == 1
    await officer.say(f"/report {bid}")
    assert "Polish text removed by Sam" in officer.last()
    await deliver(h)
    assert got(h, PL) == [(ENGLISH_TEXT, ["👍 Przydatne", "👎 Nieprzydatne"])]


# ---------------------------------------------------------------- the wizard's checks


async def test_too_long_is_asked_again_and_typed_tags_stay_text(h: Harness):
    bid = await scheduled(h)
    officer = await card(h, bid)
    await officer.tap("Change the Polish translation")
    await officer.say("ż" * (MAX_MESSAGE + 1))
    assert officer.last() == (
        "That Polish text is 4,097 characters; Telegram allows 4,096. Please shorten it and "
        "send it again, or press Back to leave it as it is."
    )
    assert "Save this Polish text" not in officer.transcript()

    # Typed tags are text (escaped, as in the wizard): never HTML that Telegram would refuse.
    await officer.say("<b>Droga & <i>zamknięta")
    escaped = "&lt;b&gt;Droga &amp; &lt;i&gt;zamknięta"
    assert any(c.text == escaped for c in h.api.calls if c.chat_id == OFFICER_ID)
    await officer.tap("Yes, save the Polish text")
    assert await stored(h, bid) == {"pl": escaped}
    assert html_problem(escaped) is None
    await deliver(h)
    assert got(h, PL)[-1][0] == escaped


# ---------------------------------------------------------------- old buttons, other people


async def test_buttons_of_a_broadcast_that_has_started_change_nothing(h: Harness):
    bid = await scheduled(h)
    officer = await card(h, bid)
    change = officer.find_button("Change the Polish translation")
    remove = officer.find_button("Remove the Polish translation")
    await officer.tap("Change the Polish translation")
    await officer.say(NEW_POLISH)
    save = officer.find_button("Yes, save the Polish text")
    admin = Conversation(h, ADMIN_ID, "admin")
    await officer.tap_data(*remove)
    confirm_remove = officer.find_button("Yes, remove it")

    started = await h.services.broadcasts.get(bid)
    assert started is not None
    await h.services.broadcasts.materialise(started, NOON)  # going out now: none sent yet
    going = f"Broadcast #{bid} is already going out. Nothing changed."
    for button in (save, confirm_remove, change, remove):
        await officer.tap_data(*button)
        assert officer.last() == going, officer.transcript()
    await officer.say("Droga zamknięta na zawsze")  # typed after it started: not saved
    assert await stored(h, bid) == {"pl": POLISH_TEXT}
    assert await changes(h, bid) == []
    await admin.say("/scheduled")
    assert not any("Polish" in label for label in admin.buttons()), "no such button once going"

    await deliver(h)
    await officer.tap_data(*change)
    assert officer.last() == f"Broadcast #{bid} has already been sent. Nothing changed."
    assert got(h, PL) == [(POLISH_TEXT, ["👍 Przydatne", "👎 Nieprzydatne"])]


async def test_typing_after_the_broadcast_was_cancelled_saves_nothing(h: Harness):
    bid = await scheduled(h)
    officer = await card(h, bid)
    await officer.tap("Change the Polish translation")
    assert await h.services.broadcasting.cancel(bid, ADMIN_ID, expected_due=LATER)
    await officer.say(NEW_POLISH)
    assert officer.last() == f"Broadcast #{bid} was already cancelled. Nothing changed."
    await officer.say(NEW_POLISH)  # no longer waiting
    assert "Save this Polish text" not in officer.transcript()
    assert await stored(h, bid) == {"pl": POLISH_TEXT}


async def test_a_resident_pressing_forged_translation_buttons_gets_nothing(h: Harness):
    bid = await scheduled(h)
    due = int(LATER.timestamp())
    resident = Conversation(h, INTRUDER)
    for data in (
        ob.EditTranslation(bid, "pl"),
        ob.RemoveTranslation(bid, "pl"),
        ob.ConfirmTranslation(bid, due, "pl"),
        ob.ConfirmRemoveTranslation(bid, due, "pl"),
    ):
        said = await resident.tap_data(1, data.pack())
        assert [s.kind for s in said] == ["toast"], resident.transcript()
        assert "out of date" in said[0].text
    assert await stored(h, bid) == {"pl": POLISH_TEXT}
    assert await changes(h, bid) == []


async def test_an_officer_pressing_for_a_language_not_offered_gets_nothing(h: Harness):
    bid = await scheduled(h)
    officer = Conversation(h, OFFICER_ID, "officer")
    said = await officer.tap_data(1, ob.EditTranslation(bid, "de").pack())
    assert [s.kind for s in said] == ["toast"] and "out of date" in said[0].text
    said = await officer.tap_data(
        1, ob.ConfirmTranslation(bid, int(LATER.timestamp()), "pl").pack()
    )
    assert [s.kind for s in said] == ["toast"] and "moved on" in said[0].text
    assert await stored(h, bid) == {"pl": POLISH_TEXT}

"""Everything a resident receives in their language, through the real Application: a Polish
resident and an English one side by side in the Bot API double.

- An officer's typed broadcast carries a Polish translation, typed in the wizard like the
  English (formatting kept, Telegram's limit), counted per language on the confirm card,
  stored with the broadcast and delivered per resident's language, rating buttons included.
- Meeting reminders and "you said, we did" reach each resident in theirs, a reminder in the
  language the resident has when it goes out (switched in /settings after it was planned).
- /start's language question survives a restart (kept in residents.language_offer) and is
  never asked twice.

The content is the shipped one (its Polish is a draft: offered with languages.allow_drafts).
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from bot import callback_data as cd
from bot import callback_officers as ob
from bot.content import Content
from bot.domain.meetings import day_before, upcoming
from bot.domain.surveys import pseudonym
from bot.handlers.results import compose_you_said_we_did
from bot.plumbing.clock import FixedClock
from bot.scheduling import plan_reminders
from bot.telegram.limits import MAX_MESSAGE
from tests import builders as b
from tests.conftest import LONDON, OFFICER_ID, Harness, close_harness
from tests.test_delivery import NO_QUIET, add_residents, harness
from tests.test_languages import in_app
from tests.test_results import seed_safety
from tests.test_surveys import CS, SECRET

DRAFTS = NO_QUIET + "\nlanguages:\n  allow_drafts: true"
PL, EN = 4242, 4343  # a Polish reader and an English one
ENGLISH_TEXT = "Road closed tonight"
POLISH_TEXT = "Droga zamknięta dziś wieczorem"
OFFICERS_TEXTS = (
    "SELECT t.broadcast_id, t.language, t.text FROM broadcast_texts t"
    " JOIN broadcasts b ON b.id = t.broadcast_id WHERE b.kind = 'officer'"
)


async def polish(h: Harness, chats: list[int]) -> None:
    """These residents read Polish (as /settings would store it)."""
    for chat in chats:
        await h.services.residents.set_language(chat, "pl", h.clock.now())
        h.services.languages.put(chat, "pl")


async def deliver(h: Harness) -> None:
    await h.services.delivery.run_due()
    await h.services.delivery.wait_idle()


def last_send(h: Harness, chat: int) -> Any:
    return [
        c for c in h.api.calls if c.method in ("sendMessage", "sendPhoto") and c.chat_id == chat
    ][-1]


async def typed_draft(h: Harness, text: str = ENGLISH_TEXT) -> list[Any]:
    """An officer's typed message to everyone, now, with the rating buttons: the preview."""
    await h.send(OFFICER_ID, "/broadcast")
    await h.press_newest(OFFICER_ID, ob.WizardTypeText().pack())
    calls = await h.send(OFFICER_ID, text)
    if any(d == ob.WizardImage("-").pack() for _, d in h.buttons(calls)):
        await h.press_newest(OFFICER_ID, ob.WizardImage("-").pack())
    await h.press_newest(OFFICER_ID, ob.WizardAudience("all").pack())
    calls = await h.press_newest(OFFICER_ID, ob.WizardTime("now").pack())
    return await h.press_newest(OFFICER_ID, ob.WizardRatings(True).pack())


def with_bold(update: dict[str, Any], length: int) -> dict[str, Any]:
    update["message"]["entities"] = [{"type": "bold", "offset": 0, "length": length}]
    return update


# ---------------------------------------------------------------- a typed broadcast's translations


async def test_a_typed_broadcast_carries_a_polish_translation(tmp_path, content: Content):
    h = await harness(tmp_path, content, DRAFTS)
    english = await add_residents(h, [EN, *range(5000, 5005)])
    polish_readers = await add_residents(h, [PL, *range(6000, 6004)])
    await polish(h, polish_readers)

    calls = await typed_draft(h)
    add = ob.WizardTranslate("pl").pack()
    assert ("🌐 Add a Polish translation", add) in h.buttons(calls)
    assert all(len((d or "").encode()) <= 64 for _, d in h.buttons(calls))
    assert "Languages: English 11." in calls[-1].text, "without a translation all get English"

    calls = await h.press_newest(OFFICER_ID, add)
    assert "Type the message in <b>Polish</b>" in calls[-1].text
    calls = await h.press_newest(OFFICER_ID, ob.WizardBack("preview").pack())
    assert "Languages: English 11." in calls[-1].text, "Back: the preview, nothing added"
    calls = await h.send(OFFICER_ID, POLISH_TEXT)
    assert not any(c.text == POLISH_TEXT for c in calls), "no longer waiting for a translation"
    calls = await h.press_newest(OFFICER_ID, add)
    calls = await h.send(OFFICER_ID, "x" * (MAX_MESSAGE + 1))
    assert "characters" in calls[-1].text, "the same limit as the English"
    calls = await h.push(with_bold(b.text_update(OFFICER_ID, POLISH_TEXT), 5))
    polish_html = f"<b>Droga</b>{POLISH_TEXT[5:]}"
    sent = [c.text for c in calls if c.method == "sendMessage"]
    assert ENGLISH_TEXT in sent and polish_html in sent, "both previewed as residents see them"
    assert "🌐 Residents who chose Polish get:" in sent
    polish_preview = next(c for c in calls if c.text == polish_html)
    assert [label for label, _ in polish_preview.buttons] == ["👍 Przydatne", "👎 Nieprzydatne"]
    assert "Languages: English 6, Polish 5." in calls[-1].text
    assert ("🌐 Change the Polish translation", add) in h.buttons(calls)

    await h.press_newest(OFFICER_ID, ob.WizardConfirm(False).pack())
    (row,) = await h.rows(OFFICERS_TEXTS)
    assert (row["language"], row["text"]) == ("pl", polish_html)
    await deliver(h)
    got = last_send(h, PL)
    assert got.text == polish_html
    assert [label for label, _ in got.buttons] == ["👍 Przydatne", "👎 Nieprzydatne"]
    assert all(h.api.texts(chat)[-1] == polish_html for chat in polish_readers)
    got = last_send(h, EN)
    assert got.text == ENGLISH_TEXT
    assert [label for label, _ in got.buttons] == ["👍 Useful", "👎 Not useful"]
    assert all(h.api.texts(chat)[-1] == ENGLISH_TEXT for chat in english)

    # The Polish reader's rating: thanked in Polish.
    rate = cd.Rate(row["broadcast_id"], True).pack()
    calls = await h.press_newest(PL, rate)
    said = " ".join(str(c.params.get("text", "")) for c in calls)
    assert "Dziękujemy" in said and "Thank you" not in said
    await close_harness(h)


async def test_the_preview_rounds_or_withholds_a_groups_figures_per_language(tmp_path, content):
    """k = 5. Everyone's figures per language are exact; one NAG's are to the nearest 5 (its
    split subtracted from everyone's must not give a count under 5); and none shows beside a
    recipients figure that is withheld (the split would add up to it)."""
    h = await harness(tmp_path, content, DRAFTS)
    await add_residents(h, range(5000, 5005), nag="fishermead")
    await polish(h, await add_residents(h, range(5100, 5105), nag="fishermead"))
    await add_residents(h, range(6000, 6006), nag="woughton")
    await polish(h, await add_residents(h, range(6100, 6105), nag="woughton"))

    async def preview(nag: str) -> str:
        await h.send(OFFICER_ID, "/broadcast")
        await h.press_newest(OFFICER_ID, ob.WizardTypeText().pack())
        calls = await h.send(OFFICER_ID, ENGLISH_TEXT)
        if any(d == ob.WizardImage("-").pack() for _, d in h.buttons(calls)):
            await h.press_newest(OFFICER_ID, ob.WizardImage("-").pack())
        await h.press_newest(OFFICER_ID, ob.WizardAudience("nags").pack())
        await h.press_newest(OFFICER_ID, ob.WizardNag(nag).pack())
        await h.press_newest(OFFICER_ID, ob.WizardNagsDone().pack())
        await h.press_newest(OFFICER_ID, ob.WizardTime("now").pack())
        await h.press_newest(OFFICER_ID, ob.WizardTranslate("pl").pack())
        calls = await h.send(OFFICER_ID, POLISH_TEXT)
        text = str(calls[-1].text)
        await h.press_newest(OFFICER_ID, ob.WizardAbandon().pack())
        return text

    summary = await preview("woughton")
    assert "Languages, each to the nearest 5" in summary
    assert "English 5, Polish 5." in summary, "6 and 5, rounded"
    # 3 more in Conniburrow: audiences.py hides Fishermead's part with theirs.
    await add_residents(h, range(7000, 7003), nag="conniburrow")
    summary = await preview("fishermead")
    assert "Languages: English, Polish (figures per language withheld, as the number" in summary
    assert "English 5" not in summary and "Polish 5" not in summary
    await close_harness(h)


async def test_a_translation_for_a_language_no_longer_offered_goes_out_in_english(
    tmp_path, content: Content
):
    """Drafts allowed when it was written, not when it goes out: the Polish reader gets the
    English (and English buttons), never a language the bot does not offer."""
    h = await harness(tmp_path, content, DRAFTS)
    await add_residents(h, [PL, EN])
    await polish(h, [PL])
    await typed_draft(h)
    await h.press_newest(OFFICER_ID, ob.WizardTranslate("pl").pack())
    await h.send(OFFICER_ID, POLISH_TEXT)
    calls = await h.press_newest(OFFICER_ID, ob.WizardConfirm(False).pack())
    assert calls, "confirmed"
    await close_harness(h)
    # The bot restarts without drafts, before the (already created) broadcast is sent.
    later = await harness(tmp_path, content, NO_QUIET, api=h.api)
    await deliver(later)
    assert later.api.texts(PL)[-1] == ENGLISH_TEXT
    await close_harness(later)


async def test_the_console_form_takes_a_translation_per_offered_language(
    tmp_path, content: Content
):
    from tests import consolekit as ck

    h = await ck.console_harness(tmp_path, content, DRAFTS)
    h.services.delivery.use_virtual_time()
    await add_residents(h, [PL, EN])
    await polish(h, [PL])
    draft = {"text": ENGLISH_TEXT, "text_pl": POLISH_TEXT + " & <b>", "when": "now"}
    async with ck.client() as http:
        await ck.sign_in(h, http, OFFICER_ID)
        status, page = await ck.get(http, h, "/console/broadcasts/new")
        assert status == 200 and 'name="text_pl"' in page
        status, preview = await ck.post(http, h, "/console/broadcasts/preview", draft, page)
        assert status == 200, preview
        assert "Residents who chose Polish get" in preview
        status, done = await ck.post(http, h, "/console/broadcasts/create", draft, preview)
        assert status == 303, done
    polish_html = POLISH_TEXT + " &amp; &lt;b&gt;"  # plain text, escaped, as the English
    (row,) = await h.rows(OFFICERS_TEXTS)
    assert (row["language"], row["text"]) == ("pl", polish_html)
    await deliver(h)
    assert h.api.texts(PL)[-1] == polish_html and h.api.texts(EN)[-1] == ENGLISH_TEXT

    # A scheduled one whose English is edited afterwards: its translation said the old text.
    later = {**draft, "text": "Road closed tomorrow", "when": "later", "day": "2026-11-24"}
    later["time"] = "10:00"
    async with ck.client() as http:
        await ck.sign_in(h, http, OFFICER_ID)
        status, page = await ck.get(http, h, "/console/broadcasts/new")
        status, preview = await ck.post(http, h, "/console/broadcasts/preview", later, page)
        status, _ = await ck.post(http, h, "/console/broadcasts/create", later, preview)
        assert status == 303
        (bid,) = [
            r["broadcast_id"]
            for r in await h.rows(OFFICERS_TEXTS)
            if r["broadcast_id"] > row["broadcast_id"]
        ]
        b = await h.services.broadcasts.get(bid)
        calls = await h.press(OFFICER_ID, ob.Manage(bid).pack())
        assert "🌐 Also typed in: Polish" in calls[-1].text, "the chat's card says so"
        status, detail = await ck.get(http, h, f"/console/broadcasts/{bid}")
        edit = {"due": b.due_at.isoformat(), "text": "Road open again"}
        status, _ = await ck.post(http, h, f"/console/broadcasts/{bid}/edit", edit, detail)
        assert status == 303
    assert [r["broadcast_id"] for r in await h.rows(OFFICERS_TEXTS)] == [row["broadcast_id"]]
    await close_harness(h)


# ---------------------------------------------------------------- reminders and results


async def test_meeting_reminders_reach_each_resident_in_their_language(tmp_path, content):
    start = datetime(2026, 11, 23, 12, 0, tzinfo=LONDON)
    clock = FixedClock(start)
    h = await harness(tmp_path, content, DRAFTS, clock=clock)
    await add_residents(h, [PL, EN], remind=1)
    await polish(h, [PL])
    nag = content.nag_by_id["fishermead"]
    meeting = upcoming(nag.meetings, start, LONDON, count=1)[0]
    clock.set(day_before(meeting))
    await deliver(h)
    (pl,) = h.api.texts(PL)
    (en,) = h.api.texts(EN)
    assert pl.startswith("🗓 <b>Przypomnienie:</b>") and "jutro" in pl
    assert en.startswith("🗓 <b>Reminder:</b>")
    await close_harness(h)


async def test_a_reminder_planned_before_a_switch_to_polish_arrives_in_polish(tmp_path, content):
    """Planned while both read English; one switches in /settings; it goes out in Polish to
    them (the text follows the language each resident has when it is sent)."""
    start = datetime(2026, 11, 23, 12, 0, tzinfo=LONDON)
    clock = FixedClock(start)
    h = await harness(tmp_path, content, DRAFTS, clock=clock)
    await add_residents(h, [PL, EN], remind=1)
    nag = content.nag_by_id["fishermead"]
    meeting = upcoming(nag.meetings, start, LONDON, count=1)[0]
    await plan_reminders(h.services, start)
    (planned,) = await h.rows(
        "SELECT id, text FROM broadcasts WHERE kind = 'reminder' AND ref = 'fishermead'"
        " AND due_at = ?",
        (day_before(meeting).isoformat(timespec="seconds"),),
    )
    assert planned["text"].startswith("🗓 <b>Reminder:</b>")

    await h.send(PL, "/settings")
    calls = await h.press(PL, cd.LanguageMenu().pack())
    calls = await h.press(PL, cd.LanguageSet("pl").pack())
    assert "⚙️ <b>Twoje ustawienia</b>" in calls[-1].text
    clock.set(day_before(meeting))
    await deliver(h)
    pl = [x for x in h.api.texts(PL) if "Przypomnienie" in x or "Reminder" in x]
    en = [x for x in h.api.texts(EN) if "Reminder" in x]
    assert len(pl) == 1 and pl[0].startswith("🗓 <b>Przypomnienie:</b>") and "jutro" in pl[0]
    assert len(en) == 1 and en[0].startswith("🗓 <b>Reminder:</b>")

    # And back to English: the next meeting's reminder (planned at the start too) is in English.
    later = upcoming(nag.meetings, day_before(meeting), LONDON, count=2)[-1]
    await h.press(PL, cd.LanguageMenu().pack())
    await h.press(PL, cd.LanguageSet("en").pack())
    clock.set(day_before(later))
    await deliver(h)
    assert h.api.texts(PL)[-1].startswith("🗓 <b>Reminder:</b>")
    await close_harness(h)


async def test_you_said_we_did_in_each_participants_language(tmp_path, content):
    h = await harness(tmp_path, content, DRAFTS)
    await seed_safety(h)  # 12 responses in Fishermead
    now = h.clock.now()
    for chat in (PL, EN):
        await h.services.residents.touch(chat, now)
        await h.services.residents.set_nag(chat, "fishermead", now)
        await h.services.residents.set_consent(chat, True, now)
        await h.db.execute(
            "INSERT INTO survey_completions (survey_id, respondent) VALUES (?, ?)",
            (CS, pseudonym(SECRET, chat)),
        )
    await polish(h, [PL])
    out = dict(await compose_you_said_we_did(h.services, CS, now))
    assert out[PL].startswith("📣 <b>Mówiliście, działamy:")
    assert "Yes 50%" in out[EN]
    polish_survey = content.view("pl").survey_by_id[CS]
    english_survey = content.survey_by_id[CS]
    # The same figures, with the question and its options as the Polish survey has them.
    for q_en in english_survey.questions:
        q_pl = polish_survey.question(q_en.id)
        assert q_pl is not None
        for o_en in q_en.options:
            o_pl = next(o for o in q_pl.options if o.id == o_en.id)
            if f"{o_en.label} 50%" in out[EN] and o_pl.label != o_en.label:
                assert f"{o_pl.label} 50%" in out[PL]
    assert "Yes 50%" not in out[PL]
    await close_harness(h)


# ---------------------------------------------------------------- /start's question, restarted


async def test_the_start_language_question_survives_a_restart_and_is_asked_once(tmp_path, content):
    h = await harness(tmp_path, content, DRAFTS)
    calls = await h.push(in_app(b.text_update(PL, "/start nag_fishermead"), "pl"))
    assert "po polsku" in calls[-1].text
    (row,) = await h.rows("SELECT language_offer FROM residents WHERE chat_id = ?", (PL,))
    assert row["language_offer"] == "pl?nag_fishermead"
    await close_harness(h)

    later = await harness(tmp_path, content, DRAFTS, api=h.api)
    calls = await later.press_newest(PL, cd.LanguageStart("pl").pack())
    sent = [c.text for c in calls if c.method == "sendMessage"]
    fishermead = html.escape(content.view("pl").nag_by_id["fishermead"].name)
    assert any(fishermead in s for s in sent), "carried on to the leaflet's area, in Polish"
    assert not any("Welcome" in s for s in sent)
    (row,) = await later.rows(
        "SELECT language, language_offer FROM residents WHERE chat_id = ?", (PL,)
    )
    assert (row["language"], row["language_offer"]) == ("pl", "pl")

    # A second press sets the language only; /start never asks again.
    calls = await later.press_newest(PL, cd.LanguageStart("en").pack())
    assert [c.method for c in calls if c.method == "sendMessage"] == []
    said = [c.params.get("text") for c in calls if c.method == "answerCallbackQuery"]
    assert said and "From now on I write in English" in str(said[0])
    calls = await later.push(in_app(b.text_update(PL, "/start"), "pl"))
    assert not any(d and d.startswith("ls:") for _, d in later.buttons(calls))
    await close_harness(later)


async def test_the_slow_down_line_is_in_the_residents_language(tmp_path, content):
    """Said before any handler runs (the update processor's budget): the language comes from
    what the bot last knew of the resident, not from the update."""
    import asyncio

    from bot.telegram.processing import PerChatOrderedProcessor
    from tests.test_flood import ManualTime, arrive, settle

    h = await harness(tmp_path, content, DRAFTS)
    proc = h.app.update_processor
    assert isinstance(proc, PerChatOrderedProcessor)
    time = ManualTime()
    proc.clock, proc.sleep = time.clock, time.sleep
    await add_residents(h, [PL])
    await h.send(PL, "po polsku")
    tasks = [arrive(h, b.text_update(PL, "/help")) for _ in range(proc.burst + 4)]
    await asyncio.gather(*tasks[:-1])
    await settle(h)
    polish_line = content.t("pl").get("common.slow_down")
    assert sum(t == polish_line for t in h.api.texts(PL)) == 1
    time.advance(proc.refill_s)
    await tasks[-1]
    await close_harness(h)

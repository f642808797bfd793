"""Survey flows through the real Application and the fake Bot API: routes, Back, Skip, resume,
stale buttons, bad input, privacy of stored answers, /cancel, /forget."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from bot import callback_data as cd
from bot.content import Content
from bot.domain.surveys import pseudonym
from tests import builders as b
from tests.conftest import LONDON, TEST_SECRET, Harness, close_harness, make_harness
from tests.fakes.botapi import Call

CHAT = 515151
SECRET = TEST_SECRET  # survey.secret in tests/conftest.py
CS = "community-safety"


# ---------------------------------------------------------------- helpers


def last_question(h: Harness, chat: int = CHAT) -> Call:
    """The most recent message or edit in the chat that shows a survey question (Back and
    resuming from the /survey list redraw it in the pressed message)."""
    for c in reversed(h.api.calls):
        if (
            c.chat_id == chat
            and c.method in ("sendMessage", "editMessageText")
            and "Question " in c.text
        ):
            return c
    raise AssertionError("no question was asked")


def data_for(call: Call, label: str) -> str:
    for text, data in call.buttons:
        if text == label or text.endswith(" " + label) or text.startswith(label + " "):
            assert data is not None
            return data
    raise AssertionError(f"no button {label!r} in {call.buttons}")


async def tap(h: Harness, label: str, chat: int = CHAT) -> list[Call]:
    return await h.press(chat, data_for(last_question(h, chat), label))


async def answers(h: Harness) -> dict[str, list[str | None]]:
    rows = await h.rows("SELECT question_id, value FROM survey_answers ORDER BY question_id, rank")
    out: dict[str, list[str | None]] = {}
    for r in rows:
        out.setdefault(r["question_id"], []).append(r["value"])
    return out


async def responses(h: Harness) -> list[dict]:
    return await h.rows("SELECT * FROM survey_responses ORDER BY id")


async def begin(h: Harness, survey_id: str = CS, chat: int = CHAT) -> list[Call]:
    """Open a survey by its link as a resident who has an area and answered the consent
    question (what a survey open to everyone asks for first; see test_survey_doors.py)."""
    if not await h.rows("SELECT 1 FROM residents WHERE chat_id = ?", (chat,)):
        await h.settle_in(chat)
    return await h.send(chat, f"/start survey_{survey_id}")


def question_text(h: Harness, chat: int = CHAT) -> str:
    return last_question(h, chat).text


async def answer_safety_yes_route(h: Harness, chat: int = CHAT) -> None:
    """Community safety survey, the 'I was in contact' route, answering everything."""
    await begin(h, CS, chat)
    await tap(h, "4", chat)  # safe_day
    await tap(h, "2", chat)  # safe_dark: 2 -> unsafe_why is asked
    await h.send(chat, "Poor lighting on the redway")
    await tap(h, "Burglary", chat)
    await tap(h, "Speeding and road safety", chat)
    await tap(h, "Done", chat)
    await tap(h, "Yes", chat)  # contact
    await tap(h, "At a NAG meeting", chat)
    await tap(h, "8", chat)  # contact_rating
    await tap(h, "Email newsletter", chat)
    await tap(h, "Done", chat)
    await h.send(chat, "12")  # years
    await tap(h, "Skip", chat)  # anything_else


# ---------------------------------------------------------------- routes and skip logic


async def test_deep_link_intro_and_first_question_in_one_message_with_progress(
    harness: Harness,
):
    calls = await begin(harness)
    (text,) = [c.text for c in calls if c.method == "sendMessage"]
    assert "Community safety survey" in text and "anonymous" in text
    # The route can still branch (a jump and a follow-up question ahead): a bound, not a count.
    assert "Question 1 of up to 10" in text and "during the day" in text
    assert [label for label, _ in calls[-1].buttons] == ["1", "2", "3", "4", "5"]
    await tap(harness, "3")
    assert "Question 2 of up to 10" in question_text(harness)


async def test_full_route_is_stored_answer_by_answer_and_completed(harness: Harness):
    await answer_safety_yes_route(harness)
    assert "Thank you" in harness.last_text(CHAT)
    a = await answers(harness)
    assert a["safe_day"] == ["4"] and a["safe_dark"] == ["2"]
    assert a["unsafe_why"] == ["Poor lighting on the redway"]
    assert a["worries"] == ["burglary", "speeding"]
    assert a["contact"] == ["yes"] and a["contact_how"] == ["nag_meeting"]
    assert a["contact_rating"] == ["8"] and a["hear"] == ["email"] and a["years"] == ["12"]
    assert a["anything_else"] == [None]  # skipped
    assert "know_nag" not in a  # jumped over by 'next: hear'
    (resp,) = await responses(harness)
    assert resp["status"] == "complete" and resp["completed_on"] == "2026-11-23"


async def test_no_branch_skips_contact_questions_and_high_rating_hides_follow_up(harness: Harness):
    await begin(harness)
    await tap(harness, "5")
    await tap(harness, "4")  # safe_dark 4: unsafe_why (show_if at_most 2) is not asked
    assert "worry you most" in question_text(harness)
    await tap(harness, "Drug dealing or drug use")
    await tap(harness, "Done")
    await tap(harness, "No")  # contact: no -> know_nag
    assert "Neighbourhood Action Group that meets" in question_text(harness)
    await tap(harness, "No")
    assert "hear from us" in question_text(harness)
    a = await answers(harness)
    assert "unsafe_why" not in a and "contact_how" not in a


async def test_back_goes_to_previous_question_and_changed_branch_drops_old_answers(
    harness: Harness,
):
    await begin(harness)
    await tap(harness, "4")
    await tap(harness, "4")
    await tap(harness, "Burglary")
    await tap(harness, "Done")
    await tap(harness, "Yes")
    await tap(harness, "Phoned 101 or reported online")
    # Back twice: contact_rating -> contact_how -> contact
    await tap(harness, "Back")
    assert "How were you last in contact" in question_text(harness)
    assert "Your answer so far: <b>Phoned 101" in question_text(harness)
    await tap(harness, "Back")
    assert "In the last 12 months" in question_text(harness)
    await tap(harness, "No")  # a different branch now
    await tap(harness, "Yes")  # know_nag
    await tap(harness, "Messages in this chat")
    await tap(harness, "Done")
    await tap(harness, "Skip")  # years
    await tap(harness, "Skip")  # anything_else
    a = await answers(harness)
    assert a["contact"] == ["no"] and a["know_nag"] == ["yes"]
    assert "contact_how" not in a, "answers left off the final route are deleted on completion"


async def test_back_on_first_question_is_not_offered(harness: Harness):
    calls = await begin(harness)
    assert not any("Back" in label for label, _ in calls[-1].buttons)


async def test_skip_only_for_optional_questions(harness: Harness):
    calls = await begin(harness)
    assert not any("Skip" in label for label, _ in calls[-1].buttons)
    (resp,) = await responses(harness)
    forged = cd.SurveySkip(resp["id"], resp["step"]).pack()
    calls = await harness.press(CHAT, forged)
    toast = [c for c in calls if c.method == "answerCallbackQuery"][0]
    assert "can't be skipped" in toast.params["text"]
    assert await answers(harness) == {}


async def test_multi_choice_toggles_limits_and_done(harness: Harness):
    await begin(harness)
    await tap(harness, "3")
    await tap(harness, "3")
    calls = await tap(harness, "Done")  # nothing picked yet
    toast = [c for c in calls if c.method == "answerCallbackQuery"][0]
    assert "at least 1" in toast.params["text"]
    await tap(harness, "Burglary")
    edit = _latest_keyboard(harness)
    assert edit.method == "editMessageText"
    assert ("✅ Burglary", data_for(edit, "Burglary")) in edit.buttons
    # toggles edit the same message; read buttons from the latest edit
    for label in ("Vehicle crime", "Fly-tipping and litter"):
        await harness.press(CHAT, data_for(edit, label))
        edit = _latest_keyboard(harness)
    calls = await harness.press(CHAT, data_for(edit, "Anti-social behaviour"))
    toast = [c for c in calls if c.method == "answerCallbackQuery"][0]
    assert "at most 3" in toast.params["text"]
    await harness.press(CHAT, data_for(edit, "Vehicle crime"))  # untick
    edit = _latest_keyboard(harness)
    await harness.press(CHAT, data_for(edit, "Done"))
    assert (await answers(harness))["worries"] == ["burglary", "flytipping"]


async def test_top_three_priorities_are_stored_in_rank_order(harness: Harness):
    await begin(harness, "nag-priorities")
    for label in ("Speeding", "Drugs", "Burglary"):
        await harness.press(CHAT, data_for(_latest_keyboard(harness), label))
    keyboard = _latest_keyboard(harness)
    assert ("1. Speeding", data_for(keyboard, "Speeding")) in keyboard.buttons
    calls = await harness.press(CHAT, data_for(keyboard, "Bike theft"))
    assert "at most 3" in [c for c in calls if c.method == "answerCallbackQuery"][0].params["text"]
    await harness.press(CHAT, data_for(_latest_keyboard(harness), "Done"))
    assert (await answers(harness))["top3"] == ["speeding", "drugs", "burglary"]
    await tap(harness, "Skip")
    assert "Thank you" in harness.last_text(CHAT)


def _latest_keyboard(h: Harness) -> Call:
    for c in reversed(h.api.calls):
        if c.method in ("sendMessage", "editMessageText") and c.buttons:
            return c
    raise AssertionError("no keyboard")


async def test_survey_list_shows_open_surveys_but_not_link_only(harness: Harness):
    await harness.settle_in(CHAT)
    calls = await harness.send(CHAT, "/survey")
    data = [d for _, d in harness.buttons(calls)]
    assert cd.SurveyOpen(CS).pack() in data
    assert cd.SurveyOpen("nag-priorities").pack() in data
    assert cd.SurveyOpen("partnership-review").pack() not in data
    calls = await harness.press(CHAT, cd.SurveyOpen(CS).pack())
    assert "Question 1 of" in calls[-1].text
    calls = await harness.press(CHAT, cd.SurveyOpen("partnership-review").pack())
    assert "particular areas" in calls[-1].text or "link" in calls[-1].text.lower()


# ---------------------------------------------------------------- resume, stale buttons


async def test_resume_after_the_application_is_rebuilt_on_the_same_database(
    tmp_path: Path, content: Content
):
    h = await make_harness(tmp_path, content)
    await begin(h)
    await tap(h, "2")
    await tap(h, "1")  # -> unsafe_why (text)
    await close_harness(h)

    later = await make_harness(tmp_path, content)  # a restart, a week later
    later.clock.advance(days=7)
    try:
        # Typed text goes to the survey, not the area search: the open session was reloaded.
        calls = await later.send(CHAT, "Fishermead underpass")
        assert "Question 4 of" in calls[-1].text and "worry you most" in calls[-1].text
        a = await answers(later)
        assert a["unsafe_why"] == ["Fishermead underpass"]
        assert (await later.rows("SELECT nag_id FROM residents"))[0]["nag_id"] != "fishermead"
        calls = await later.send(CHAT, "/survey")
        assert "started this one" in calls[-1].text
        # The pressed /survey list becomes the question, welcome line on top (one message).
        calls = await later.press(CHAT, cd.SurveyOpen(CS).pack())
        edited = [c.text for c in calls if c.method == "editMessageText"]
        assert "Welcome back" in edited[0] and "worry you most" in edited[0]
        assert "continued above" in edited[1], "the older copy lost its buttons"
        assert not [c for c in calls if c.method == "sendMessage"]
    finally:
        await close_harness(later)
    assert not later.errors


async def test_button_from_an_old_question_records_nothing(harness: Harness):
    first = (await begin(harness))[-1]
    await harness.press(CHAT, data_for(first, "4"))
    await tap(harness, "4")
    before = await answers(harness)
    calls = await harness.press(CHAT, data_for(first, "1"))  # the first question's old message
    toast = [c for c in calls if c.method == "answerCallbackQuery"][0]
    assert "out of date" in toast.params["text"]
    assert await answers(harness) == before
    # The current question is still in the chat: it is not posted again (tests/test_survey_tidy.py
    # shows the whole chat).
    assert not [c for c in calls if c.method == "sendMessage"]


async def test_old_message_of_same_question_after_back_is_stale(harness: Harness):
    first = (await begin(harness))[-1]
    await harness.press(CHAT, data_for(first, "4"))
    await tap(harness, "Back")  # safe_day asked again, with a new step marker
    await harness.press(CHAT, data_for(first, "1"))
    assert (await answers(harness))["safe_day"] == ["4"]
    await tap(harness, "2")
    assert (await answers(harness))["safe_day"] == ["2"]


async def test_someone_elses_button_is_refused(harness: Harness):
    await begin(harness)
    (resp,) = await responses(harness)
    forged = cd.SurveyAnswer(resp["id"], resp["step"], "1").pack()
    await harness.press(CHAT + 1, forged)
    assert await answers(harness) == {}


async def test_garbage_callback_data_is_stale(harness: Harness):
    for data in (
        "sa",
        "sa:x:y",
        "sa:99999:1:1",
        "sa:²:1:1",
        f"sa:{10**23}:1:1",
        "so:nope",
        "sc:nope",
    ):
        await harness.press(CHAT, data)
    assert await answers(harness) == {}


# ---------------------------------------------------------------- bad input


async def test_text_where_a_choice_is_needed_gets_a_friendly_re_ask(harness: Harness):
    await begin(harness)
    calls = await harness.send(CHAT, "pretty safe")
    (line,) = [c.text for c in calls if c.method == "sendMessage"]
    assert "Please press one of the numbers" in line, "one line; the question keeps its buttons"
    calls = await harness.send(CHAT, "4")  # a typed number in range is fine
    assert "Question 2 of" in calls[-1].text
    await tap(harness, "3")
    calls = await harness.send(CHAT, "speeding")
    assert "use the buttons" in calls[0].text
    assert "worries" not in await answers(harness)


async def test_yes_no_accepts_typed_yes_and_rejects_other_text(harness: Harness):
    await begin(harness)
    await tap(harness, "4")
    await tap(harness, "4")
    await tap(harness, "Burglary")
    await tap(harness, "Done")
    calls = await harness.send(CHAT, "maybe")
    assert "press one of the buttons" in calls[0].text
    await harness.send(CHAT, "Yes")
    assert (await answers(harness))["contact"] == ["yes"]


async def test_number_out_of_range_and_not_a_number(harness: Harness):
    await begin(harness)
    await tap(harness, "4")
    await tap(harness, "4")
    await tap(harness, "Burglary")
    await tap(harness, "Done")
    await tap(harness, "No")
    await tap(harness, "No")
    await tap(harness, "Social media")
    await tap(harness, "Done")
    assert "How many years" in question_text(harness)
    calls = await harness.send(CHAT, "150")
    assert "from 0 to 100" in calls[0].text
    calls = await harness.send(CHAT, "about ten")
    assert "whole number" in calls[0].text
    assert "years" not in await answers(harness)
    await harness.send(CHAT, "10")
    assert (await answers(harness))["years"] == ["10"]


async def test_over_long_text_is_refused_with_the_limit(harness: Harness):
    await begin(harness)
    await tap(harness, "1")
    await tap(harness, "1")
    calls = await harness.send(CHAT, "x" * 501)
    assert "501 characters" in calls[0].text and "500" in calls[0].text
    assert "unsafe_why" not in await answers(harness)


async def test_sticker_and_photo_during_a_survey_are_re_asked(harness: Harness):
    await begin(harness)
    calls = await harness.push(b.sticker_update(CHAT))
    (line,) = [c.text for c in calls if c.method == "sendMessage"]
    assert "not stickers or files" in line
    calls = await harness.push(b.photo_update(CHAT))
    assert "not stickers or files" in calls[0].text
    assert await answers(harness) == {}


async def test_other_commands_still_work_in_a_survey(harness: Harness):
    await begin(harness)
    calls = await harness.send(CHAT, "/privacy")
    assert "Your privacy" in calls[0].text
    calls = await harness.send(CHAT, "4")
    assert "Question 2 of" in calls[-1].text


# ---------------------------------------------------------------- stop, closed, once


async def test_stop_cancels_and_deletes_answers_then_text_is_an_area_search_again(
    harness: Harness,
):
    await begin(harness)
    await tap(harness, "4")
    calls = await harness.send(CHAT, "stop")
    assert "deleted" in calls[-1].text, "answers are saved: it asks first"
    assert await answers(harness) == {"safe_day": ["4"]}
    calls = await harness.press_newest(CHAT, data_for(calls[-1], "Leave and delete my answers"))
    assert "stopped" in calls[-1].text
    assert await answers(harness) == {}
    (resp,) = await responses(harness)
    assert resp["status"] == "cancelled" and resp["respondent"].startswith("anon:")
    calls = await harness.send(CHAT, "MK6 2LP")
    assert "Fishermead" in " ".join(c.text for c in calls)


async def test_cancel_command(harness: Harness):
    calls = await harness.send(CHAT, "/cancel")
    assert "nothing to stop" in calls[0].text
    await begin(harness)
    calls = await harness.send(CHAT, "/cancel")
    assert "stopped" in calls[0].text


async def test_closed_and_not_yet_open_surveys_say_so(harness: Harness):
    harness.clock.set(datetime(2027, 6, 1, 12, 0, tzinfo=LONDON))
    calls = await begin(harness)
    assert "has closed" in calls[-1].text
    harness.clock.set(datetime(2026, 10, 1, 12, 0, tzinfo=LONDON))
    calls = await begin(harness)
    assert "isn't open yet" in calls[-1].text
    assert await responses(harness) == []
    calls = await harness.send(CHAT, "/survey")
    assert "no surveys open" in calls[-1].text


async def test_unknown_survey_link(harness: Harness):
    calls = await begin(harness, "no-such-survey")
    assert "can't find that survey" in calls[-1].text


async def test_a_finished_survey_says_so_and_is_not_answered_twice(harness: Harness):
    await answer_safety_yes_route(harness)
    calls = await begin(harness)
    assert "already answered" in calls[-1].text
    assert len(await responses(harness)) == 1


async def test_changeable_survey_lets_the_resident_change_answers(harness: Harness):
    await begin(harness, "partnership-review")
    await harness.send(CHAT, "Thames Valley Police")
    await harness.send(CHAT, "Well")
    await tap(harness, "4")
    await harness.send(CHAT, "Joint tasking")
    await harness.send(CHAT, "Share data sooner")
    assert "Thank you" in harness.last_text(CHAT)
    calls = await begin(harness, "partnership-review")
    change = data_for(calls[-1], "✏️ Change my answers")
    calls = await harness.press(CHAT, change)
    assert "Your answer so far: <b>Thames Valley Police" in calls[-1].text
    await harness.send(CHAT, "MK City Council")
    await harness.send(CHAT, "Better")
    assert "Your answer so far: <b>4" in question_text(harness)
    await tap(harness, "5")
    await harness.send(CHAT, "Joint tasking")
    await harness.send(CHAT, "Share data sooner")
    assert "Thank you" in harness.last_text(CHAT)
    a = await answers(harness)
    assert a["organisation"] == ["MK City Council"] and a["working_rating"] == ["5"]
    (resp,) = await responses(harness)
    assert resp["status"] == "complete"
    assert resp["respondent"] == pseudonym(SECRET, CHAT), "not anonymous: stays linkable"


# ---------------------------------------------------------------- privacy


async def test_responses_never_hold_the_chat_id_and_anonymous_ones_are_unlinked(
    harness: Harness,
):
    await answer_safety_yes_route(harness)
    key = pseudonym(SECRET, CHAT)
    for table in ("survey_responses", "survey_answers", "survey_completions"):
        for row in await harness.rows(f"SELECT * FROM {table}"):
            assert str(CHAT) not in " ".join(str(v) for v in row.values()), table
    (resp,) = await responses(harness)
    assert resp["respondent"] != key and resp["respondent"].startswith("anon:")
    assert "T" not in resp["updated_at"], "no time of day left on an anonymous response"
    assert await harness.rows("SELECT * FROM survey_completions") == [
        {"survey_id": CS, "respondent": key}
    ]


async def test_in_progress_response_is_keyed_by_the_pseudonym(harness: Harness):
    await begin(harness)
    (resp,) = await responses(harness)
    assert resp["respondent"] == pseudonym(SECRET, CHAT)
    assert len(resp["respondent"]) == 64


async def test_forget_deletes_in_progress_and_linkable_survey_data(harness: Harness):
    await answer_safety_yes_route(harness)  # anonymous, complete
    await begin(harness, "partnership-review")  # linkable, complete
    for text in ("Org", "Fine"):
        await harness.send(CHAT, text)
    await tap(harness, "3")
    for text in ("Helps", "More"):
        await harness.send(CHAT, text)
    await begin(harness, "nag-priorities")  # in progress
    await tap(harness, "Drugs")
    calls = await harness.send(CHAT, "/mydata")
    text = calls[-2].text  # then the JSON file
    assert "Partnership Review" in text and "finished" in text
    await harness.send(CHAT, "/forget")
    await harness.press_newest(CHAT, cd.Forget(True).pack())
    key = pseudonym(SECRET, CHAT)
    assert await harness.rows("SELECT * FROM survey_responses WHERE respondent = ?", (key,)) == []
    assert await harness.rows("SELECT * FROM survey_completions") == []
    remaining = await responses(harness)
    assert [r["survey_id"] for r in remaining] == [CS], "only the unlinked anonymous one is left"
    assert {r["question_id"] for r in await harness.rows("SELECT * FROM survey_answers")} >= {
        "safe_day"
    }
    # The in-memory view forgot the open survey too: text is an area search again.
    calls = await harness.send(CHAT, "MK6 2LP")
    assert "Fishermead" in " ".join(c.text for c in calls)


async def test_privacy_text_explains_survey_answers(harness: Harness):
    await harness.send(CHAT, "/privacy")
    calls = await harness.press(CHAT, "pp:2")  # the detail page about surveys
    text = calls[-1].text
    assert "Surveys" in text and "anonymous" in text and "5 or more" in text

"""Tidy surveys (issue 12): one question on screen at a time.

Transcript-style journeys through the real Application. The Bot API double keeps the chat as
the resident sees it (edits applied) and answers edits as Telegram does: "message to edit not
found" for a message the resident deleted, "message is not modified" for an identical edit.
After EVERY step of every journey here, and of a randomised walk over every shipped survey and
the small mechanics survey (tests/content_small), the chat holds at most one message with live
question buttons and every message fits one phone screen (`TidyChat`). A failing check prints
the conversation.

The figures (steps, journeys, most live question keyboards seen, longest survey message) are
printed at the end of the module's run:
    .venv/bin/python -m pytest -q -p no:cacheprovider tests/test_survey_tidy.py
"""

from __future__ import annotations

from bot import callback_data as cd
from tests import builders as b
from tests.survey_tidy import (  # noqa: F401 (_print_figures, small, shipped: fixtures)
    CS,
    FIGURES,
    MECHANICS,
    NP,
    PR,
    RESIDENT,
    Tidy,
    _print_figures,
    _tidy,
    open_row,
    shipped,
    small,
    stored_answers,
)

# ---------------------------------------------------------------- journeys: answering


async def test_each_answered_question_shows_its_answer_and_the_next_is_a_new_message(
    small: Tidy,
) -> None:
    chat = small.chat()
    said = await chat.say("/start survey_mechanics")
    # The intro, its privacy note and the first question: one message.
    (first,) = chat.sent_in(said)
    assert first.startswith("📝 Mechanics Survey\n\nTesting every kind of question.")
    assert "🔒 Anonymous." in first and "Question 1 of up to 6" in first and "Pick one." in first

    await chat.tap("Banana", exact=True)  # single
    assert chat.screen()[-2].endswith("Pick one.\n✔ Your answer: Banana"), chat.transcript()
    assert chat.screen()[-2].startswith("📝 Mechanics Survey"), "the intro stays in the chat"
    assert "Question 2 of up to 6" in chat.screen()[-1]

    await chat.tap("Xray")  # multi: picks redraw the same message
    await chat.tap("Zulu")
    assert len(chat.screen()) == 2
    await chat.tap("Done")
    assert chat.screen()[-2] == "Pick some.\n✔ Your answer: Xray, Zulu"

    await chat.say("4")  # a rating, typed: the question above is edited too
    assert chat.screen()[-2] == "Rate it.\n✔ Your answer: 4"

    await chat.say("Because it is useful")  # free text
    assert chat.screen()[-2] == "Why?\n✔ Your answer: Because it is useful"

    await chat.tap("Yes", exact=True)  # yes/no: the number question is asked (show_if)
    assert chat.screen()[-2] == "All right?\n✔ Your answer: Yes"
    assert "Question 6 of 6" in chat.screen()[-1]

    await chat.say("7")  # a number: the last question
    assert chat.screen()[-2] == "How many?\n✔ Your answer: 7"
    assert chat.screen()[-1] == "🙏 Thanks for testing."
    assert chat.live_question_keyboards() == 0
    assert len(chat.screen()) == 7, "one message per question, then the thanks"
    rows = await small.h.rows("SELECT * FROM survey_responses")
    assert [r["status"] for r in rows] == ["complete"] and rows[0]["message_id"] is None
    assert await stored_answers(small.h, rows[0]["id"]) == {
        "pick": ("b",),
        "many": ("x", "z"),
        "rate": ("4",),
        "why": ("Because it is useful",),
        "ok": ("yes",),
        "more": ("7",),
    }


async def test_skip_shows_skipped(small: Tidy) -> None:
    chat = small.chat()
    await chat.say("/start survey_mechanics")
    await chat.tap("Cherry")  # jumps over "Pick some." to "Rate it."
    await chat.tap("2", exact=True)
    said = await chat.tap("Skip")
    assert chat.screen()[-2] == "Why?\n✔ Skipped"
    (sent,) = chat.sent_in(said)
    assert "Question 4 of up to 5" in sent and "All right?" in sent
    row = await open_row(small.h, MECHANICS, chat.chat_id)
    assert row is not None and (await stored_answers(small.h, row["id"]))["why"] is None


async def test_a_long_typed_answer_is_shortened_on_screen_not_in_the_database(
    shipped: Tidy,
) -> None:
    chat = shipped.chat()
    await chat.say(f"/start survey_{PR}")
    await chat.say("Thames Valley Police")
    long = "We meet every month and share what we know. " * 8  # 360 characters
    await chat.say(long)
    shown = chat.screen()[-2]
    assert shown.startswith(
        "How is SaferMK working generally in your view?\n✔ Your answer: We meet"
    )
    assert shown.endswith("…") and len(shown) < 200
    row = await open_row(shipped.h, PR, chat.chat_id)
    assert row is not None
    assert (await stored_answers(shipped.h, row["id"]))["working"] == (long.strip(),)


async def test_back_several_times_reuses_the_pressed_message(small: Tidy) -> None:
    chat = small.chat()
    await chat.say("/start survey_mechanics")
    await chat.tap("Apple")
    await chat.tap("Yankee")
    await chat.tap("Done")
    await chat.tap("3", exact=True)
    before = len(chat.screen())
    await chat.tap("Back")  # Why? -> Rate it., in the same message
    assert "Rate it." in chat.screen()[-1] and "Your answer so far: 3" in chat.screen()[-1]
    await chat.tap("Back")  # -> Pick some. (Yankee still ticked)
    assert "✅ Yankee" in chat.buttons()
    await chat.tap("Back")  # -> Pick one.
    assert "Question 1 of up to 6" in chat.screen()[-1]
    assert len(chat.screen()) == before, "Back never posts a message"
    assert "Back" not in " ".join(chat.buttons()), "no Back on the first question"
    # Answering again from there: the redrawn message shows the new answer; the next question
    # is a new message, and the answers given before are offered again.
    await chat.tap("Banana")
    assert chat.screen()[-2] == "Pick one.\n✔ Your answer: Banana"
    assert "✅ Yankee" in chat.buttons()


async def test_changing_picks_then_done(small: Tidy) -> None:
    chat = small.chat()
    await chat.say("/start survey_mechanics")
    await chat.tap("Apple")
    await chat.tap("Xray")
    await chat.tap("Yankee")
    said = await chat.tap("Zulu")  # a third pick: at most 2
    assert (
        chat.toasts()[-1] == "You can pick at most 2. Press one of your picks again to take it off."
    )
    assert not [s for s in said if s.kind in ("message", "edit")]
    await chat.tap("Xray")  # untick
    await chat.tap("Zulu")
    assert [label for label in chat.buttons() if label.startswith("✅ ")] == [
        "✅ Yankee",
        "✅ Zulu",
    ]
    await chat.tap("Done")
    assert chat.screen()[-2] == "Pick some.\n✔ Your answer: Yankee, Zulu"


async def test_taking_off_every_pick_of_an_earlier_answer_is_not_undone(small: Tidy) -> None:
    """Back to a multi-choice answered before, take its only pick off: it stays off (an empty
    draft was read as "no draft" and the earlier answer came back)."""
    chat = small.chat()
    await chat.say("/start survey_mechanics")
    await chat.tap("Apple")
    await chat.tap("Xray")
    await chat.tap("Done")
    await chat.tap("Back")
    assert "✅ Xray" in chat.buttons()
    await chat.tap("Xray")
    assert "✅ Xray" not in chat.buttons() and "Xray" in chat.buttons(), chat.transcript()
    await chat.tap("Done")
    assert chat.toasts()[-1] == "Please pick at least 1 before pressing Done."
    await chat.tap("Zulu")
    await chat.tap("Done")
    row = await open_row(small.h, MECHANICS, chat.chat_id)
    assert row is not None and (await stored_answers(small.h, row["id"]))["many"] == ("z",)


# ---------------------------------------------------------------- journeys: bad input, stale presses


async def test_bad_typed_input_gets_one_line_and_the_question_keeps_its_buttons(
    small: Tidy,
) -> None:
    chat = small.chat()
    await chat.say("/start survey_mechanics")
    question = chat.live_question()["message_id"]
    for text, expected in (
        ("maybe", "Please press one of the buttons under the question, or type an option exactly."),
        ("🙂", "Please press one of the buttons under the question, or type an option exactly."),
    ):
        said = await chat.say(text)
        assert chat.sent_in(said) == [expected]
        assert not [s for s in said if s.kind == "edit"], "nothing changes on screen"
        assert chat.live_question()["message_id"] == question
    said = await chat._push(b.sticker_update(chat.chat_id))
    assert chat.sent_in(said) == [
        "I can only take typed answers or button presses here, not stickers or files."
    ]
    await chat.tap("Cherry")
    await chat.tap("5", exact=True)
    said = await chat.say("x" * 51)  # "Why?" takes up to 50 characters
    assert chat.sent_in(said) == [
        "That's 51 characters. Please shorten it to 50 or fewer and send it again."
    ]
    await chat.tap("Skip")
    await chat.say("Yes")
    for text, expected in (
        ("eleven", "Please type a whole number (digits only) from 0 to 10."),
        ("11", "That number is out of range. Please type a number from 0 to 10."),
    ):
        said = await chat.say(text)
        assert chat.sent_in(said) == [expected]
    assert chat.live_question()["message_id"] == chat.messages()[-3]["message_id"]
    await chat.say("10")
    assert chat.screen()[-1] == "🙏 Thanks for testing."


async def test_stale_presses_on_older_questions_answer_with_a_pop_up_only(small: Tidy) -> None:
    chat = small.chat()
    await chat.say("/start survey_mechanics")
    first = chat.live_question()
    first_id = first["message_id"]
    apple = dict(chat._buttons(first))["Apple"]
    assert apple is not None
    await chat.tap("Apple")
    await chat.tap("Xray")
    live = chat.live_question()["message_id"]
    screen = chat.screen()
    # The first question's old button (it was answered: no buttons on screen any more, but a
    # slow double tap or an old client can still send it).
    said = await chat.tap_data(first_id, apple, "Apple")
    assert chat.toasts()[-1].startswith("That button is out of date")
    assert not [s for s in said if s.kind in ("message", "edit")]
    assert chat.screen() == screen and chat.live_question()["message_id"] == live
    # An old copy that still shows buttons (sent before this version, say) loses them.
    old = chat.h.api.log(chat.chat_id).messages[first_id]
    old["reply_markup"] = {"inline_keyboard": [[{"text": "Apple", "callback_data": apple}]]}
    assert chat.live_keyboards() == 2
    said = await chat.tap_data(first_id, apple, "Apple")
    assert [s.text for s in said if s.kind == "edit"] == ["(buttons changed)"]
    assert chat.live_question_keyboards() == 1 and chat.live_question()["message_id"] == live
    assert chat.screen()[0].endswith("✔ Your answer: Apple"), "its text is kept"
    # A press from the live message's previous state (before the toggle redrew it).
    row = await open_row(small.h, MECHANICS, chat.chat_id)
    assert row is not None
    stale = cd.SurveyToggle(row["id"], row["step"] - 1, "y").pack()
    said = await chat.tap_data(live, stale, "Yankee")
    assert not [s for s in said if s.kind in ("message", "edit")]
    assert (await open_row(small.h, MECHANICS, chat.chat_id)) == row, "nothing recorded"


async def test_a_question_the_resident_deleted_comes_back_without_errors(small: Tidy) -> None:
    """Telegram says a message was deleted only when it is edited: the answer typed to it, or
    the /survey list or link, bring the question back; no edit is refused on the way."""
    chat = small.chat()
    await chat.say("/start survey_mechanics")
    await chat.tap("Apple")
    await chat.tap("Xray")
    await chat.tap("Done")
    del chat.h.api.log(chat.chat_id).messages[chat.live_question()["message_id"]]  # deleted
    said = await chat.say("3")  # its answered state can't be shown: the next question comes
    assert "Why?" in chat.sent_in(said)[0]
    assert chat.refusals() == ["message to edit not found"]
    del chat.h.api.log(chat.chat_id).messages[chat.live_question()["message_id"]]  # again
    await chat.say("/survey")
    said = await chat.tap("Mechanics Survey")
    assert not chat.sent_in(said) and "Why?" in chat.visible(chat.live_question())
    assert chat.refusals() == ["message to edit not found"] * 2, "moving the old copy failed"
    await chat.say("/start survey_mechanics")
    assert chat.screen()[-2] == "Mechanics Survey: continued below ⬇️"
    row = await open_row(small.h, MECHANICS, chat.chat_id)
    assert row is not None and (await stored_answers(small.h, row["id"]))["rate"] == ("3",)


# ---------------------------------------------------------------- journeys: stop, resume, change


async def test_cancel_takes_the_buttons_off_the_question(small: Tidy) -> None:
    chat = small.chat()
    await chat.say("/start survey_mechanics")
    await chat.tap("Apple")
    said = await chat.say("/cancel")
    assert chat.sent_in(said) == [
        "🛑 Leave “Mechanics Survey”? The answers you've given so far will be deleted."
    ], "an answer is saved: it asks first"
    said = await chat.tap("Leave and delete my answers")
    assert chat.screen()[-2] == "Pick some.\n🛑 Not answered: you stopped the survey."
    assert chat.screen()[-1:] == [
        "🛑 You've stopped “Mechanics Survey”. The answers you gave to it have been deleted. "
        "Send /survey to start again."
    ]
    assert chat.live_keyboards() == 0
    rows = await small.h.rows("SELECT status, message_id FROM survey_responses")
    assert rows == [{"status": "cancelled", "message_id": None}]


async def test_resume_from_the_survey_list_turns_the_list_into_the_question(
    small: Tidy,
) -> None:
    chat = small.chat()
    await chat.say("/start survey_mechanics")
    await chat.tap("Cherry")
    old = chat.live_question()["message_id"]
    await chat.say("/survey")
    older_list = chat.messages()[-1]["message_id"]
    await chat.say("/survey")
    said = await chat.tap("Mechanics Survey")  # on the newest list
    assert not chat.sent_in(said), "no new message"
    live = chat.live_question()
    assert live["message_id"] > old
    assert chat.visible(live).startswith("👋 Welcome back! Carrying on where you left off.")
    assert "Rate it." in chat.visible(live)
    assert chat.visible(chat.message(old)) == "Mechanics Survey: continued below ⬇️"
    # The older list pressed now: the question moves up into it.
    await chat.tap_data(older_list, cd.SurveyOpen(MECHANICS).pack(), "Mechanics Survey")
    assert chat.live_question()["message_id"] == older_list
    assert chat.visible(chat.message(live["message_id"])) == "Mechanics Survey: continued above ⬆️"
    await chat.tap("4", exact=True)
    assert chat.visible(chat.message(older_list)) == "Rate it.\n✔ Your answer: 4"


async def test_a_link_only_survey_in_progress_resumes_from_the_survey_list(
    shipped: Tidy,
) -> None:
    chat = shipped.chat()
    await chat.say(f"/start survey_{PR}")
    await chat.say("Thames Valley Police")
    await chat.say("/survey")  # lists it while it is in progress
    said = await chat.tap("SaferMK Partnership Review")
    assert not chat.sent_in(said)
    assert chat.screen()[-1].startswith("👋 Welcome back!"), chat.transcript()
    assert "How is SaferMK working generally in your view?" in chat.screen()[-1]


async def test_resume_with_a_command_or_the_link_posts_one_copy(small: Tidy) -> None:
    chat = small.chat()
    await chat.say("/start survey_mechanics")
    await chat.tap("Apple")
    await chat.tap("Yankee")
    old = chat.live_question()["message_id"]
    said = await chat.say("/start survey_mechanics")  # the deep link again (a QR code, a reminder)
    (copy,) = chat.sent_in(said)
    assert copy.startswith("👋 Welcome back!") and "✅ Yankee" in chat.buttons()
    assert chat.visible(chat.message(old)) == "Mechanics Survey: continued below ⬇️"
    await chat.tap("Done")
    assert chat.screen()[-2] == "Pick some.\n✔ Your answer: Yankee"


async def test_a_second_survey_pauses_the_first(shipped: Tidy) -> None:
    chat = shipped.chat()
    await chat.say(f"/start survey_{CS}")
    await chat.tap("4", exact=True)
    first = chat.live_question()["message_id"]
    await chat.say(f"/start survey_{NP}")
    assert chat.visible(chat.message(first)) == (
        "⏸ Community safety survey 2026/27: paused. Send /survey to carry on."
    )
    await chat.tap("Speeding")
    await chat.tap("Drugs")
    await chat.tap("Burglary")
    await chat.tap("Done")
    await chat.say("Parking on the verges")  # typed: goes to the survey on screen
    assert chat.screen()[-1].startswith("🙏 Thank you! Your area's top three priorities")
    await chat.say("/survey")
    said = await chat.tap("Community safety survey")
    assert not chat.sent_in(said)
    assert "How safe do you feel in your area after dark?" in chat.visible(chat.live_question())
    await chat.say("2")
    row = await open_row(shipped.h, CS, chat.chat_id)
    assert row is not None
    assert await stored_answers(shipped.h, row["id"]) == {"safe_day": ("4",), "safe_dark": ("2",)}


async def test_changing_the_answers_of_a_finished_survey(shipped: Tidy) -> None:
    chat = shipped.chat()
    await chat.say(f"/start survey_{PR}")
    for text in ("Thames Valley Police", "Well"):
        await chat.say(text)
    await chat.tap("4", exact=True)
    for text in ("Joint tasking", "Share data sooner"):
        await chat.say(text)
    assert chat.screen()[-1].startswith("🙏 Thank you.")
    await chat.say(f"/start survey_{PR}")
    said = await chat.tap("Change my answers")
    assert not chat.sent_in(said), "the message with the button becomes the first question"
    live = chat.screen()[-1]  # a required text question first: no buttons at all
    assert live.startswith("✏️ Changing your answers. Each question shows your earlier answer.")
    assert "Question 1 of 5" in live and "Your answer so far: Thames Valley Police" in live
    await chat.say("MK City Council")
    assert chat.screen()[-2] == (
        "Which organisation do you represent?\n✔ Your answer: MK City Council"
    )
    await chat.say("Better")
    assert "Your answer so far: 4" in chat.visible(chat.live_question())
    await chat.tap("5", exact=True)
    for text in ("Joint tasking", "Share data sooner"):
        await chat.say(text)
    rows = await shipped.h.rows("SELECT * FROM survey_responses WHERE survey_id = ?", (PR,))
    assert [r["status"] for r in rows] == ["complete"] and rows[0]["message_id"] is None
    answers = await stored_answers(shipped.h, rows[0]["id"])
    assert answers["organisation"] == ("MK City Council",) and answers["working_rating"] == ("5",)


async def test_stopping_a_change_keeps_the_answers_as_they_are_now(shipped: Tidy) -> None:
    chat = shipped.chat()
    await chat.say(f"/start survey_{PR}")
    for text in ("Thames Valley Police", "Well"):
        await chat.say(text)
    await chat.tap("4", exact=True)
    for text in ("Joint tasking", "Share data sooner"):
        await chat.say(text)
    await chat.say(f"/start survey_{PR}")
    await chat.tap("Change my answers")
    await chat.say("MK City Council")
    said = await chat.say("stop")
    assert chat.sent_in(said) == [
        "✔ You've stopped changing your answers to “SaferMK Partnership Review”. "
        "They are kept as they are now."
    ]
    assert chat.screen()[-2] == (
        "How is SaferMK working generally in your view?\n✔ Your answer: Well"
    ), "the question on screen shows the answer kept"
    (row,) = await shipped.h.rows("SELECT * FROM survey_responses WHERE survey_id = ?", (PR,))
    assert row["status"] == "complete" and row["message_id"] is None
    answers = await stored_answers(shipped.h, row["id"])
    assert answers["organisation"] == ("MK City Council",) and answers["working"] == ("Well",)
    said = await chat.say(f"/start survey_{PR}")
    assert chat.sent_in(said)[0].startswith("You've already answered")


async def test_stopping_a_change_that_left_the_route_unfinished_starts_afresh(
    small: Tidy,
) -> None:
    """A changed answer led to a question not answered yet: the answers can't stand as they are,
    so they are deleted, as any stopped survey's, and the survey can be answered again (it was
    left "already answered" with nothing to change, for ever)."""
    chat = small.chat()
    await chat.say("/start survey_mechanics")
    await chat.tap("Cherry")  # jumps over "Pick some."
    await chat.tap("3", exact=True)
    await chat.tap("Skip")
    await chat.tap("No", exact=True)
    assert chat.screen()[-1] == "🙏 Thanks for testing."
    await chat.say("/start survey_mechanics")
    await chat.tap("Change my answers")
    await chat.tap("Apple")  # "Pick some." is now on the route, unanswered
    await chat.say("/cancel")
    await chat.tap("Leave and delete my answers")
    assert chat.screen()[-1].startswith("🛑 You've stopped “Mechanics Survey”.")
    assert await small.h.rows("SELECT * FROM survey_completions") == []
    assert await small.h.rows("SELECT * FROM survey_answers") == []
    said = await chat.say("/start survey_mechanics")
    assert chat.sent_in(said)[0].startswith("📝 Mechanics Survey"), "started afresh"

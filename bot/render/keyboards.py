"""Keyboards: domain objects -> inline and reply keyboards (the only render module that imports
telegram). Button data comes from bot/callback_data.py's typed classes."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callback_data as cd
from bot.content import Nag, Question, Survey, Texts
from bot.domain import surveys as dom


def nag_keyboard(t: Texts, nag: Nag, reminders_on: bool) -> InlineKeyboardMarkup:
    remind = t.get("button.remind_off" if reminders_on else "button.remind_on")
    return InlineKeyboardMarkup(
        [
            [button(t.get("button.calendar"), cd.Calendar(nag.id))],
            [button(remind, cd.Remind(nag.id))],
            [button(t.get("button.change_area"), cd.ChangeArea())],
        ]
    )


def meeting_keyboard(t: Texts, nag: Nag, reminders_on: bool | None) -> InlineKeyboardMarkup:
    """Under a next meeting: Add to calendar, and Remind me when it is the resident's own NAG
    (`reminders_on` None for any other NAG)."""
    row = [button(t.get("button.calendar"), cd.Calendar(nag.id))]
    if reminders_on is not None:
        remind = t.get("button.remind_off" if reminders_on else "button.remind_on")
        row.append(button(remind, cd.Remind(nag.id)))
    return InlineKeyboardMarkup([row])


def nag_choice_keyboard(
    nags: Sequence[Nag],
    kind: Callable[[str], cd.CallbackData],
    more: Sequence[InlineKeyboardButton] = (),
) -> InlineKeyboardMarkup:
    """One NAG per row by its short name (a phone shows ~28 characters a row), each button
    `kind(nag id)`, then `more` (e.g. page buttons) on a last row."""
    rows = [[button(n.short_name, kind(n.id))] for n in nags]
    if more:
        rows.append(list(more))
    return InlineKeyboardMarkup(rows)


def button(label: str, data: cd.CallbackData) -> InlineKeyboardButton:
    """A button whose press comes back as `data` (every callback button goes through here)."""
    return InlineKeyboardButton(label, callback_data=data.pack())


def question_keyboard(
    t: Texts,
    survey: Survey,
    q: Question,
    answers: dom.Answers,
    picks: Sequence[str],
    response_id: int,
    step: int,
) -> InlineKeyboardMarkup:
    """A question's buttons: choices (ticked or ranked picks), then Back, Skip and Done."""
    at = (response_id, step)
    rows: list[list[InlineKeyboardButton]] = []
    if q.type in ("single", "yesno"):
        rows = [[button(o.label, cd.SurveyAnswer(*at, o.id))] for o in q.choices()]
        if q.type == "yesno":
            rows = [[b[0] for b in rows]]
    elif q.type == "rating":
        buttons = [button(o.label, cd.SurveyAnswer(*at, o.id)) for o in q.choices()]
        rows = [buttons] if len(buttons) <= 6 else [buttons[:6], buttons[6:]]
    elif q.type in ("multi", "top"):
        for o in q.options:
            if o.id in picks:
                mark = f"{list(picks).index(o.id) + 1}. " if q.type == "top" else "✅ "
            else:
                mark = ""
            rows.append([button(mark + o.label, cd.SurveyToggle(*at, o.id))])
    nav = []
    if dom.previous_question(survey, q.id, answers) is not None:
        nav.append(button(t.get("button.survey_back"), cd.SurveyBack(*at)))
    if not q.required:
        nav.append(button(t.get("button.survey_skip"), cd.SurveySkip(*at)))
    if q.type in ("multi", "top"):
        nav.append(button(t.get("button.survey_done"), cd.SurveyDone(*at)))
    if nav:
        rows.append(nav)
    return InlineKeyboardMarkup(rows)


def rating_keyboard(t: Texts, broadcast_id: int) -> InlineKeyboardMarkup:
    """👍 Useful / 👎 Not useful under every broadcast message (id 0 for a preview: never valid)."""
    return InlineKeyboardMarkup(
        [
            [
                button(t.get("broadcast.btn_useful"), cd.Rate(broadcast_id, True)),
                button(t.get("broadcast.btn_not_useful"), cd.Rate(broadcast_id, False)),
            ]
        ]
    )

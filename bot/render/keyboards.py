"""Keyboards: domain objects -> inline and reply keyboards (the only render module that imports
telegram). Button data comes from bot/callback_data.py's typed classes."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callback_data as cd
from bot.content import Nag, Texts


def nag_keyboard(t: Texts, nag: Nag, reminders_on: bool) -> InlineKeyboardMarkup:
    remind = t.get("button.remind_off" if reminders_on else "button.remind_on")
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t.get("button.calendar"), callback_data=cd.Calendar(nag.id).pack()
                )
            ],
            [InlineKeyboardButton(remind, callback_data=cd.Remind(nag.id).pack())],
            [
                InlineKeyboardButton(
                    t.get("button.change_area"), callback_data=cd.ChangeArea().pack()
                )
            ],
        ]
    )


def nag_choice_keyboard(
    nags: Sequence[Nag], kind: type[cd.Area | cd.Meetings], columns: int = 1
) -> InlineKeyboardMarkup:
    buttons = [InlineKeyboardButton(n.name, callback_data=kind(n.id).pack()) for n in nags]
    rows = [buttons[i : i + columns] for i in range(0, len(buttons), columns)]
    return InlineKeyboardMarkup(rows)

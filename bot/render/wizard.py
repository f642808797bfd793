"""The broadcast wizard's screens that need nothing but texts and content: one campaign's
messages to pick from (by the day each goes out and its first words), the group picker (short
names, counts, pages, typed search), the days and times to pick from, Back and Cancel, and how
long a sending takes. The wizard's steps are in bot/handlers/wizard.py, its other screens in
bot/handlers/wizard_screens.py.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, time, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callback_officers as ob
from bot.content import Campaign, Nag, ScheduledMessage, Texts
from bot.content.keys import TextKey
from bot.domain.disclosure import shown as shown_count
from bot.render.keyboards import button
from bot.render.text import day_long, day_short, e, snippet

PICKER_LABEL = 40  # characters of a message button: its date and first words, for a phone
PICKER_LINE = 70  # ... and of its line in the message above the buttons
NAGS_PER_PAGE = 8  # one NAG a row (a short name and its count fit a phone's row)
DAYS_AHEAD = 14  # days offered as buttons; later ones are typed
DAYS_PER_ROW = 3
TIMES = tuple(time(h, 0) for h in range(8, 21))  # outside the usual quiet hours
TIMES_PER_ROW = 4


def back_cancel(t: Texts, to: str) -> list[InlineKeyboardButton]:
    """The row every wizard step ends with: Back to step `to`, and Cancel."""
    return [
        button(t.get("broadcast.btn_back"), ob.WizardBack(to)),
        button(t.get("broadcast.btn_abandon"), ob.WizardAbandon()),
    ]


def protected_count(t: Texts, n: int, k: int, small: TextKey) -> str:
    """A count of residents as officers may see it (the small-number rule of
    bot/domain/disclosure.py): 0 and k or more as they are, 1 to k-1 as the `small` text."""
    shown = shown_count(n, k)
    return f"{shown:,}" if shown is not None else t.get(small, k=k)


def day_number(d: date) -> int:
    """A day as a button carries it: yyyymmdd."""
    return d.year * 10000 + d.month * 100 + d.day


def day_from_number(n: int) -> date | None:
    try:
        return date(n // 10000, n // 100 % 100, n % 100)
    except ValueError:
        return None


def message_snippet(campaign: Campaign, msg: ScheduledMessage, limit: int) -> str:
    return snippet(msg.text or campaign.summary, limit)


def message_list(
    t: Texts, campaign: Campaign, run: tuple[date, date], today: date
) -> tuple[str, InlineKeyboardMarkup]:
    """One campaign's messages: each by the day it goes out and its first words."""
    lines, rows = [], []
    for msg in campaign.messages:
        day = day_short(t, campaign.day_in_run(msg.day, run[0]), today)
        first_words = e(message_snippet(campaign, msg, PICKER_LINE))
        lines.append(t.get("broadcast.message_line", day=day, text=first_words))
        label = f"{day} · {message_snippet(campaign, msg, PICKER_LABEL - len(day) - 3)}"
        rows.append([button(label, ob.WizardCampaign(campaign.id, msg.id))])
    rows.append(
        [
            button(t.get("broadcast.btn_back"), ob.WizardCampaigns()),
            button(t.get("broadcast.btn_abandon"), ob.WizardAbandon()),
        ]
    )
    dates = t.get(
        "broadcast.campaign_dates",
        start=day_short(t, run[0], today),
        end=day_short(t, run[1], today),
    )
    text = t.get(
        "broadcast.choose_message",
        title=e(campaign.title),
        dates=dates,
        messages="\n".join(lines),
    )
    return text, InlineKeyboardMarkup(rows)


def duration_words(t: Texts, seconds: float) -> str:
    """How long the sending takes, as an officer plans around it."""
    if seconds < 60:
        return t.get("broadcast.takes_under_minute")
    return t.get("broadcast.takes_minutes", minutes=f"{math.ceil(seconds / 60):,}")


def nag_matches(nags: Sequence[Nag], search: str | None) -> list[Nag]:
    """The NAGs whose name, short name or an area contains the typed `search`, by short name."""
    found = sorted(nags, key=lambda n: n.short_name.casefold())
    if not search:
        return found
    words = search.casefold().split()
    return [
        n
        for n in found
        if all(
            any(w in name.casefold() for name in (n.name, n.short_name, *n.areas)) for w in words
        )
    ]


def nag_picker(
    t: Texts,
    nags: Sequence[Nag],
    picks: Sequence[str],
    counts: Mapping[str, str],
    search: str | None,
    page: int,
    note: str,
) -> tuple[str, InlineKeyboardMarkup]:
    """The group picker: one NAG a row by its short name and subscriber count (as shown to
    officers), a page at a time; a typed search narrows it."""
    found = nag_matches(nags, search)
    pages = max(1, math.ceil(len(found) / NAGS_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    rows = [
        [button(("✅ " if n.id in picks else "") + f"{n.short_name} · {counts.get(n.id, '0')}",
                ob.WizardNag(n.id))]
        for n in found[page * NAGS_PER_PAGE : (page + 1) * NAGS_PER_PAGE]
    ]  # fmt: skip
    nav = []
    if page > 0:
        nav.append(button(t.get("broadcast.btn_prev"), ob.WizardNagPage(page - 1)))
    if page < pages - 1:
        nav.append(button(t.get("broadcast.btn_next"), ob.WizardNagPage(page + 1)))
    rows += [nav] if nav else []
    if search:
        rows.append([button(t.get("broadcast.btn_all_nags"), ob.WizardNagsAll())])
    rows.append([button(t.get("broadcast.btn_nags_done", n=len(picks)), ob.WizardNagsDone())])
    rows.append(back_cancel(t, "audience"))
    lines = [t.get("broadcast.choose_nags"), note]
    if search:
        key: TextKey = "broadcast.nags_found" if found else "broadcast.nags_none_found"
        lines.append(t.get(key, search=e(search)))
    if pages > 1:
        lines.append(t.get("broadcast.list_page", page=page + 1, pages=pages))
    chosen = [n.short_name for n in sorted(nags, key=lambda n: n.short_name) if n.id in picks]
    if chosen:
        lines.append(t.get("broadcast.nags_chosen", names=e(", ".join(chosen))))
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def day_picker(
    t: Texts, today: date, today_open: bool, last_row: list[InlineKeyboardButton]
) -> tuple[str, InlineKeyboardMarkup]:
    """Today (while a time is left), tomorrow, and the next days; later ones are typed."""
    days = [today + timedelta(days=i) for i in range(0 if today_open else 1, DAYS_AHEAD)]
    labels = {today: t.get("broadcast.btn_today"), today + timedelta(days=1): t.get(
        "broadcast.btn_tomorrow")}  # fmt: skip
    buttons = [button(labels.get(d) or day_short(t, d, today), ob.WizardDay(day_number(d)))
               for d in days]  # fmt: skip
    rows = [buttons[i : i + DAYS_PER_ROW] for i in range(0, len(buttons), DAYS_PER_ROW)]
    rows.append(last_row)
    return t.get("broadcast.choose_day"), InlineKeyboardMarkup(rows)


def time_picker(
    t: Texts, day: date, today: date, times: Sequence[time], last_row: list[InlineKeyboardButton]
) -> tuple[str, InlineKeyboardMarkup]:
    """The times of one day still ahead."""
    buttons = [
        button(at.strftime("%H:%M"), ob.WizardAt(day_number(day), at.hour * 60 + at.minute))
        for at in times
    ]
    rows = [buttons[i : i + TIMES_PER_ROW] for i in range(0, len(buttons), TIMES_PER_ROW)]
    rows.append(last_row)
    return t.get("broadcast.choose_hour", day=day_long(t, day, today)), InlineKeyboardMarkup(rows)

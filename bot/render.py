"""Domain objects → message text (escaped HTML) and keyboards."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from html import escape
from urllib.parse import quote_plus
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callback_data as cd
from bot.content import MAX_MESSAGE, Campaign, Nag, Texts
from bot.domain.meetings import Meeting

PREVIEW_LIMIT = 200


def e(value: object) -> str:
    return escape(str(value), quote=False)


def attr(value: object) -> str:
    """Escape for an HTML attribute value (quotes too)."""
    return escape(str(value), quote=True)


def echo(text: str) -> str:
    """A resident's own words, shortened and escaped, safe to quote back."""
    text = " ".join(text.split())
    if len(text) > 60:
        text = text[:57] + "…"
    return e(text)


def when(dt: datetime, tz: ZoneInfo) -> str:
    local = dt.astimezone(tz)
    return f"{local:%A} {local.day} {local:%B %Y}, {local:%H:%M}"


def day(d: date) -> str:
    return f"{d:%a} {d.day} {d:%b %Y}"


def map_url(nag: Nag) -> str:
    v = nag.venue
    if v.lat is not None and v.lon is not None:
        return f"https://www.google.com/maps/search/?api=1&query={v.lat},{v.lon}"
    q = ", ".join(p for p in (v.name, v.address, v.postcode) if p)
    return f"https://www.google.com/maps/search/?api=1&query={quote_plus(q)}"


def meeting_line(t: Texts, nag: Nag, m: Meeting, tz: ZoneInfo) -> str:
    return t.get(
        "nag.meeting_line",
        when=e(when(m.start, tz)),
        venue=e(nag.venue.name),
        map_url=attr(map_url(nag)),
    )


def nag_card(t: Texts, nag: Nag, meetings: list[Meeting], tz: ZoneInfo) -> str:
    parts = [t.get("nag.card_title", name=e(nag.name))]
    parts.append(t.get("nag.card_areas", areas=e(", ".join(nag.areas)), council=e(nag.council)))
    prios = "\n".join(f"{i}. {e(p)}" for i, p in enumerate(nag.priorities, 1))
    parts.append(t.get("nag.card_priorities", priorities=prios))
    if meetings:
        m = meetings[0]
        venue = e(nag.venue.name) + ", " + e(nag.venue.address)
        if nag.venue.postcode:
            venue += " " + e(nag.venue.postcode)
        parts.append(
            t.get(
                "nag.card_next", when=e(when(m.start, tz)), venue=venue, map_url=attr(map_url(nag))
            )
        )
        if nag.venue.accessibility:
            parts.append(t.get("nag.card_access", access=e(nag.venue.accessibility)))
    else:
        parts.append(t.get("nag.card_no_meeting"))
    c = nag.contact
    contact = [e(c.team)]
    if c.phone:
        contact.append(t.get("nag.contact_phone", phone=e(c.phone)))
    if c.email:
        contact.append(t.get("nag.contact_email", email=e(c.email)))
    if c.url:
        contact.append(f'<a href="{attr(c.url)}">{e(c.url)}</a>')
    parts.append(t.get("nag.card_contact", contact="\n".join(contact)))
    if nag.links:
        parts.append(" · ".join(f'<a href="{attr(x.url)}">{e(x.title)}</a>' for x in nag.links))
    return "\n\n".join(parts)


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


def meetings_text(t: Texts, nag: Nag, meetings: list[Meeting], tz: ZoneInfo) -> str:
    if not meetings:
        return t.get("meetings.none", name=e(nag.name))
    lines = "\n".join(meeting_line(t, nag, m, tz) for m in meetings)
    return t.get("meetings.list", name=e(nag.name), meetings=lines)


def nag_choice_keyboard(
    nags: Sequence[Nag], kind: type[cd.Area | cd.Meetings], columns: int = 1
) -> InlineKeyboardMarkup:
    buttons = [InlineKeyboardButton(n.name, callback_data=kind(n.id).pack()) for n in nags]
    rows = [buttons[i : i + columns] for i in range(0, len(buttons), columns)]
    return InlineKeyboardMarkup(rows)


def campaign_text(t: Texts, c: Campaign, run: tuple[date, date], today: date) -> str:
    status = "campaigns.now" if run[0] <= today else "campaigns.soon"
    tips = "\n".join(t.get("campaigns.tip", tip=e(tip)) for tip in c.tips)
    links = " · ".join(f'<a href="{attr(x.url)}">{e(x.title)}</a>' for x in c.links)
    return t.get(
        "campaigns.item",
        title=e(c.title),
        status=t.get(status, start=day(run[0]), end=day(run[1])),
        summary=e(c.summary),
        tips=tips,
        links=links,
    ).rstrip()


def split_message(blocks: Sequence[str], sep: str = "\n\n", limit: int = MAX_MESSAGE) -> list[str]:
    """Pack blocks into messages under Telegram's limit, never splitting a block if avoidable."""
    out: list[str] = []
    cur = ""
    for block in blocks:
        while len(block) > limit:  # a single huge block: hard split on a line break
            cut = block.rfind("\n", 0, limit)
            cut = cut if cut > 0 else limit
            if cur:
                out.append(cur)
                cur = ""
            out.append(block[:cut])
            block = block[cut:].lstrip("\n")
        candidate = f"{cur}{sep}{block}" if cur else block
        if len(candidate) > limit:
            out.append(cur)
            cur = block
        else:
            cur = candidate
    if cur:
        out.append(cur)
    return out

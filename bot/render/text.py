"""Domain objects -> message text: escaped HTML in Telegram's subset, dates in words.

Pure: no telegram, no SQL, so domain code and content checks can use it too. Keyboards are in
bot/render/keyboards.py. Every resident's or editor's string passes through `e()` (or `attr()`
inside an attribute) before it goes into HTML. Day and month names come from the texts
(calendar.weekdays, calendar.months), never from the system locale.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import date, datetime
from html import escape
from urllib.parse import quote_plus
from zoneinfo import ZoneInfo

from bot.content import Campaign, Nag, Question, ScheduledMessage, Survey, Texts
from bot.content.keys import TextKey
from bot.domain import surveys as dom
from bot.domain.meetings import Meeting
from bot.telegram.limits import MAX_MESSAGE
from storage.model import Audience, AudienceKind


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


def when(t: Texts, dt: datetime, tz: ZoneInfo) -> str:
    """ "Tuesday 24 November 2026, 18:30" on the local wall clock."""
    local = dt.astimezone(tz)
    return f"{t.weekday(local)} {local.day} {t.month(local)} {local.year}, {local:%H:%M}"


def when_words(t: Texts, dt: datetime, tz: ZoneInfo, now: datetime) -> str:
    """ "today at 18:00", "tomorrow at 10:00", "yesterday at 09:15", otherwise "Tuesday 24
    November, 18:00" (with the year only when it is not this year), on the local wall clock."""
    local, today = dt.astimezone(tz), now.astimezone(tz).date()
    clock = f"{local:%H:%M}"
    offset = (local.date() - today).days
    if offset == 0:
        return t.get("time.today_at", time=clock)
    if offset == 1:
        return t.get("time.tomorrow_at", time=clock)
    if offset == -1:
        return t.get("time.yesterday_at", time=clock)
    year = f" {local.year}" if local.year != today.year else ""
    return f"{t.weekday(local)} {local.day} {t.month(local)}{year}, {clock}"


def when_short(t: Texts, dt: datetime, tz: ZoneInfo, now: datetime) -> str:
    """Like `when_words` for one-line lists: "today at 18:00", "Wed 25 Nov, 10:00",
    "Mon 11 Oct 2027, 10:00"."""
    local, today = dt.astimezone(tz), now.astimezone(tz).date()
    if abs((local.date() - today).days) <= 1:
        return when_words(t, dt, tz, now)
    year = f" {local.year}" if local.year != today.year else ""
    return f"{t.weekday(local)[:3]} {local.day} {t.month_short(local)}{year}, {local:%H:%M}"


def day_short(t: Texts, d: date, today: date) -> str:
    """ "Sun 25 Oct" (with the year only when it is not `today`'s year)."""
    year = f" {d.year}" if d.year != today.year else ""
    return f"{t.weekday(d)[:3]} {d.day} {t.month_short(d)}{year}"


def day_long(t: Texts, d: date, today: date) -> str:
    """ "Sunday 25 October" (with the year only when it is not `today`'s year)."""
    year = f" {d.year}" if d.year != today.year else ""
    return f"{t.weekday(d)} {d.day} {t.month(d)}{year}"


def officer_name(t: Texts, entry: tuple[int, str | None] | None, actor_id: int | None) -> str:
    """Who did something, for officers' eyes: the name from the config, "officer #2" (their
    place in the config) without one, "the bot" for automatic actions, never a Telegram id.

    `entry` is `Config.officer_entry(actor_id)`.
    """
    if actor_id is None:
        return t.get("broadcast.the_bot")
    if entry is None:
        return t.get("officer.former")
    position, name = entry
    return e(name) if name else t.get("officer.numbered", n=position)


def snippet(text: str, limit: int = 60) -> str:
    """A plain one-line start of a text (HTML tags dropped), cut at a word with "…"; not
    escaped."""
    # A title on its own line (as campaign messages have) reads "Title: first words".
    lines = [" ".join(x.split()) for x in plain(text).strip().split("\n")]
    lines = [x for x in lines if x]
    line = lines[0] if lines else ""
    if len(lines) > 1:
        line = f"{line.rstrip(':.')}: {' '.join(lines[1:])}"
    if len(line) <= limit:
        return line
    cut = line.rfind(" ", 0, limit - 1)
    return line[: cut if cut > limit // 2 else limit - 1].rstrip(" ,.;:") + "…"


def date_words(t: Texts, d: date) -> str:
    """ "24 November 2026"."""
    return f"{d.day} {t.month(d)} {d.year}"


def map_url(nag: Nag) -> str:
    v = nag.venue
    if v.lat is not None and v.lon is not None:
        return f"https://www.google.com/maps/search/?api=1&query={v.lat},{v.lon}"
    q = ", ".join(p for p in (v.name, v.address, v.postcode) if p)
    return f"https://www.google.com/maps/search/?api=1&query={quote_plus(q)}"


def meeting_line(t: Texts, nag: Nag, m: Meeting, tz: ZoneInfo) -> str:
    return t.get(
        "nag.meeting_line",
        when=e(when(t, m.start, tz)),
        venue=e(nag.venue.name),
        map_url=attr(map_url(nag)),
    )


CARD_AREAS = 4  # places named on the NAG card (its name says the main ones already)


def nag_card(t: Texts, nag: Nag, meetings: list[Meeting], tz: ZoneInfo) -> str:
    """The NAG card, one phone screen: what it covers, its priorities, the next meeting, who to
    contact. The full address is behind the map link; the calendar file has every detail."""
    parts = [t.get("nag.card_title", name=e(nag.name))]
    areas = list(nag.areas[:CARD_AREAS]) + (["…"] if len(nag.areas) > CARD_AREAS else [])
    parts[0] += "\n" + t.get("nag.card_areas", areas=e(", ".join(areas)))
    prios = "\n".join(f"{i}. {e(p)}" for i, p in enumerate(nag.priorities, 1))
    parts.append(t.get("nag.card_priorities", priorities=prios))
    if meetings:
        venue = e(nag.venue.name) + (f", {e(nag.venue.postcode)}" if nag.venue.postcode else "")
        meeting = t.get(
            "nag.card_next",
            when=e(when(t, meetings[0].start, tz)),
            venue=venue,
            map_url=attr(map_url(nag)),
        )
        if nag.venue.accessibility:
            meeting += "\n" + t.get("nag.card_access", access=e(nag.venue.accessibility))
        parts.append(meeting)
    else:
        parts.append(t.get("nag.card_no_meeting"))
    parts.append(t.get("nag.card_contact", contact=contact_text(t, nag)))
    return "\n\n".join(parts)


def contact_text(t: Texts, nag: Nag, links: bool = True) -> str:
    """Who to contact between meetings: the team, its phone, email and website (and links)."""
    c = nag.contact
    contact = [e(c.team)]
    if c.phone:
        contact.append(t.get("nag.contact_phone", phone=e(c.phone)))
    if c.email:
        contact.append(t.get("nag.contact_email", email=e(c.email)))
    if c.url:
        contact.append(t.get("nag.contact_website", url=attr(c.url)))
    if links:
        contact.extend(f'<a href="{attr(x.url)}">{e(x.title)}</a>' for x in nag.links)
    return " · ".join(contact)


def next_meeting_text(t: Texts, nag: Nag, meetings: list[Meeting], tz: ZoneInfo) -> str:
    """One group's next meeting: when, where (with a map), who is welcome."""
    if not meetings:
        return t.get("meetings.none", name=e(nag.name))
    return t.get(
        "meetings.next",
        name=e(nag.name),
        when=e(when(t, meetings[0].start, tz)),
        venue=e(nag.venue.name),
        map_url=attr(map_url(nag)),
    )


def meetings_text(t: Texts, nag: Nag, meetings: list[Meeting], tz: ZoneInfo) -> str:
    if not meetings:
        return t.get("meetings.none", name=e(nag.name))
    lines = "\n".join(meeting_line(t, nag, m, tz) for m in meetings)
    return t.get("meetings.list", name=e(nag.name), meetings=lines)


def campaign_label(
    t: Texts, c: Campaign, run: tuple[date, date], today: date, *, local: bool = False
) -> str:
    """A campaign's button in the /campaigns list: running now, or from its start date; marked
    when it matters most in the resident's area."""
    title = t.get("campaigns.local", title=c.title) if local else c.title
    if run[0] <= today:
        return t.get("campaigns.label_now", title=title)
    return t.get("campaigns.label_soon", title=title, start=f"{run[0].day} {t.month_short(run[0])}")


def campaign_detail(
    t: Texts,
    c: Campaign,
    run: tuple[date, date],
    today: date,
    tips: Sequence[str],
    *,
    more: bool = False,
) -> str:
    """One campaign: title, when, summary and some tips (`more`: the rest of the tips)."""
    status: TextKey = "campaigns.now" if run[0] <= today else "campaigns.soon"
    lines = "\n".join(t.get("campaigns.tip", tip=e(tip)) for tip in tips)
    return t.get(
        "campaigns.more" if more else "campaigns.detail",
        title=e(c.title),
        status=t.get(status, start=date_words(t, run[0]), end=date_words(t, run[1])),
        summary=e(c.summary),
        tips=lines,
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


def plain(html_text: str) -> str:
    """Stored HTML as plain text: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))


def first_line(html_text: str, limit: int = 60) -> str:
    """A short escaped one-line title of a stored HTML message (for officers' lists)."""
    line = plain(html_text.strip().split("\n", 1)[0])
    return e(line[:limit] + ("…" if len(line) > limit else ""))


def campaign_message_html(t: Texts, campaign: Campaign, message: ScheduledMessage | None) -> str:
    """The message residents get: the campaign's title, then the text (or summary and tips)."""
    if message is not None and message.text:
        body = e(message.text)
    else:
        tips = "\n".join(f"• {e(tip)}" for tip in campaign.tips)
        body = f"{e(campaign.summary)}\n\n{tips}"
    return t.get("broadcast.campaign_message", title=e(campaign.title), text=body)


def describe_audience(t: Texts, audience: Audience, nag_names: dict[str, str]) -> str:
    """Officer-facing description of an audience (escaped HTML)."""
    if audience.kind == AudienceKind.NAGS:
        names = ", ".join(e(nag_names.get(n, n)) for n in audience.nags)
        return t.get("broadcast.audience_nags", names=names)
    if audience.kind == AudienceKind.SURVEY:
        return t.get("broadcast.audience_survey", survey=e(audience.survey or ""))
    if audience.kind == AudienceKind.REMINDER:
        names = ", ".join(e(nag_names.get(n, n)) for n in audience.nags)
        return t.get("broadcast.audience_reminder", names=names)
    if audience.kind == AudienceKind.PERSONAL:
        return t.get("broadcast.audience_personal")
    return t.get("broadcast.audience_all")


def answer_text(t: Texts, q: Question, ans: dom.Answer) -> str:
    """A resident's answer in words: labels (ranked for top N), or "skipped"."""
    if ans is None:
        return t.get("survey.skipped")
    if q.type == "top":
        return ", ".join(f"{i}. {q.label(v)}" for i, v in enumerate(ans, 1))
    return ", ".join(q.label(v) for v in ans)


def short_answer(text: str, limit: int = 100) -> str:
    """A typed answer shortened for quoting back under its question (the whole is stored)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def survey_intro(t: Texts, survey: Survey) -> str:
    """The survey's title, what it is for and its privacy note (above its first question)."""
    return t.get(
        "survey.intro", title=e(survey.title), intro=e(survey.intro), privacy=e(survey.privacy)
    )


def progress_line(
    t: Texts, survey: Survey, q: Question, answers: dom.Answers, *, titled: bool = True
) -> str:
    """ "Survey title · Question 6 of up to 10" (without the title right under the intro)."""
    p = dom.progress(survey, q.id, answers)
    key: TextKey = "survey.count" if p.fixed else "survey.count_up_to"
    count = t.get(key, n=p.n, total=p.total)
    if not titled:
        return f"<i>{count}</i>"
    return t.get("survey.progress", title=e(survey.title), count=count)


def question_text(
    t: Texts,
    survey: Survey,
    q: Question,
    answers: dom.Answers,
    header: str = "",
    *,
    titled: bool = True,
) -> str:
    """A survey question: `header` (HTML), progress, the question, how to answer, and any
    earlier answer. `titled`: the progress line names the survey (not under its intro)."""
    parts = [header] if header else []
    parts += [progress_line(t, survey, q, answers, titled=titled), f"<b>{e(q.text)}</b>"]
    if q.type == "rating":
        lo, hi = q.scale
        hint = t.get("survey.hint_rating", min=lo, max=hi, low=e(q.low or lo), high=e(q.high or hi))
    elif q.type == "text":
        hint = t.get("survey.hint_text", max=q.max_length)
    elif q.type == "number":
        hint = t.get("survey.hint_number", **dom.number_range(q))
    elif q.type == "multi":
        hint = t.get("survey.hint_multi", min=q.min or 0, max=q.max or len(q.options))
    elif q.type == "top":
        hint = t.get("survey.hint_top", n=q.pick)
    else:
        hint = ""
    if not q.required:
        hint = f"{hint} {t.get('survey.hint_optional')}".strip()
    if hint:
        parts.append(hint)
    if q.id in answers and q.type not in ("multi", "top"):
        said = short_answer(answer_text(t, q, answers[q.id]))
        parts.append(t.get("survey.your_answer", answer=e(said)))
    return "\n\n".join(parts)


def answered_text(t: Texts, q: Question, ans: dom.Answer, header: str = "") -> str:
    """A question once answered: the question and "✔ Your answer: …" (or "✔ Skipped")."""
    if ans is None:
        line = t.get("survey.answered_skipped")
    else:
        line = t.get("survey.answered", answer=e(short_answer(answer_text(t, q, ans))))
    return closed_text(q, line, header)


def closed_text(q: Question, line: str, header: str = "") -> str:
    """A question that can no longer be answered here: the question, then `line` (HTML)."""
    body = f"<b>{e(q.text)}</b>\n{line}"
    return f"{header}\n\n{body}" if header else body

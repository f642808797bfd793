"""Pieces of the Broadcasts pages: words for statuses, a broadcast's title, its delivery report
cells, the message as residents see it, and one broadcast's page (facts, report, history and
the forms acting on it)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.console.figures import (
    audience_text,
    count_text,
    languages_text,
    rounded_text,
    when_text,
)
from bot.console.framework import Ctx
from bot.console.html import Column, Html, field, join, table, tag, void
from bot.console.pages.home import KIND_WORDS, audience_words
from bot.content import Content, Language
from bot.render.text import first_line, plain
from bot.services import broadcast_desk as desk
from bot.services.languages import campaign_translations
from storage.broadcasts import Broadcast
from storage.model import BroadcastKind, BroadcastStatus

STATUS = {
    BroadcastStatus.SCHEDULED: "scheduled",
    BroadcastStatus.SENDING: "sending",
    BroadcastStatus.DONE: "sent",
    BroadcastStatus.CANCELLED: "cancelled",
    BroadcastStatus.EXPIRED: "expired",
}
ACTION_WORDS = {
    "schedule": "Scheduled",
    "cancel": "Cancelled",
    "send_now": "Sent now",
    "change": "Changed",
    "expire": "Expired",
}


def shown_at(b: Broadcast, tz: ZoneInfo) -> datetime:
    return desk.shown_at(b).astimezone(tz)


def title(content: Content, b: Broadcast) -> str:
    """ "Broadcast #12: officer's message, “Bike marking at…”" (an officer's own first words)."""
    kind = KIND_WORDS.get(b.kind, str(b.kind))
    if b.kind == BroadcastKind.OFFICER and b.text:
        return f"Broadcast #{b.id}: {kind}, “{plain(first_line(b.text, 40))}”"
    ref = b.ref or ""
    about = (
        content.campaign_by_id[ref].title
        if ref in content.campaign_by_id
        else content.nag_by_id[ref].name
        if ref in content.nag_by_id
        else None
    )
    return f"Broadcast #{b.id}: {kind}" + (f", {about}" if about else "")


def name_of(languages: Sequence[Language], code: str) -> str:
    """A language's English name ("Polish"); one no longer offered by its code."""
    return next((x.english_name for x in languages if x.code == code), code)


def small_note(k: int) -> Html:
    return tag(
        "p",
        f"Counts from 1 to {k - 1} show as “fewer than {k}”, with another figure hidden so "
        "they can't be worked out from the total. A broadcast's delivery figures are rounded "
        f"to the nearest {k} (“about”), so two broadcasts' figures can't be subtracted.",
        class_="hint",
    )


def _n(v: int | None, k: int) -> str:
    return count_text(v, k) if v is not None else "not shown"


def report_cells(r: desk.Report, k: int) -> tuple[str, str, str]:
    return rounded_text(r.sent, k), rounded_text(r.blocked, k), rounded_text(r.failed, k)


def resident_view(text: str | None, label: str = "The message") -> Html:
    """The message as residents read it (its words; Telegram shows the bold and links)."""
    return tag("div", plain(text or ""), class_="preview", aria_label=label)


async def broadcast_of(ctx: Ctx) -> Broadcast:
    b = await ctx.services.broadcasts.get(int(ctx.request.match_info["id"]))
    if b is None:
        raise web.HTTPNotFound()
    return b


def due_field(b: Broadcast) -> Html:
    return void("input", type="hidden", name="due", value=b.due_at.isoformat())


def when_fields(prefix: str, at: datetime | None, tz: ZoneInfo) -> Html:
    local = at.astimezone(tz) if at else None
    day = void(
        "input",
        type="date",
        name="day",
        id=f"{prefix}-day",
        value=f"{local:%Y-%m-%d}" if local else "",
    )
    clock = void(
        "input",
        type="time",
        name="time",
        id=f"{prefix}-time",
        value=f"{local:%H:%M}" if local else "",
    )
    return join(
        [
            field("Day", day, id_=f"{prefix}-day"),
            field("Time", clock, "UK time (the bot's time zone).", id_=f"{prefix}-time"),
        ]
    )


def _translation_forms(
    ctx: Ctx, b: Broadcast, languages: Sequence[Language], stored: Mapping[str, str]
) -> list[Html]:
    """Per other language: its text alone, changed (or added), or removed so that its readers
    get the English; the English stays as it is."""
    forms = []
    for x in languages:
        have = stored.get(x.code)
        id_ = f"e-text-{x.code}"
        area = tag("textarea", plain(have or ""), name="text", id=id_, rows="6", maxlength="4096")
        language = void("input", type="hidden", name="language", value=x.code)
        parts = [
            ctx.form(
                f"/broadcasts/{b.id}/translation",
                due_field(b),
                language,
                field(
                    f"Message in {x.english_name}",
                    area,
                    f"Residents who chose {x.english_name} get this instead of the English.",
                    id_=id_,
                ),
                submit=f"Save the {x.english_name} text",
                class_="card",
            )
        ]
        if have is not None:
            parts.append(
                ctx.form(
                    f"/broadcasts/{b.id}/translation/remove",
                    due_field(b),
                    language,
                    submit=f"Remove the {x.english_name} text (they get the English)",
                    button="danger",
                    class_="inline",
                )
            )
        head = f"Change the {x.english_name} text" if have else f"Add a {x.english_name} text"
        forms.append(tag("h3", head) + join(parts))
    return forms


def _actions(
    ctx: Ctx, b: Broadcast, languages: Sequence[Language], stored: Mapping[str, str]
) -> Html:
    tz = ctx.services.config.tz
    forms = []
    if b.kind == BroadcastKind.OFFICER and not b.materialised:
        area = tag(
            "textarea",
            plain(b.text or ""),
            name="text",
            id="e-text",
            rows="6",
            maxlength="4096",
            required=True,
        )
        forms.append(
            tag("h3", "Change the text")
            + ctx.form(
                f"/broadcasts/{b.id}/edit",
                due_field(b),
                field("Message", area, id_="e-text"),
                submit="Save the text",
                class_="card",
            )
        )
        forms += _translation_forms(ctx, b, languages, stored)
    forms.append(
        tag("h3", "Change the time")
        + ctx.form(
            f"/broadcasts/{b.id}/retime",
            due_field(b),
            when_fields("r", b.due_at, tz),
            submit="Move it",
            class_="card",
        )
    )
    forms.append(
        tag("h3", "Send or cancel")
        + tag(
            "div",
            ctx.form(f"/broadcasts/{b.id}/send", due_field(b), submit="Send now…", class_="inline"),
            ctx.form(
                f"/broadcasts/{b.id}/cancel",
                due_field(b),
                submit="Cancel it…",
                button="danger",
                class_="inline",
            ),
            class_="onetime",
        )
    )
    return tag("section", tag("h2", "Change it", id="act"), join(forms), aria_labelledby="act")


async def _delivery(ctx: Ctx, b: Broadcast, k: int) -> Html:
    """Sent, blocked, not delivered and still to go, and the ratings (each protected)."""
    s = ctx.services
    r = await desk.delivery_of(s.db, b.id, k)
    useful, not_useful = await s.broadcasts.ratings(b.id)
    _, (u, nu) = desk.protected([useful, not_useful], k)
    cols = [Column("Figure"), Column("Residents", numeric=True)]
    rows = [
        ("Recipients", rounded_text(r.total, k)),
        ("Sent", rounded_text(r.sent, k)),
        ("Blocked the bot", rounded_text(r.blocked, k)),
        ("Not delivered", rounded_text(r.failed, k)),
        ("Still to go", rounded_text(r.waiting, k)),
        ("Rated useful", _n(u, k)),
        ("Rated not useful", _n(nu, k)),
    ]
    return tag(
        "section",
        tag("h2", "Delivery", id="delivery"),
        table("Delivery report", cols, rows),
        small_note(k),
        aria_labelledby="delivery",
    )


async def _history(ctx: Ctx, b: Broadcast) -> Html:
    """The broadcast's audit trail: what was done, when, by whom (an officer's name)."""
    tz = ctx.services.config.tz
    history = [
        (
            ACTION_WORDS.get(a.action, str(a.action)),
            when_text(a.at, tz),
            "the bot" if a.actor_id is None else ctx.officer_name(a.actor_id),
            a.detail or "",
        )
        for a in await ctx.services.broadcasts.audit_rows(b.id)
    ]
    cols = [Column("What"), Column("When"), Column("Who"), Column("Detail")]
    return tag(
        "section",
        tag("h2", "History", id="hist"),
        table("What was done to this broadcast", cols, history),
        aria_labelledby="hist",
    )


async def detail(ctx: Ctx, b: Broadcast) -> Html:
    """One broadcast: the message and its facts, the delivery report once it has started,
    the forms acting on it while it is scheduled, and its history."""
    s = ctx.services
    k = s.config.settings.survey.min_count
    tz = s.config.tz
    facts = [
        ("Status", STATUS[b.status]),
        ("When", when_text(desk.shown_at(b), tz)),
        ("To", audience_words(s.content, b.audience)),
        ("Urgent", "yes: ignores quiet hours" if b.urgent else "no: waits for quiet hours to end"),
        ("Rating buttons", "yes" if b.ratings else "no"),
    ]
    others = [x for x in s.offered() if x.code != "en"]
    codes = [x.code for x in others]
    stored = await s.broadcasts.translations_of(b.id)
    # A campaign message's other languages come from the content, not the officer.
    from_content = campaign_translations(s.content_all, b.text, b.ref, codes)
    if not b.materialised:
        reach = await audience_text(s, b)
        facts.append(("Residents it would reach now", reach))
        own = {**{x: v for x, v in stored.items() if x in codes}, **from_content}
        languages = await languages_text(s, b.audience, own)
        if languages is not None:
            facts.append(("In which language, now", languages))
    about = tag(
        "dl", join(tag("div", tag("dt", a), tag("dd", v)) for a, v in facts), class_="facts"
    )
    parts = [
        tag(
            "section",
            tag("h2", "The message", id="msg"),
            resident_view(b.text),
            join(
                tag("h3", f"Residents who chose {name} get")
                + resident_view(text, f"The message in {name}")
                for code, text in sorted(stored.items())
                if code in codes  # one no longer offered: its readers get the English
                for name in [name_of(others, code)]
            ),
            about,
            aria_labelledby="msg",
        )
    ]
    if b.materialised:
        parts.append(await _delivery(ctx, b, k))
    if b.status == BroadcastStatus.SCHEDULED:
        editable = [x for x in others if x.code not in from_content]
        parts.append(_actions(ctx, b, editable, stored))
    parts.append(await _history(ctx, b))
    return join(parts)

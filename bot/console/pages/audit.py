"""The audit log (admins): who did what and when, in the console and on broadcasts, filtered by
officer, action and date. Officers by name; never a Telegram id; details hold no resident's
words (storage/console.py and the broadcast service write only what was done)."""

from __future__ import annotations

from datetime import date, datetime, time

from aiohttp import web

from bot.console.figures import when_text
from bot.console.framework import Ctx, Page, Route
from bot.console.html import Column, Html, field, join, message, select, table, tag, void
from bot.console.pages.people import ref_of, user_of
from storage.console import AuditEntry, ConsoleAction
from storage.model import AuditAction

LIMIT = 200
ACTION_WORDS: dict[str, str] = {
    ConsoleAction.SIGN_IN: "signed in",
    ConsoleAction.SIGN_IN_REFUSED: "sign-in refused",
    ConsoleAction.SIGN_OUT: "signed out",
    ConsoleAction.INVITE: "made an invitation",
    ConsoleAction.JOINED: "joined by invitation",
    ConsoleAction.SET_ROLE: "changed a role",
    ConsoleAction.REMOVE: "removed access",
    ConsoleAction.DOWNLOAD: "downloaded",
    AuditAction.SCHEDULE: "scheduled a broadcast",
    AuditAction.CANCEL: "cancelled a broadcast",
    AuditAction.SEND_NOW: "sent a broadcast now",
    AuditAction.CHANGE: "changed a broadcast",
    AuditAction.EXPIRE: "a broadcast expired",
}


def _what(ctx: Ctx, a: AuditEntry) -> str:
    words = ACTION_WORDS.get(a.action, a.action.replace("_", " "))
    if a.source == "broadcast" and a.target_id is not None:
        return f"{words} (#{a.target_id})"
    if a.target_id is not None and a.target_id != a.actor_id:
        return f"{words}: {ctx.officer_name(a.target_id)}"
    return words


def _filters(ctx: Ctx, who: str | None, action: str | None, since: str | None, auto: bool) -> Html:
    s = ctx.services
    people = [("", "Everyone")]
    people += [(ref_of(ctx, u), ctx.officer_name(u)) for u in sorted(s.roster.roles)]
    actions = [("", "Any action"), *ACTION_WORDS.items()]
    since_input = void("input", type="date", name="since", id="a-since", value=since or "")
    return ctx.form(
        "/audit",
        field("Officer", select("who", people, who, id_="a-who"), id_="a-who"),
        field("Action", select("action", actions, action, id_="a-action"), id_="a-action"),
        field("From", since_input, id_="a-since"),
        tag(
            "div",
            void("input", type="checkbox", name="auto", value="1", id="a-auto", checked=auto),
            tag("label", "Include the bot's own actions", for_="a-auto"),
            class_="check",
        ),
        submit="Filter",
        method="get",
        class_="filters",
        aria_label="Filter the audit log",
    )


def _since(value: str | None, ctx: Ctx) -> datetime | None:
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return datetime.combine(day, time(), ctx.services.config.tz)


async def audit_log(ctx: Ctx) -> web.StreamResponse:
    s = ctx.services
    who, action, since = ctx.query("who"), ctx.query("action"), ctx.query("since")
    actor = user_of(ctx, who) if who else None
    action = action if action in ACTION_WORDS else None
    start = _since(since, ctx)
    auto = ctx.query("auto") == "1"
    parts = [_filters(ctx, who if actor else None, action, since if start else None, auto)]
    if who and actor is None:
        parts.append(message("No such officer: showing everyone.", "error"))
    entries = await s.console.audit_trail(
        actor=actor, action=action, since=start, automatic=auto, limit=LIMIT
    )
    rows = [
        (when_text(a.at, s.config.tz), ctx.officer_name(a.actor_id) if a.actor_id else "—",
         _what(ctx, a), a.detail or "")
        for a in entries
    ]  # fmt: skip
    cols = [Column("When"), Column("Who"), Column("What"), Column("Detail")]
    parts.append(table(f"Audit log, newest first (at most {LIMIT})", cols, rows))
    if not rows:
        parts.append(tag("p", "Nothing matches these filters."))
    return ctx.page("Audit log", join(parts))


PAGE = Page(
    title="Audit log",
    path="/audit",
    role="admin",
    routes=(Route("GET", "/audit", audit_log, role="admin"),),
)

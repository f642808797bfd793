"""The new-broadcast form of the console and reading it back: the draft (text, audience, time,
urgent, rating buttons) with the chat's rules for each (bot/handlers/wizard.py), and the draft
as hidden fields so Confirm sends exactly what was previewed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from multidict import MultiDictProxy

from bot.console.framework import Ctx
from bot.console.html import Html, field, join, message, select, tag, void
from bot.console.pages import broadcast_parts as bp
from bot.services import broadcast_desk as desk
from bot.telegram.limits import MAX_MESSAGE
from storage.model import Audience, AudienceKind

MAX_AHEAD = timedelta(days=366)  # as in chat: a broadcast is planned at most a year ahead


@dataclass(frozen=True)
class Draft:
    raw: str
    audience: Audience
    send_now: bool
    send_at: datetime
    urgent: bool
    ratings: bool


def check(name: str, label: str, id_: str, checked: bool = False, value: str = "1") -> Html:
    """A labelled checkbox."""
    box = void("input", type="checkbox", name=name, value=value, id=id_, checked=checked)
    return tag("div", box, tag("label", label, for_=id_), class_="check")


def hidden(name: str, value: object) -> Html:
    return void("input", type="hidden", name=name, value=str(value))


def parse_at(ctx: Ctx, form: MultiDictProxy) -> datetime | str:
    """The day and time asked for, or what is wrong with them."""
    try:
        day = date.fromisoformat(str(form.get("day", "")))
    except ValueError:
        return "Choose a day."
    at = desk.local_time(day, str(form.get("time", "")), ctx.services.config.tz)
    if at is None:
        return "Give the time as hours and minutes, e.g. 18:30, at a time that exists that day."
    if at <= ctx.now():
        return "That time has already passed: choose a later one."
    if at > ctx.now() + MAX_AHEAD:
        return "That is more than a year ahead."
    return at


def parse_draft(ctx: Ctx, form: MultiDictProxy) -> Draft | str:
    """The draft from the form, or what is wrong with it (in words)."""
    content = ctx.services.content
    raw = str(form.get("text", "")).strip().replace("\r\n", "\n")
    if not raw:
        return "Write the message."
    if len(raw) > MAX_MESSAGE:
        return f"The message is {len(raw):,} characters: at most {MAX_MESSAGE:,} fit."
    who = str(form.get("audience", "all"))
    if who == "nags":
        picks = tuple(sorted(n for n in form.getall("nag", []) if n in content.nag_by_id))
        if not picks:
            return "Tick at least one NAG."
        audience = Audience(AudienceKind.NAGS, nags=picks)
    elif who.startswith("survey:") and who[7:] in content.survey_by_id:
        audience = Audience(AudienceKind.SURVEY, survey=who[7:])
    else:
        audience = Audience()
    send_now = form.get("when") != "later"
    at = ctx.now() if send_now else parse_at(ctx, form)
    if isinstance(at, str):
        return at
    urgent, ratings = form.get("urgent") == "1", form.get("ratings") == "1"
    return Draft(raw, audience, send_now, at, urgent, ratings)


def draft_fields(d: Draft, tz: object) -> Html:
    """The draft as hidden fields, so Confirm sends exactly what was previewed."""
    fields = [
        hidden("text", d.raw),
        hidden("urgent", int(d.urgent)),
        hidden("ratings", int(d.ratings)),
        hidden("when", "now" if d.send_now else "later"),
    ]
    if d.audience.kind == AudienceKind.NAGS:
        fields += [hidden("audience", "nags")] + [hidden("nag", n) for n in d.audience.nags]
    elif d.audience.kind == AudienceKind.SURVEY:
        fields.append(hidden("audience", f"survey:{d.audience.survey}"))
    if not d.send_now:
        local = d.send_at.astimezone(tz)  # type: ignore[arg-type]
        fields += [hidden("day", f"{local:%Y-%m-%d}"), hidden("time", f"{local:%H:%M}")]
    return join(fields)


def new_form(ctx: Ctx, problem: str | None = None) -> Html:
    content = ctx.services.content
    audiences = [("all", "Everyone who takes campaign messages"), ("nags", "The NAGs ticked below")]
    audiences += [(f"survey:{s.id}", f"People who took “{s.title}”") for s in content.surveys]
    ticks = join(
        check("nag", n.name, f"n-{n.id}", value=n.id)
        for n in sorted(content.nags, key=lambda n: n.name)
    )
    area = tag(
        "textarea",
        "",
        name="text",
        id="b-text",
        rows="6",
        maxlength=str(MAX_MESSAGE),
        required=True,
        aria_describedby="b-text-hint",
    )
    whens = [("now", "Now"), ("later", "At the day and time below")]
    checks = join(
        [
            check("urgent", "Urgent: goes out during quiet hours too", "b-urgent"),
            check("ratings", "Useful / Not useful buttons under the message", "b-ratings", True),
        ]
    )
    return join(
        [
            message(problem, "error") if problem else Html(""),
            ctx.form(
                "/broadcasts/preview",
                field("Message", area, "Plain text, as residents will read it.", id_="b-text"),
                field(
                    "Who gets it", select("audience", audiences, "all", id_="b-aud"), id_="b-aud"
                ),
                tag("fieldset", tag("legend", "NAGs"), ticks, class_="nags"),
                field("When", select("when", whens, "now", id_="b-when"), id_="b-when"),
                bp.when_fields("b", None, ctx.services.config.tz),
                checks,
                submit="Preview",
            ),
        ]
    )

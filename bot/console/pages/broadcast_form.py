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
from bot.content import Language
from bot.render.text import campaign_message_html, e, first_line, plain
from bot.services import broadcast_desk as desk
from bot.services.languages import campaign_translations
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
    choice: str = ""  # "campaign:<campaign id>:<message id>", or "" for the typed text
    html: str | None = None  # the campaign message as residents get it (choice set)
    ref: str | None = None  # its campaign: residents get it in their language
    # The typed text in other languages the bot offers: (code, typed text), in that order.
    translations: tuple[tuple[str, str], ...] = ()

    @property
    def text(self) -> str:
        """What residents get: the campaign message, or the typed text escaped."""
        return self.html if self.html is not None else e(self.raw)

    @property
    def translated(self) -> tuple[tuple[str, str], ...]:
        """(code, HTML) of each translation, escaped as the English is."""
        return tuple((code, e(raw)) for code, raw in self.translations)


def other_languages(ctx: Ctx) -> list[Language]:
    """The languages besides English the bot offers residents (a typed text's translations)."""
    return [x for x in ctx.services.offered() if x.code != "en"]


def _translations(ctx: Ctx, form: MultiDictProxy) -> tuple[tuple[str, str], ...] | str:
    """The typed translations (empty ones left out), or what is wrong with one."""
    out = []
    for x in other_languages(ctx):
        raw = str(form.get(f"text_{x.code}", "")).strip().replace("\r\n", "\n")
        if len(raw) > MAX_MESSAGE:
            n = f"{len(raw):,}"
            return f"The {x.english_name} text is {n} characters: at most {MAX_MESSAGE:,} fit."
        if raw:
            out.append((x.code, raw))
    return tuple(out)


def own_languages(ctx: Ctx, d: Draft) -> set[str]:
    """The languages that get this draft in their own words (a campaign message's, or typed)."""
    codes = [x.code for x in other_languages(ctx)]
    own = campaign_translations(ctx.services.content_all, d.html, d.ref, codes)
    return {*own, *(code for code, _ in d.translations if code in codes)}


def translation_views(ctx: Ctx, d: Draft) -> Html:
    """Each translation as its readers will see it, under who gets it."""
    names = {x.code: x.english_name for x in other_languages(ctx)}
    return join(
        join(
            [tag("h2", f"Residents who chose {names.get(code, code)} get"), bp.resident_view(html)]
        )
        for code, html in d.translated
    )


def campaign_choices(ctx: Ctx) -> list[tuple[str, str]]:
    """Each campaign message with words of its own, as the chat wizard offers them."""
    out = [("", "The message I write below")]
    for c in ctx.services.content.campaigns:
        for m in c.messages:
            if m.text:
                words = plain(first_line(m.text, 50))
                out.append((f"campaign:{c.id}:{m.id}", f"{c.title}: {words}"))
    return out


def _campaign(ctx: Ctx, choice: str) -> tuple[str, str] | str | None:
    """(its HTML, campaign id) for a campaign choice; None for typed text; a problem in words."""
    if not choice:
        return None
    _, cid, mid = (choice.split(":", 2) + ["", ""])[:3]
    campaign = ctx.services.content.campaign_by_id.get(cid)
    msg = next((m for m in campaign.messages if m.id == mid), None) if campaign else None
    if campaign is None or msg is None:
        return "That campaign message is no longer in the content: choose again."
    return campaign_message_html(ctx.services.texts("en"), campaign, msg), campaign.id


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
    choice = str(form.get("content", ""))
    picked = _campaign(ctx, choice)
    if isinstance(picked, str):
        return picked
    if picked is not None:
        raw = ""
    elif not raw:
        return "Write the message, or choose a campaign message."
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
    if picked is None:
        translations = _translations(ctx, form)
        if isinstance(translations, str):
            return translations
        return Draft(raw, audience, send_now, at, urgent, ratings, translations=translations)
    html, ref = picked
    return Draft(raw, audience, send_now, at, urgent, ratings, choice, html, ref)


def draft_fields(d: Draft, tz: object) -> Html:
    """The draft as hidden fields, so Confirm sends exactly what was previewed."""
    fields = [
        hidden("text", d.raw),
        hidden("content", d.choice),
        hidden("urgent", int(d.urgent)),
        hidden("ratings", int(d.ratings)),
        hidden("when", "now" if d.send_now else "later"),
    ]
    fields += [hidden(f"text_{code}", raw) for code, raw in d.translations]
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
        aria_describedby="b-text-hint",
    )
    translations = [
        field(
            f"Message in {x.english_name} (optional)",
            tag("textarea", "", name=f"text_{x.code}", id=f"b-text-{x.code}", rows="4",
                maxlength=str(MAX_MESSAGE), aria_describedby=f"b-text-{x.code}-hint"),
            f"Residents who chose {x.english_name} get this instead of your message above;"
            " everyone else gets the English. Leave it empty to send the English to all.",
            id_=f"b-text-{x.code}",
        )
        for x in other_languages(ctx)
    ]  # fmt: skip
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
                field(
                    "Content",
                    select("content", campaign_choices(ctx), "", id_="b-content"),
                    "A campaign message from the content (each resident gets it in their"
                    " language), or your own words below.",
                    id_="b-content",
                ),
                field("Message", area, "Plain text, as residents will read it.", id_="b-text"),
                *translations,
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

"""Acting on broadcasts from the console, with the chat's rules (bot/handlers/wizard.py): a new
broadcast is previewed as residents will see it, with its recipients, when they actually get it
(quiet hours unless urgent), then confirmed; the duplicate guard asks a second time; sending now
and cancelling each ask on a page of their own before anything happens. Everything goes through
the broadcast service, which writes the audit trail with the officer's id."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from multidict import MultiDictProxy

from bot.console.figures import audience_text, languages_text, when_text
from bot.console.framework import Ctx, Page, Route, url
from bot.console.html import Html, join, message, tag, void
from bot.console.pages import broadcast_form as bf
from bot.console.pages import broadcast_parts as bp
from bot.console.pages.home import audience_words
from bot.domain.broadcasts import fingerprint
from bot.ports import Duplicate
from bot.render.text import e
from bot.services import broadcast_desk as desk
from bot.telegram.limits import MAX_MESSAGE
from storage.model import BroadcastKind, BroadcastSpec


async def new_page(ctx: Ctx) -> web.StreamResponse:
    return ctx.page("New broadcast", bf.new_form(ctx))


async def _facts(ctx: Ctx, d: bf.Draft) -> Html:
    s = ctx.services
    tz = s.config.tz
    count = await audience_text(s, None, d.audience)
    arrives = s.broadcasting.send_time(max(d.send_at, ctx.now()), d.urgent)
    when = "now" if d.send_now else when_text(d.send_at, tz)
    facts = [
        ("To", audience_words(s.content, d.audience)),
        ("Recipients", count),
        ("Goes out", when),
        ("Urgent", "yes" if d.urgent else "no"),
        ("Rating buttons", "yes" if d.ratings else "no"),
    ]
    languages = await languages_text(s, d.audience, bf.own_languages(ctx, d))
    if languages is not None:
        facts.insert(2, ("Languages", languages))
    notes = []
    if arrives > max(d.send_at, ctx.now()):
        notes.append(
            message(
                f"Quiet hours: residents get it {when_text(arrives, tz)}, when "
                "quiet hours end (tick Urgent to send it during them)."
            )
        )
    dl = tag("dl", join(tag("div", tag("dt", a), tag("dd", v)) for a, v in facts), class_="facts")
    return join([dl, *notes])


async def preview(ctx: Ctx) -> web.StreamResponse:
    form = await ctx.request.post()
    d = bf.parse_draft(ctx, form)
    if isinstance(d, str):
        return ctx.page("New broadcast", bf.new_form(ctx, d), status=400)
    body = join(
        [
            tag("h2", "As residents will see it"),
            bp.resident_view(d.text),
            bf.translation_views(ctx, d),
            tag("h2", "Who and when"),
            await _facts(ctx, d),
            ctx.form(
                "/broadcasts/create",
                bf.draft_fields(d, ctx.services.config.tz),
                submit="Confirm: schedule it" if not d.send_now else "Confirm: send it now",
            ),
            tag(
                "p",
                "Nothing is sent or scheduled until you confirm. To change it, go back.",
                class_="hint",
            ),
        ]
    )
    return ctx.page("Check the broadcast", body)


async def create(ctx: Ctx) -> web.StreamResponse:
    s = ctx.services
    form = await ctx.request.post()
    d = bf.parse_draft(ctx, form)
    if isinstance(d, str):
        return ctx.page("New broadcast", bf.new_form(ctx, d), status=400)
    text = d.text
    spec = BroadcastSpec(
        kind=BroadcastKind.OFFICER,
        ref=d.ref,
        text=text,
        audience=d.audience,
        send_at=ctx.now() if d.send_now else d.send_at,
        urgent=d.urgent,
        ratings=d.ratings,
        created_by=ctx.officer.user_id,
        fingerprint=fingerprint(text),
        translations=d.translated,
        detail=("now" if d.send_now else "scheduled")
        + (", urgent" if d.urgent else "")
        + ", from the console",
    )
    result = await s.broadcasting.create(spec, force=form.get("force") == "1")
    if isinstance(result, Duplicate):
        other = result.other
        warn = message(
            f"The same message to the same residents is already planned: broadcast "
            f"#{other.id}, {when_text(other.send_at, s.config.tz)}. Send it again "
            "anyway?",
            "error",
        )
        again = ctx.form(
            "/broadcasts/create",
            bf.draft_fields(d, s.config.tz),
            bf.hidden("force", 1),
            submit="Send anyway",
        )
        return ctx.page("Already planned", join([warn, again]), status=409)
    return _done(result.broadcast.id, "created")


def _done(broadcast_id: int, what: str) -> web.Response:
    return web.Response(
        status=303, headers={"Location": url(f"/broadcasts/{broadcast_id}?done={what}")}
    )


def _due(form: MultiDictProxy) -> datetime | None:
    try:
        return datetime.fromisoformat(str(form.get("due", "")))
    except ValueError:
        return None


CHANGED = (
    "It could not be changed: it was sent, cancelled or moved since you looked. "
    "Here it is as it stands."
)


async def _refused(ctx: Ctx, broadcast_id: int, why: str, status: int = 409) -> web.Response:
    b = await ctx.services.broadcasts.get(broadcast_id)
    if b is None:
        raise web.HTTPNotFound()
    body = join([message(why, "error"), await bp.detail(ctx, b)])
    return ctx.page(bp.title(ctx.services.content, b), body, status=status)


async def edit(ctx: Ctx) -> web.StreamResponse:
    b = await bp.broadcast_of(ctx)
    form = await ctx.request.post()
    raw = str(form.get("text", "")).strip().replace("\r\n", "\n")
    due = _due(form)
    if not raw or len(raw) > MAX_MESSAGE:
        return await _refused(
            ctx, b.id, f"Write the message (at most {MAX_MESSAGE:,} characters).", 400
        )
    if due is None or not await desk.edit_text(
        ctx.services.db, b, e(raw), ctx.officer.user_id, ctx.now(), due
    ):
        return await _refused(ctx, b.id, CHANGED)
    return _done(b.id, "edited")


async def translate(ctx: Ctx) -> web.StreamResponse:
    """One translation of a scheduled broadcast changed or added, the English kept."""
    return await _translation(ctx, remove=False)


async def ask_remove_translation(ctx: Ctx) -> web.StreamResponse:
    """Removing a translation asks first, as cancelling does."""
    b = await bp.broadcast_of(ctx)
    form = await ctx.request.post()
    language = str(form.get("language", ""))
    name = {x.code: x.english_name for x in bf.other_languages(ctx)}.get(language)
    if name is None:
        return await _refused(ctx, b.id, "Residents are not offered that language.", 400)
    hidden = void("input", type="hidden", name="language", value=language)
    return await _ask(
        ctx,
        "translation/remove",
        f"Remove the {name} text of broadcast #{{id}}? Residents who chose {name} will get the "
        "English.",
        f"Confirm: remove the {name} text",
        hidden,
    )


async def remove_translation(ctx: Ctx) -> web.StreamResponse:
    return await _translation(ctx, remove=True)


async def _translation(ctx: Ctx, remove: bool) -> web.StreamResponse:
    b = await bp.broadcast_of(ctx)
    form = await ctx.request.post()
    names = {x.code: x.english_name for x in bf.other_languages(ctx)}
    language = str(form.get("language", ""))
    if language not in names:
        return await _refused(ctx, b.id, "Residents are not offered that language.", 400)
    raw = str(form.get("text", "")).strip().replace("\r\n", "\n")
    if not remove and (not raw or len(raw) > MAX_MESSAGE):
        why = (
            f"Write the {names[language]} message (at most {MAX_MESSAGE:,} characters), "
            "or remove it."
        )
        return await _refused(ctx, b.id, why, 400)
    due = _due(form)
    text = None if remove else e(raw)
    if due is None or not await desk.edit_translation(
        ctx.services.db, b, language, text, ctx.officer.user_id, ctx.now(), due
    ):
        return await _refused(ctx, b.id, CHANGED)
    return _done(b.id, "untranslated" if remove else "translated")


async def retime(ctx: Ctx) -> web.StreamResponse:
    b = await bp.broadcast_of(ctx)
    form = await ctx.request.post()
    at = bf.parse_at(ctx, form)
    if isinstance(at, str):
        return await _refused(ctx, b.id, at, 400)
    due = _due(form)  # the time the officer saw: without it, nothing is moved
    moved = due and await ctx.services.broadcasting.retime(b.id, at, ctx.officer.user_id, due)
    if not moved:
        return await _refused(ctx, b.id, CHANGED)
    return _done(b.id, "moved")


async def _ask(
    ctx: Ctx, action: str, question: str, label: str, extra: Html | None = None
) -> web.Response:
    b = await bp.broadcast_of(ctx)
    form = await ctx.request.post()
    due = _due(form)
    if due is None or due != b.due_at:
        return await _refused(ctx, b.id, CHANGED)
    s = ctx.services
    count = await audience_text(s, b)
    body = join(
        [
            tag(
                "p", question.format(id=b.id, to=audience_words(s.content, b.audience), count=count)
            ),
            bp.resident_view(b.text),
            ctx.form(
                f"/broadcasts/{b.id}/{action}/confirm",
                bp.due_field(b),
                extra or Html(""),
                submit=label,
                button="danger" if action in ("cancel", "translation/remove") else None,
            ),
            tag("p", "Nothing happens until you confirm.", class_="hint"),
        ]
    )
    return ctx.page("Confirm", body)


async def ask_send(ctx: Ctx) -> web.StreamResponse:
    urgent = tag(
        "div",
        void("input", type="checkbox", name="urgent", value="1", id="c-urgent"),
        tag("label", "Urgent: during quiet hours too", for_="c-urgent"),
        class_="check",
    )
    return await _ask(
        ctx,
        "send",
        "Send broadcast #{id} now, to {to} ({count} residents)?",
        "Confirm: send it now",
        urgent,
    )


async def ask_cancel(ctx: Ctx) -> web.StreamResponse:
    return await _ask(
        ctx, "cancel", "Cancel broadcast #{id} to {to}? Nobody will get it.", "Confirm: cancel it"
    )


async def send_now(ctx: Ctx) -> web.StreamResponse:
    b = await bp.broadcast_of(ctx)
    form = await ctx.request.post()
    due = _due(form)
    urgent = form.get("urgent") == "1"
    sent = due and await ctx.services.broadcasting.send_now(
        b.id, ctx.officer.user_id, due, urgent=urgent
    )
    return _done(b.id, "sent") if sent else await _refused(ctx, b.id, CHANGED)


async def cancel(ctx: Ctx) -> web.StreamResponse:
    b = await bp.broadcast_of(ctx)
    form = await ctx.request.post()
    due = _due(form)
    done = due is not None and await ctx.services.broadcasting.cancel(
        b.id, ctx.officer.user_id, "from the console", expected_due=due
    )
    return _done(b.id, "cancelled") if done else await _refused(ctx, b.id, CHANGED)


ID = r"/broadcasts/{id:\d+}"
PAGE = Page(
    title="New broadcast",
    path="/broadcasts/new",
    nav=False,
    routes=(
        Route("GET", "/broadcasts/new", new_page),
        Route("POST", "/broadcasts/preview", preview),
        Route("POST", "/broadcasts/create", create),
        Route("POST", f"{ID}/edit", edit),
        Route("POST", f"{ID}/translation", translate),
        Route("POST", f"{ID}/translation/remove", ask_remove_translation),
        Route("POST", f"{ID}/translation/remove/confirm", remove_translation),
        Route("POST", f"{ID}/retime", retime),
        Route("POST", f"{ID}/send", ask_send),
        Route("POST", f"{ID}/cancel", ask_cancel),
        Route("POST", f"{ID}/send/confirm", send_now),
        Route("POST", f"{ID}/cancel/confirm", cancel),
    ),
)

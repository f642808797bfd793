"""People (admins): the officers with their roles, where each comes from (the config, or an
invitation), invitations (a one-time link the new officer opens in Telegram), role changes and
removing access. Officers are referred to by an opaque reference, never their Telegram id."""

from __future__ import annotations

import hashlib
import hmac
import re

from aiohttp import web

from bot.console.figures import day_text
from bot.console.framework import Ctx, Page, Route, url
from bot.console.html import (
    Column,
    Html,
    field,
    join,
    message,
    select,
    table,
    tag,
    text_input,
    void,
)
from bot.services import access
from bot.services.access import Role

ROLE_CHOICES = (("officer", "Officer"), ("admin", "Admin"))
MAX_NAME = 40  # as the config's officer names


def ref_of(ctx: Ctx, user_id: int) -> str:
    """An officer's reference in this session's pages: a keyed hash, not their Telegram id."""
    key = ctx.officer.csrf.encode()
    return hmac.new(key, str(user_id).encode(), hashlib.sha256).hexdigest()[:20]


def user_of(ctx: Ctx, ref: str) -> int | None:
    """The officer a reference names (any officer the console knows of), or None."""
    known = set(ctx.services.roster.roles) | set(ctx.services.roster.invited)
    return next((u for u in known if hmac.compare_digest(ref_of(ctx, u), ref)), None)


def _actions(ctx: Ctx, user_id: int, role: str) -> Html:
    if user_id == ctx.officer.user_id:
        return Html("(you)")
    ref = ref_of(ctx, user_id)
    name = ctx.officer_name(user_id)
    role_form = ctx.form(
        f"/people/{ref}/role",
        tag("label", f"Role of {name}", for_=f"role-{ref}", class_="visually-hidden"),
        select("role", ROLE_CHOICES, role, id_=f"role-{ref}"),
        submit="Change role",
        button="secondary",
        class_="inline",
    )
    remove_form = ctx.form(
        f"/people/{ref}/remove",
        submit="Remove access",
        button="danger",
        class_="inline",
        aria_label=f"Remove {name}'s access",
        data_confirm=f"Remove {name}'s access? Their sessions end at once.",
    )
    return role_form + remove_form


def officers_table(ctx: Ctx) -> Html:
    s = ctx.services
    rows: list[tuple[str, str, str, object]] = []
    for o in s.config.settings.officers:
        rows.append((ctx.officer_name(o.id), o.role, "the config file", "change it in the config"))
    for i in access.invited_list(s.roster):
        if s.roster.in_config(i.user_id):
            continue
        since = f"invited, joined {day_text(i.added_at, s.config.tz)}"
        rows.append((ctx.officer_name(i.user_id), i.role, since, _actions(ctx, i.user_id, i.role)))
    cols = [Column("Name"), Column("Role"), Column("Access from"), Column("Change")]
    return table("Officers and their roles", cols, rows)


def invite_form(ctx: Ctx) -> Html:
    return ctx.form(
        "/people/invite",
        field(
            "Name",
            text_input(
                "name",
                id_="i-name",
                maxlength=MAX_NAME,
                required=True,
                aria_describedby="i-name-hint",
            ),  # fmt: skip
            "How other officers will see them, e.g. “Sam (Safer Neighbourhood Team)”.",
            id_="i-name",
        ),
        field("Role", select("role", ROLE_CHOICES, "officer", id_="i-role"), id_="i-role"),
        submit="Make an invitation link",
    )


async def people(ctx: Ctx, notice: Html | None = None, status: int = 200) -> web.StreamResponse:
    body = join([
        notice or Html(""),
        tag("section", tag("h2", "Officers", id="officers"), officers_table(ctx),
            aria_labelledby="officers"),
        tag("section", tag("h2", "Invite an officer", id="invite"),
            tag("p", "You get a link to send them; they open it in Telegram, and from then on "
                     "they have the role you chose. It works once, within 3 days."),
            invite_form(ctx), aria_labelledby="invite"),
    ])  # fmt: skip
    return ctx.page("People", body, status)


async def people_page(ctx: Ctx) -> web.StreamResponse:
    return await people(ctx)


async def invite(ctx: Ctx) -> web.StreamResponse:
    form = await ctx.request.post()
    name = " ".join(str(form.get("name", "")).split())[:MAX_NAME]
    role = str(form.get("role", ""))
    if not name or role not in access.ROLES or not re.search(r"\w", name):
        return await people(ctx, message("Give a name and a role.", "error"), 400)
    token = await access.invite(ctx.services.console, ctx.officer, _role(role), name, ctx.now())
    bot = ctx.console.bot_username()
    if token is None or bot is None:
        return await people(ctx, message("The invitation could not be made.", "error"), 500)
    link = f"https://t.me/{bot}?start={access.INVITE_PREFIX}{token}"
    shown = tag(
        "div",
        tag("label", f"Invitation link for {name}", for_="invite-link"),
        tag("div", void("input", type="text", id="invite-link", value=link, readonly=True),
            tag("button", "Copy", type="button", data_copy="invite-link", class_="secondary"),
            class_="onetime"),
        tag("p", "Send it to them yourself (not in a group). It is shown only now.",
            class_="hint"),
        class_="notice ok",
        role="status",
    )  # fmt: skip
    return await people(ctx, shown)


def _role(value: str) -> Role:
    return "admin" if value == "admin" else "officer"


async def change_role(ctx: Ctx) -> web.StreamResponse:
    form = await ctx.request.post()
    user = user_of(ctx, ctx.request.match_info["ref"])
    role = str(form.get("role", ""))
    s = ctx.services
    ok = (
        user is not None
        and role in access.ROLES
        and await access.set_role(s.console, s.roster, ctx.officer, user, _role(role), ctx.now())
    )
    if not ok:
        return await people(ctx, message("That role could not be changed.", "error"), 400)
    return web.Response(status=303, headers={"Location": url("/people")})


async def remove(ctx: Ctx) -> web.StreamResponse:
    user = user_of(ctx, ctx.request.match_info["ref"])
    s = ctx.services
    ok = user is not None and await access.remove(s.console, s.roster, ctx.officer, user, ctx.now())
    if not ok:
        return await people(ctx, message("That officer could not be removed.", "error"), 400)
    return web.Response(status=303, headers={"Location": url("/people")})


PAGE = Page(
    title="People",
    path="/people",
    role="admin",
    routes=(
        Route("GET", "/people", people_page, role="admin"),
        Route("POST", "/people/invite", invite, role="admin"),
        Route("POST", "/people/{ref}/role", change_role, role="admin"),
        Route("POST", "/people/{ref}/remove", remove, role="admin"),
    ),
)

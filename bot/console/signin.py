"""Signing in and out: the one-time link /console sends (GET shows a button, POST uses it, so a
link preview or a prefetch cannot use it up), the session cookie, and signing out."""

from __future__ import annotations

from aiohttp import web

from bot.console.framework import (
    COOKIE,
    PREFIX,
    Console,
    Ctx,
    Page,
    Route,
    html_response,
    layout,
    plain_page,
    redirect,
    url,
)
from bot.console.html import Html, attrs, tag
from bot.services import access
from storage.console import ConsoleAction

REFUSED = (
    "This sign-in link cannot be used: it has been used already, it is more than 10 minutes "
    "old, or it is not for an officer. Send /console to the bot in Telegram for a new one."
)
TOO_MANY = "Too many sign-in attempts from here. Wait a minute and try again."


def _client(request: web.Request) -> str:
    return request.remote or "unknown"


async def signin_form(console: Console, request: web.Request) -> web.StreamResponse:
    """GET /console/signin/{token}: a button to sign in (nothing is used up yet)."""
    if not console.limiter.allow(_client(request)):
        return plain_page(console, "Sign in", TOO_MANY, 429)
    token = request.match_info["token"]
    s = console.services
    if not await access.signin_usable(s.console, s.roster, token, console.now()):
        await s.console.audit(
            None, ConsoleAction.SIGN_IN_REFUSED, console.now(), detail="link not usable"
        )
        return plain_page(console, "Sign in", REFUSED, 403)
    form = tag(
        "form",
        Html(f"<input{attrs(type='hidden', name='token', value=token)}>"),
        tag("button", "Sign in to the console", type="submit"),
        action=url("/signin"),
        method="post",
    )
    body = tag("p", "This link signs you in once, in this browser.") + form
    return html_response(layout(console, "Sign in", Html(body)))


async def signin(console: Console, request: web.Request) -> web.StreamResponse:
    """POST /console/signin: use the link, start the session, go to the home page."""
    if not console.limiter.allow(_client(request)):
        return plain_page(console, "Sign in", TOO_MANY, 429)
    form = await request.post()
    s = console.services
    started = await access.sign_in(s.console, s.roster, str(form.get("token", "")), console.now())
    if started is None:
        return plain_page(console, "Sign in", REFUSED, 403)
    resp = redirect("/")
    resp.set_cookie(
        COOKIE,
        started.token,
        path=PREFIX,
        httponly=True,
        secure=console.secure,
        samesite="Strict",
    )
    return resp


async def signout(ctx: Ctx) -> web.StreamResponse:
    """POST /console/signout: end this session."""
    await access.sign_out(ctx.services.console, ctx.officer, ctx.now())
    resp = plain_page(ctx.console, "Signed out", "You are signed out.", 200)
    resp.del_cookie(COOKIE, path=PREFIX)
    return resp


PAGE = Page(
    title="Sign out",
    path="/signout",
    routes=(Route("POST", "/signout", signout),),
    nav=False,
)

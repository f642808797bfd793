"""The console's request pipeline and the page contract.

A page module declares one `Page`: its title and path for the navigation, who may see it, and its
`Route`s. Every route's handler gets a `Ctx` (the signed-in officer, the services, the form
token) and returns an aiohttp response: `ctx.page(title, body)` for a page (the body is `Html`,
wrapped in the layout), or any other (a CSV, a redirect). The pipeline around it, for every route:

- the Host header must be one the console is served as (DNS rebinding), else 421;
- a session cookie must name a live session whose officer still has access (else the sign-in
  explanation, 401), and the officer's role must reach the route's (else 403);
- a POST must carry the session's form token (`csrf` field), compared in constant time, else
  403; forms made with `ctx.form(...)` carry it;
- every answer gets the security headers below (strict CSP: nothing inline, nothing from
  elsewhere; no framing; no referrer) and pages `Cache-Control: no-store`.

What an officer does is audited with `ctx.audit(...)` (storage/console.py's trail).
"""

from __future__ import annotations

import hmac
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import urlsplit

from aiohttp import web

from bot.console.html import Html, attrs, esc, join, link, tag
from bot.context import Services
from bot.services import access
from storage.console import ConsoleAction

PREFIX = "/console"
COOKIE = "safermk_console"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})

Role = Literal["officer", "admin"]
Handler = Callable[["Ctx"], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Route:
    method: Literal["GET", "POST"]
    path: str  # under /console, an aiohttp pattern: "/surveys/{survey}"
    handler: Handler
    role: Role = "officer"


@dataclass(frozen=True)
class Page:
    title: str  # the navigation's label
    path: str  # the navigation's link, under /console ("/" is the home page)
    routes: tuple[Route, ...]
    role: Role = "officer"  # who sees it in the navigation
    nav: bool = True


@dataclass
class RateLimit:
    """At most `per_minute` events per key in any minute (sign-in attempts per address)."""

    per_minute: int
    now: Callable[[], float] = time.monotonic
    _seen: dict[str, deque[float]] = field(default_factory=dict)

    def allow(self, key: str) -> bool:
        t = self.now()
        q = self._seen.setdefault(key, deque())
        while q and t - q[0] >= 60.0:
            q.popleft()
        if len(q) >= self.per_minute:
            return False
        q.append(t)
        if len(self._seen) > 10_000:  # forget quiet addresses rather than grow without end
            self._seen = {k: v for k, v in self._seen.items() if v and t - v[-1] < 60.0}
        return True


@dataclass
class Console:
    """What every request of one console server shares."""

    services: Services
    pages: tuple[Page, ...]
    base_url: Callable[[], str]  # the origin officers open (public_url, or host:port)
    bot_username: Callable[[], str | None]
    limiter: RateLimit

    @property
    def idle(self) -> timedelta:
        return timedelta(minutes=self.services.config.settings.console.session_idle_minutes)

    @property
    def secure(self) -> bool:
        """Cookies say Secure unless the console is plain http on this machine."""
        return self.base_url().startswith("https://")

    def hosts(self) -> set[str]:
        cfg = self.services.config.settings.console
        out = set(LOCAL_HOSTS) | {cfg.host}
        public = urlsplit(self.base_url())
        if public.hostname:
            out.add(public.hostname)
        return out

    def now(self) -> datetime:
        return self.services.clock.now()


@dataclass
class Ctx:
    """One request of a signed-in officer."""

    request: web.Request
    console: Console
    officer: access.SignedIn

    @property
    def services(self) -> Services:
        return self.console.services

    def now(self) -> datetime:
        return self.console.now()

    def query(self, name: str) -> str | None:
        value = self.request.query.get(name, "").strip()
        return value or None

    async def audit(
        self, action: ConsoleAction, detail: str | None = None, target: int | None = None
    ) -> None:
        await self.services.console.audit(
            self.officer.user_id, action, self.now(), target=target, detail=detail
        )

    def officer_name(self, user_id: int | None) -> str:
        return officer_name(self.services, user_id)

    def form(
        self,
        action: str,
        *body: object,
        submit: str,
        method: str = "post",
        button: str | None = None,
        **more: object,
    ) -> Html:
        """A form to `action` (under /console) with the session's form token (POST only);
        `button` is the submit button's class ("secondary", "danger")."""
        token = (
            Html(f"<input{attrs(type='hidden', name='csrf', value=self.officer.csrf)}>")
            if method == "post"
            else Html("")
        )
        press = tag("button", submit, type="submit", class_=button)
        return tag("form", token, join(body), press, action=url(action), method=method, **more)

    def page(self, title: str, body: object, status: int = 200) -> web.Response:
        return html_response(layout(self.console, title, body, self.officer), status)


def url(path: str) -> str:
    """A console path ("/surveys") as served ("/console/surveys")."""
    return PREFIX + (path if path != "/" else "/")


def redirect(path: str) -> web.Response:
    """See other: after a POST that changed something, back to a page (path under /console)."""
    return web.Response(status=303, headers={"Location": url(path)})


def officer_name(services: Services, user_id: int | None) -> str:
    """How the console names an officer: their name, else "officer #n" (the config's order) or
    "invited officer"; never the Telegram id."""
    if user_id is None:
        return "the bot"
    name = services.roster.name_of(user_id)
    if name:
        return name
    entry = services.config.officer_entry(user_id)
    if entry is not None:
        return f"officer #{entry[0]}"
    if user_id in services.roster.invited:
        return "invited officer"
    return "a former officer"


# ---------------------------------------------------------------------- pages


def html_response(body: str, status: int = 200) -> web.Response:
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


def _nav(console: Console, officer: access.SignedIn | None, current: str) -> Html:
    if officer is None:
        return Html("")
    items = []
    for p in console.pages:
        if not p.nav or (p.role == "admin" and not officer.admin):
            continue
        here = "page" if p.title == current else None
        items.append(tag("li", link(url(p.path), p.title, aria_current=here)))
    signout = tag(
        "form",
        Html(f"<input{attrs(type='hidden', name='csrf', value=officer.csrf)}>"),
        tag("button", "Sign out", type="submit", class_="linkish"),
        action=url("/signout"),
        method="post",
        class_="signout",
    )
    name = officer_name(console.services, officer.user_id)
    who = tag("p", f"Signed in as {name} ({officer.role})", class_="who")
    return tag("nav", tag("ul", join(items)), who, signout, aria_label="Console", class_="nav")


def layout(
    console: Console, title: str, body: object, officer: access.SignedIn | None = None
) -> Html:
    """The whole page: landmarks (header, nav, main), a skip link, one h1 (the title)."""
    head = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)} · SaferMK console</title>"
        f'<link rel="icon" href="{url("/static/icon.svg")}">'
        f'<link rel="stylesheet" href="{url("/static/console.css")}">'
        f'<script src="{url("/static/console.js")}" defer></script></head>'
    )
    banner = tag(
        "header",
        tag("p", link(url("/"), "SaferMK console", class_="brand")),
        _nav(console, officer, title),
        class_="top",
    )
    main = tag("main", tag("h1", title), body, id="main", tabindex="-1")
    skip = link("#main", "Skip to the content", class_="skip")
    return Html(f"{head}<body>{skip}{banner}{main}</body></html>")


def plain_page(console: Console, title: str, text: str, status: int) -> web.Response:
    """A page for someone not signed in (refusals, the sign-in explanation)."""
    return html_response(layout(console, title, tag("p", text)), status)


NOT_SIGNED_IN = (
    "You are not signed in, or your session has ended. To sign in, send /console to the bot "
    "in Telegram and open the link it gives you."
)


# ---------------------------------------------------------------------- the pipeline


async def signed_in(console: Console, request: web.Request) -> access.SignedIn | None:
    s = console.services
    cookie = request.cookies.get(COOKIE)
    return await access.current(s.console, s.roster, cookie, console.now(), console.idle)


def bind(console: Console, route: Route) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The aiohttp handler for a route: session, role, form token, then the page's handler."""

    async def handle(request: web.Request) -> web.StreamResponse:
        officer = await signed_in(console, request)
        if officer is None:
            return plain_page(console, "Sign in", NOT_SIGNED_IN, 401)
        if route.role == "admin" and not officer.admin:
            return plain_page(console, "Not allowed", "This page is for admins.", 403)
        if request.method == "POST":
            form = await request.post()
            if not hmac.compare_digest(str(form.get("csrf", "")), officer.csrf):
                return plain_page(
                    console, "Refused", "This form is out of date: go back and try again.", 403
                )
        return await route.handler(Ctx(request, console, officer))

    return handle


def _host_of(header: str) -> str:
    if header.startswith("["):
        return header.split("]")[0] + "]"
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def _same_origin(console: Console, request: web.Request) -> bool:
    """A POST comes from the console's own pages (a sign-in form on another site must not sign
    a browser in as someone else). Browsers say where a request comes from in Sec-Fetch-Site;
    an Origin, when a real one is sent, must be ours too. (With Referrer-Policy: no-referrer,
    Chromium sends "Origin: null" even for our own forms, so null alone decides nothing.)"""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return True
    if origin == "null":
        # Under our Referrer-Policy: no-referrer a browser sends "Origin: null" even for a
        # form on our own page; its Sec-Fetch-Site (which pages cannot set) says it was ours.
        return request.headers.get("Sec-Fetch-Site") == "same-origin"
    host = urlsplit(origin).hostname
    return host is not None and host in console.hosts()


def guard(console: Console) -> Callable[..., Awaitable[web.StreamResponse]]:
    """Middleware: the Host check, then the security headers on whatever is answered."""

    @web.middleware
    async def middleware(request: web.Request, handler: Callable) -> web.StreamResponse:
        if _host_of(request.host) not in console.hosts():
            return web.Response(text="unknown host\n", status=421)
        if request.method == "POST" and not _same_origin(console, request):
            return plain_page(console, "Refused", "This form was sent from another site.", 403)
        try:
            resp: web.StreamResponse = await handler(request)
        except web.HTTPException as exc:
            if exc.status == 404:
                resp = plain_page(console, "Not found", "There is no such page.", 404)
            else:
                raise
        if not resp.prepared:
            for key, value in SECURITY_HEADERS.items():
                resp.headers.setdefault(key, value)
            if not request.path.startswith(url("/static/")):
                resp.headers.setdefault("Cache-Control", "no-store")
        return resp

    return middleware


def routes_of(pages: tuple[Page, ...]) -> Mapping[tuple[str, str], Route]:
    """Every route of every page; two pages claiming the same one is a mistake."""
    out: dict[tuple[str, str], Route] = {}
    for p in pages:
        for r in p.routes:
            key = (r.method, r.path)
            if key in out:
                raise ValueError(f"two console routes for {r.method} {r.path}")
            out[key] = r
    return out

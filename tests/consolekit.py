"""Driving the officers' console in tests: a harness with the console on (127.0.0.1, any free
port), a browser-like HTTP client keeping its cookies, and signing in the way an officer does
(send /console in the chat, open the link, press the button)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import aiohttp

from bot.console.server import ConsoleServer
from bot.content import Content
from tests.conftest import Harness, make_harness

CONSOLE = "console: {enabled: true, port: 0%s}"
LINK = re.compile(r"(http://127\.0\.0\.1:\d+/console/signin/[A-Za-z0-9_-]+)")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


async def console_harness(
    tmp_path: Path, content: Content, extra: str = "", *, extra_console: str = ""
) -> Harness:
    """A harness with the console on; `extra_console`: more keys of its section ("port: 0"
    is replaced by a given port)."""
    keys = f", {extra_console}" if extra_console else ""
    section = CONSOLE % keys
    if "port:" in extra_console:
        section = section.replace("port: 0, ", "")
    return await make_harness(tmp_path, content, config_extra=f"{section}\n{extra}")


def base(h: Harness) -> str:
    """Where the test reaches the console: its port on this machine (not public_url)."""
    server = h.services.console_server
    assert isinstance(server, ConsoleServer)
    return f"http://127.0.0.1:{server.port}"


def client() -> aiohttp.ClientSession:
    """A browser: it keeps cookies (also those of 127.0.0.1) and does not follow redirects."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def signin_link(h: Harness, user_id: int) -> str:
    """Send /console as `user_id`; the link the bot answers with."""
    await h.send(user_id, "/console")
    found = LINK.search(h.last_text(user_id))
    assert found, f"no sign-in link in: {h.last_text(user_id)!r}"
    return found.group(1)


async def open_link(http: aiohttp.ClientSession, link: str) -> tuple[int, str]:
    """GET the link (the page with the button), then POST it as the button does."""
    async with http.get(link) as resp:
        page = await resp.text()
        if resp.status != 200:
            return resp.status, page
    token = link.rsplit("/", 1)[1]
    origin = link.split("/console/")[0]
    async with http.post(
        f"{origin}/console/signin", data={"token": token}, allow_redirects=False
    ) as resp:
        return resp.status, await resp.text()


async def sign_in(h: Harness, http: aiohttp.ClientSession, user_id: int) -> None:
    status, page = await open_link(http, await signin_link(h, user_id))
    assert status == 303, page


async def get(http: aiohttp.ClientSession, h: Harness, path: str) -> tuple[int, str]:
    async with http.get(base(h) + path, allow_redirects=False) as resp:
        return resp.status, await resp.text()


async def post(
    http: aiohttp.ClientSession,
    h: Harness,
    path: str,
    data: dict[str, Any],
    page: str | None = None,
) -> tuple[int, str]:
    """POST a form; with `page`, the form token is taken from it as a browser would send it."""
    if page is not None:
        data = {"csrf": CSRF.search(page).group(1), **data}  # type: ignore[union-attr]
    async with http.post(base(h) + path, data=data, allow_redirects=False) as resp:
        return resp.status, await resp.text()

"""The officers' console through the real Application and real HTTP: sign-in by a one-time link
from /console, sessions, refusals, the form token, the security headers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.content import Content
from bot.services.safeguarding import iso_week
from tests import consolekit as ck
from tests.conftest import ADMIN_ID, OFFICER_ID, close_harness

RESIDENT = 424242


def small_numbers(page: str, k: int = 5) -> list[str]:
    """Figures from 1 to k-1 shown as counts: in number cells, figures and chart labels."""
    cells = re.findall(r'<td class="num(?: part)?">([^<]*)</td>', page)
    cells += re.findall(r"<dd>([^<]*)</dd>", page)
    cells += re.findall(r'<text [^>]*class="value"[^>]*>([^<]*)</text>', page)
    return [c for c in cells if re.match(rf"^[1-{k - 1}](\D|$)", c)]


@pytest.fixture
async def h(tmp_path: Path, content: Content):
    harness = await ck.console_harness(tmp_path, content)
    yield harness
    await close_harness(harness)


async def test_console_link_signs_in_once_and_shows_home(h):
    link = await ck.signin_link(h, OFFICER_ID)
    async with ck.client() as http:
        async with http.get(link) as resp:  # what a link preview would fetch: uses nothing
            assert resp.status == 200
            assert "Sign in to the console" in await resp.text()
        status, _ = await ck.open_link(http, link)
        assert status == 303
        status, page = await ck.get(http, h, "/console/")
        assert status == 200
        assert "<h1>Home</h1>" in page and "Signed in as officer #1 (officer)" in page
        async with http.get(ck.base(h) + "/console/") as resp:
            assert "default-src 'self'" in resp.headers["Content-Security-Policy"]
            assert resp.headers["X-Frame-Options"] == "DENY"
            assert resp.headers["Referrer-Policy"] == "no-referrer"
            cookie = resp.cookies  # noqa: F841
    async with ck.client() as other:
        status, page = await ck.open_link(other, link)  # the same link again
        assert status == 403 and "cannot be used" in page
    rows = await h.rows("SELECT actor_id, action FROM console_audit ORDER BY id")
    assert {"actor_id": OFFICER_ID, "action": "sign_in"} in rows
    assert {"actor_id": None, "action": "sign_in_refused"} in rows


async def test_cookie_is_httponly_strict_and_not_secure_on_localhost(h):
    link = await ck.signin_link(h, OFFICER_ID)
    async with ck.client() as http:
        async with http.get(link):
            pass
        token = link.rsplit("/", 1)[1]
        async with http.post(
            ck.base(h) + "/console/signin", data={"token": token}, allow_redirects=False
        ) as resp:
            header = resp.headers["Set-Cookie"]
    assert "HttpOnly" in header and "SameSite=Strict" in header and "Path=/console" in header
    assert "Secure" not in header


async def test_expired_link_refused(h):
    link = await ck.signin_link(h, OFFICER_ID)
    h.clock.advance(minutes=10, seconds=1)
    async with ck.client() as http:
        status, page = await ck.open_link(http, link)
    assert status == 403 and "more than 10 minutes" in page


async def test_resident_gets_no_link(h):
    await h.send(RESIDENT, "/console")
    assert "/console/signin/" not in h.last_text(RESIDENT)
    assert await h.rows("SELECT * FROM console_links") == []


async def test_not_signed_in_and_forged_post_refused(h):
    async with ck.client() as http:
        status, page = await ck.get(http, h, "/console/")
        assert status == 401 and "send /console" in page
        await ck.sign_in(h, http, ADMIN_ID)
        status, page = await ck.post(http, h, "/console/signout", {})  # no form token
        assert status == 403
        status, page = await ck.post(http, h, "/console/signout", {"csrf": "guess"})
        assert status == 403
        status, _ = await ck.get(http, h, "/console/")
        assert status == 200  # still signed in: the forged posts did nothing
        status, page = await ck.get(http, h, "/console/")
        status, _ = await ck.post(http, h, "/console/signout", {}, page)
        assert status == 200
        status, _ = await ck.get(http, h, "/console/")
        assert status == 401


async def test_session_ends_when_idle(h):
    async with ck.client() as http:
        await ck.sign_in(h, http, OFFICER_ID)
        h.clock.advance(minutes=29)
        assert (await ck.get(http, h, "/console/"))[0] == 200
        h.clock.advance(minutes=31)
        assert (await ck.get(http, h, "/console/"))[0] == 401


async def test_unknown_host_refused(h):
    async with ck.client() as http:
        async with http.get(ck.base(h) + "/console/", headers={"Host": "evil.example"}) as resp:
            assert resp.status == 421


async def seed_counts(h) -> None:
    """Small and large counts everywhere: 3 residents, safeguarding help 3 and 7 times this
    week, 3 survey responses."""
    from tests.test_results import CS, safety_answers

    for chat in (5001, 5002, 5003):
        await h.settle_in(chat)
    week = iso_week(h.clock.now().date())
    for n, category in ((3, "crime_asb"), (7, "fraud_scam")):
        for _ in range(n):
            await h.services.safety_counts.add(week, [category])
    answers = safety_answers(4, 2, ("asb",), "yes")
    await h.services.surveys.insert_completed(CS, [("fishermead", "2026-11-13", answers)] * 3)


async def test_safeguarding_page_shows_counts_only_small_ones_hidden(h):
    await seed_counts(h)
    async with ck.client() as http:
        await ck.sign_in(h, http, OFFICER_ID)
        status, page = await ck.get(http, h, "/console/safeguarding")
        assert status == 200
        assert re.search(r'<td class="num">7</td>', page)
        assert "&lt;5" in page and small_numbers(page) == []
        status, page = await ck.get(http, h, "/console/safeguarding?weeks=26")
        assert page.count('<th scope="col" class="num">') == 26


async def test_no_page_shows_a_count_from_1_to_k_minus_1(h):
    await seed_counts(h)
    pages = ["/console/", "/console/surveys", "/console/surveys/community-safety",
             "/console/safeguarding", "/console/people", "/console/audit"]  # fmt: skip
    async with ck.client() as http:
        await ck.sign_in(h, http, ADMIN_ID)
        for path in pages:
            status, page = await ck.get(http, h, path)
            assert status == 200, path
            assert small_numbers(page) == [], path
            assert "5001" not in page and str(ADMIN_ID) not in page, path  # no chat ids


async def test_sign_in_attempts_are_rate_limited(tmp_path, content):
    h = await ck.console_harness(tmp_path, content, extra_console="signin_per_minute: 2")
    try:
        link = await ck.signin_link(h, OFFICER_ID)
        async with ck.client() as http:
            for _ in range(2):
                async with http.get(link) as resp:
                    assert resp.status == 200
            async with http.get(link) as resp:
                assert resp.status == 429 and "Too many sign-in attempts" in await resp.text()
            h.clock.advance(seconds=61)
            status, _ = await ck.open_link(http, link)  # a minute later: allowed again
            assert status == 303
    finally:
        await close_harness(h)


async def test_a_sign_in_posted_from_another_site_is_refused(h):
    link = await ck.signin_link(h, OFFICER_ID)
    token = link.rsplit("/", 1)[1]
    async with ck.client() as http:
        async with http.post(
            ck.base(h) + "/console/signin",
            data={"token": token},
            headers={"Origin": "https://evil.example"},
            allow_redirects=False,
        ) as resp:
            assert resp.status == 403
        async with http.post(
            ck.base(h) + "/console/signin",
            data={"token": token},
            headers={"Origin": "null", "Sec-Fetch-Site": "cross-site"},
            allow_redirects=False,
        ) as resp:
            assert resp.status == 403
        status, _ = await ck.open_link(http, link)  # the link was not used up by them
        assert status == 303


async def test_cookie_is_secure_behind_https(tmp_path, content):
    public = 'public_url: "https://console.example.org"'
    h = await ck.console_harness(tmp_path, content, extra_console=public)
    try:
        await h.send(OFFICER_ID, "/console")
        found = re.search(
            r"https://console\.example\.org/console/signin/([\w-]+)", h.last_text(OFFICER_ID)
        )
        assert found, h.last_text(OFFICER_ID)
        async with ck.client() as http:
            async with http.post(
                ck.base(h) + "/console/signin",
                data={"token": found.group(1)},
                headers={"Host": "console.example.org"},
                allow_redirects=False,
            ) as resp:
                assert resp.status == 303
                assert "Secure" in resp.headers["Set-Cookie"]
    finally:
        await close_harness(h)


async def test_a_port_in_use_stops_the_start_with_one_line(tmp_path, content):
    import socket

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        with pytest.raises(RuntimeError, match=rf"cannot listen on 127.0.0.1:{port} \(console"):
            await ck.console_harness(tmp_path, content, extra_console=f"port: {port}")
    finally:
        taken.close()


async def test_console_off_by_default_says_so(tmp_path, content):
    from tests.conftest import make_harness

    h = await make_harness(tmp_path, content)
    try:
        assert h.services.console_server is None
        await h.send(OFFICER_ID, "/console")
        assert "not switched on" in h.last_text(OFFICER_ID)
    finally:
        await close_harness(h)


@pytest.mark.parametrize(
    ("section", "problem"),
    [
        ("{enabled: true, host: 0.0.0.0}", "needs public_url"),
        ('{public_url: "http://console.example.org"}', "must be the https:// address"),
        ('{public_url: "https://example.org/console"}', "scheme://host[:port]"),
        ("{port: 70000}", "console.port"),
        ("{session_idle_minutes: 0}", "console.session_idle_minutes"),
        ("{colour: blue}", "unknown key"),
    ],
)
def test_bad_console_config_is_one_clear_line(tmp_path, section, problem):
    from bot.plumbing.config import ConfigError, load_config
    from tests.conftest import write_config

    with pytest.raises(ConfigError) as err:
        load_config(write_config(tmp_path, f"console: {section}"), env={})
    line = str(err.value)
    assert "\n" not in line and "config.yaml" in line and problem in line

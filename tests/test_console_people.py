"""People and audit in the console, through real HTTP and the real Application: an admin
invites an officer, who joins by opening the link in Telegram, signs in, and is removed;
officers cannot reach the admins' pages; the config's officers cannot be changed there."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.content import Content
from tests import consolekit as ck
from tests.conftest import ADMIN_ID, OFFICER_ID, close_harness

NEW = 700001
INVITE = re.compile(r"https://t\.me/SaferMKBot\?start=(invite-[A-Za-z0-9_-]+)")
REMOVE = re.compile(r'action="(/console/people/[0-9a-f]+/remove)"')


@pytest.fixture
async def h(tmp_path: Path, content: Content):
    harness = await ck.console_harness(tmp_path, content)
    yield harness
    await close_harness(harness)


async def invite(h, http, name: str = "Sam (Safer Neighbourhood Team)") -> str:
    status, page = await ck.get(http, h, "/console/people")
    assert status == 200
    status, page = await ck.post(
        http, h, "/console/people/invite", {"name": name, "role": "officer"}, page
    )
    assert status == 200, page
    found = INVITE.search(page)
    assert found, page
    return found.group(1)


async def test_invite_an_officer_then_remove_them(h):
    async with ck.client() as admin:
        await ck.sign_in(h, admin, ADMIN_ID)
        payload = await invite(h, admin)
        await h.send(NEW, f"/start {payload}")  # the new officer opens the link in Telegram
        assert "you are now a SaferMK officer" in h.last_text(NEW)
        assert h.services.roster.role_of(NEW) == "officer"
        async with ck.client() as new:
            await ck.sign_in(h, new, NEW)
            status, page = await ck.get(http := new, h, "/console/")
            assert "Signed in as Sam (Safer Neighbourhood Team) (officer)" in page
            status, page = await ck.get(admin, h, "/console/people")
            assert "Sam (Safer Neighbourhood Team)" in page
            assert str(NEW) not in page and str(OFFICER_ID) not in page  # never a Telegram id
            action = REMOVE.search(page)
            assert action, page
            status, _ = await ck.post(admin, h, action.group(1), {}, page)
            assert status == 303
            assert (await ck.get(http, h, "/console/"))[0] == 401  # their session ended
        assert h.services.roster.role_of(NEW) is None
        await h.send(NEW, "/console")  # now refused like any resident
        assert "/console/signin/" not in h.last_text(NEW)
        await h.send(NEW, f"/start {payload}")  # the invitation was used up
        assert "can't be used" in h.last_text(NEW)
        status, page = await ck.get(admin, h, "/console/audit")
        assert "made an invitation" in page and "removed access: Sam" in page
    rows = await h.rows("SELECT actor_id, action, target_id FROM console_audit ORDER BY id")
    actions = [(r["actor_id"], r["action"]) for r in rows]
    assert (ADMIN_ID, "invite") in actions and (NEW, "joined") in actions
    assert (NEW, "sign_in") in actions and (ADMIN_ID, "remove") in actions


async def test_officers_cannot_reach_admin_pages_or_invite(h):
    async with ck.client() as http:
        await ck.sign_in(h, http, OFFICER_ID)
        status, page = await ck.get(http, h, "/console/")
        assert "/console/people" not in page and "/console/audit" not in page
        assert (await ck.get(http, h, "/console/people"))[0] == 403
        assert (await ck.get(http, h, "/console/audit"))[0] == 403
        status, _ = await ck.post(
            http, h, "/console/people/invite", {"name": "X", "role": "admin"}, page
        )
        assert status == 403
    assert await h.rows("SELECT * FROM console_links WHERE kind = 'invite'") == []


async def test_config_officers_are_shown_as_such_and_cannot_be_removed(h):
    async with ck.client() as http:
        await ck.sign_in(h, http, ADMIN_ID)
        status, page = await ck.get(http, h, "/console/people")
    assert page.count("the config file") == 2
    assert REMOVE.search(page) is None


async def test_invited_admin_can_be_made_officer(h):
    async with ck.client() as admin:
        await ck.sign_in(h, admin, ADMIN_ID)
        payload = await invite(h, admin, "Priya")
        await h.send(NEW, f"/start {payload}")
        status, page = await ck.get(admin, h, "/console/people")
        action = re.search(r'action="(/console/people/[0-9a-f]+/role)"', page)
        assert action
        status, _ = await ck.post(admin, h, action.group(1), {"role": "admin"}, page)
        assert status == 303
    assert h.services.roster.role_of(NEW) == "admin"

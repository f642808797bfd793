"""An officer removed from the config loses the officer command menu at the next start."""

from __future__ import annotations

import json
from pathlib import Path

from bot.app import build_application, make_services, shutdown, startup
from bot.content import Content
from bot.plumbing.config import load_config
from tests.conftest import (
    ADMIN_ID,
    OFFICER_ID,
    ROOT,
    TEST_SECRET,
    TEST_TOKEN,
    close_harness,
    make_harness,
)
from tests.fakes.botapi import Failure, FakeBotApi, FakeRequest


def menu_record(tmp_path: Path) -> set[int]:
    data = json.loads((tmp_path / "officer-menus.json").read_text(encoding="utf-8"))
    return set(data["officer_menus"])


async def start_with_officers(
    tmp_path: Path, content: Content, officers: list[int], api: FakeBotApi
) -> None:
    """Start (and stop) the real Application on the same database with these officers."""
    config = tmp_path / "later.yaml"
    listed = "".join(f"  - {{id: {i}, role: officer}}\n" for i in officers)
    config.write_text(
        f'telegram:\n  token: "{TEST_TOKEN}"\n  api_url: "http://127.0.0.1:9"\n'
        f'storage:\n  path: "{tmp_path / "bot.sqlite3"}"\n'
        f'content:\n  dir: "{ROOT / "content"}"\n'
        f'survey:\n  secret: "{TEST_SECRET}"\n'
        + (f"officers:\n{listed}" if officers else "officers: []\n"),
        encoding="utf-8",
    )
    services = make_services(load_config(config, env={}), content)
    app = build_application(services, request=FakeRequest(api), updates_request=FakeRequest(api))
    await app.initialize()
    await services.db.open()
    try:
        await startup(app)
    finally:
        await shutdown(app)
        await app.shutdown()


def deleted_scopes(api: FakeBotApi) -> list[dict]:
    return [c.params.get("scope") for c in api.sent("deleteMyCommands")]


async def test_removed_officer_loses_the_menu(tmp_path: Path, content: Content):
    h = await make_harness(tmp_path, content)
    await close_harness(h)
    assert menu_record(tmp_path) == {OFFICER_ID, ADMIN_ID}
    assert not h.api.sent("deleteMyCommands")

    api = FakeBotApi()
    await start_with_officers(tmp_path, content, [ADMIN_ID], api)
    assert deleted_scopes(api) == [{"type": "chat", "chat_id": OFFICER_ID}]
    officer_menus = [c.params["scope"]["chat_id"] for c in api.sent("setMyCommands")[1:]]
    assert officer_menus == [ADMIN_ID]
    assert menu_record(tmp_path) == {ADMIN_ID}

    again = FakeBotApi()
    await start_with_officers(tmp_path, content, [ADMIN_ID], again)
    assert not again.sent("deleteMyCommands"), "removed once, not at every start"


async def test_removal_retried_after_a_network_error(tmp_path: Path, content: Content):
    h = await make_harness(tmp_path, content)
    await close_harness(h)

    api = FakeBotApi()
    api.fail_next("deleteMyCommands", Failure(502, "Bad Gateway"))
    await start_with_officers(tmp_path, content, [], api)
    assert len(api.sent("deleteMyCommands")) == 2, "both former officers were tried"
    assert len(menu_record(tmp_path)) == 1, "the one that failed is kept for the next start"

    again = FakeBotApi()
    await start_with_officers(tmp_path, content, [], again)
    assert len(again.sent("deleteMyCommands")) == 1
    assert menu_record(tmp_path) == set()


async def test_unknown_chat_is_not_retried(tmp_path: Path, content: Content):
    (tmp_path / "officer-menus.json").write_text('{"officer_menus": [4242]}', encoding="utf-8")
    api = FakeBotApi()
    api.fail_next("deleteMyCommands", Failure(400, "Bad Request: chat not found"))
    await start_with_officers(tmp_path, content, [OFFICER_ID], api)
    assert deleted_scopes(api) == [{"type": "chat", "chat_id": 4242}]
    assert menu_record(tmp_path) == {OFFICER_ID}


async def test_damaged_record_does_not_stop_the_bot(tmp_path: Path, content: Content):
    (tmp_path / "officer-menus.json").write_text("{not json", encoding="utf-8")
    api = FakeBotApi()
    await start_with_officers(tmp_path, content, [OFFICER_ID], api)
    assert not api.sent("deleteMyCommands")
    assert menu_record(tmp_path) == {OFFICER_ID}

"""The preview's HTTP API on 127.0.0.1: the real bot behind it, the double's rules, live events,
files, blocking, the content watcher, and the `safermk-bot preview` command itself."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.preview.main import Preview
from bot.preview.people import DEFAULT_ADMIN, DEFAULT_OFFICER
from tests.conftest import ADMIN_ID, OFFICER_ID, ROOT
from tests.previewkit import RESIDENT_A, RESIDENT_B, RESIDENT_C, copy_content, start_preview


@pytest.fixture
async def preview(tmp_path: Path) -> AsyncIterator[Preview]:
    p = await start_preview(tmp_path, copy_content(tmp_path))
    yield p
    await p.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def post(
    http: aiohttp.ClientSession, p: Preview, path: str, body: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    async with http.post(p.url + path, json=body) as resp:
        return resp.status, await resp.json()


async def state(http: aiohttp.ClientSession, p: Preview) -> dict[str, Any]:
    async with http.get(p.url + "/api/state") as resp:
        assert resp.status == 200
        return await resp.json()


def bot_texts(p: Preview, chat: int) -> list[str]:
    return [
        m.get("text") or m.get("caption") or ""
        for m in p.api.log(chat).messages.values()
        if m["from"].get("is_bot")
    ]


async def until_bot_says(p: Preview, chat: int, fragment: str) -> dict[str, Any]:
    """Wait (event-driven) for a bot message containing `fragment`; return it."""

    def found() -> dict[str, Any] | None:
        for m in reversed(p.api.log(chat).messages.values()):
            if m["from"].get("is_bot") and fragment in (m.get("text") or m.get("caption") or ""):
                return m
        return None

    # A hang detector: a content edit may retrain the models (~9 s alone, more on a busy machine).
    await p.api.wait_for(lambda: found() is not None, timeout=60)
    message = found()
    assert message is not None
    return message


def button(message: dict[str, Any], label: str) -> str:
    for row in message["reply_markup"]["inline_keyboard"]:
        for b in row:
            if label in b["text"]:
                return b["callback_data"]
    raise AssertionError(f"no button {label!r} in {message['reply_markup']}")


async def test_state_lists_people_menus_deep_links_and_map(preview: Preview, http):
    s = await state(http, preview)
    people = [(p["id"], p["role"]) for p in s["people"]]
    assert people[:3] == [(100001, "resident"), (100002, "resident"), (100003, "resident")]
    assert people[3:] == [(OFFICER_ID, "officer"), (ADMIN_ID, "admin")], "officers from the config"
    menus = {p["id"]: [c["command"] for c in p["commands"]] for p in s["people"]}
    assert "broadcast" in menus[OFFICER_ID] and "broadcast" not in menus[RESIDENT_A]
    assert "reload" in menus[ADMIN_ID] and "reload" not in menus[OFFICER_ID]
    payloads = {link["payload"] for link in s["deep_links"]}
    content = preview.content
    assert payloads == {f"nag_{n.id}" for n in content.nags} | {
        f"survey_{x.id}" for x in content.surveys
    }
    assert {"nag_fishermead", "survey_partnership-review"} <= payloads
    assert len(s["map"]["nags"]) == len(content.nags) and s["map"]["places"]
    assert s["problems"] == []


async def test_preview_defaults_when_the_config_has_no_officers(tmp_path: Path, http):
    p = await start_preview(tmp_path, officers=False)
    try:
        roles = {x["id"]: x["role"] for x in (await state(http, p))["people"]}
        assert roles[DEFAULT_OFFICER] == "officer" and roles[DEFAULT_ADMIN] == "admin"
        assert p.config.role_of(DEFAULT_ADMIN) == "admin", "added to the preview's config"
        assert p.config.token is None, "the preview never has a token"
    finally:
        await p.stop()


async def test_a_resident_chats_through_the_api_and_events_stream(preview: Preview, http):
    events: list[dict[str, Any]] = []
    async with http.get(preview.url + "/api/events") as stream:
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        status, body = await post(
            http, preview, f"/api/chats/{RESIDENT_A}/message", {"text": "/start"}
        )
        assert status == 200 and body["ok"]

        async def read() -> None:
            async for line in stream.content:
                if line.startswith(b"data: "):
                    events.append(event := json.loads(line[6:]))
                    if event.get("type") == "message" and event["message"].get("keyboard"):
                        return

        await asyncio.wait_for(read(), 20)
    assert events[0]["type"] == "message" and events[0]["message"]["from"] == "user"
    ask = events[-1]["message"]
    assert ask["html"] and "Where do you live?" in ask["text"]
    assert ask["keyboard"]["rows"][0][0]["request_location"] is True

    # A shared location picks the nearest NAG, as in Telegram.
    status, _ = await post(
        http,
        preview,
        f"/api/chats/{RESIDENT_A}/location",
        {"latitude": 52.0300, "longitude": -0.7480},
    )
    assert status == 200
    consent = await until_bot_says(preview, RESIDENT_A, "Would you like")
    status, _ = await post(
        http,
        preview,
        f"/api/chats/{RESIDENT_A}/press",
        {"message_id": consent["message_id"], "data": button(consent, "Yes")},
    )
    assert status == 200
    await until_bot_says(preview, RESIDENT_A, "What would you like to do?")
    resident = await preview.bot.services.residents.get(RESIDENT_A)
    assert resident.nag_id and resident.consent, "the real bot stored the choice and consent"
    s = await state(http, preview)
    a = next(p for p in s["people"] if p["id"] == RESIDENT_A)
    kinds = [(m["from"], "location" in m) for m in a["messages"]]
    assert ("user", True) in kinds
    assert a["refused"] == [], "the bot broke none of Telegram's rules"


async def test_nag_calendar_file_downloads(preview: Preview, http):
    preview.api.user_message(RESIDENT_B, "/start nag_fishermead")
    await until_bot_says(preview, RESIDENT_B, "Would you like")
    preview.api.user_message(RESIDENT_B, "/nag")
    card = await until_bot_says(preview, RESIDENT_B, "Next meeting")
    status, _ = await post(
        http,
        preview,
        f"/api/chats/{RESIDENT_B}/press",
        {"message_id": card["message_id"], "data": button(card, "calendar")},
    )
    assert status == 200
    await preview.api.wait_for(
        lambda: any("document" in m for m in preview.api.log(RESIDENT_B).messages.values()), 20
    )
    s = await state(http, preview)
    b = next(p for p in s["people"] if p["id"] == RESIDENT_B)
    doc = next(m["document"] for m in b["messages"] if "document" in m)
    assert doc["name"] == "fishermead-meetings.ics"
    async with http.get(f"{preview.url}/api/files/{doc['file_id']}?download=1") as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/calendar")
        assert resp.headers["Content-Disposition"] == (
            'attachment; filename="fishermead-meetings.ics"'
        )
        assert (await resp.text()).startswith("BEGIN:VCALENDAR")
    async with http.get(f"{preview.url}/api/files/nothing") as resp:
        assert resp.status == 404


async def test_blocking_the_bot(preview: Preview, http):
    preview.api.user_message(RESIDENT_A, "/start nag_fishermead")
    await until_bot_says(preview, RESIDENT_A, "Would you like")
    status, body = await post(http, preview, f"/api/chats/{RESIDENT_A}/block", {"blocked": True})
    assert (status, body["blocked"]) == (200, True)

    async def inactive() -> bool:
        r = await preview.bot.services.residents.get(RESIDENT_A)
        return r is not None and not r.active

    # The bot hears of it through my_chat_member, as from Telegram.
    await preview.bot.settle()
    assert await inactive()
    status, body = await post(http, preview, f"/api/chats/{RESIDENT_A}/message", {"text": "hi"})
    assert status == 409 and "blocked the bot" in body["error"]
    # The bot writing anyway gets Telegram's 403, and the page shows the refusal.
    code, answer = preview.api.handle("sendMessage", {"chat_id": RESIDENT_A, "text": "x"}, {})
    assert (code, answer["description"]) == (403, "Forbidden: bot was blocked by the user")
    refused = next(p for p in (await state(http, preview))["people"] if p["id"] == RESIDENT_A)
    assert refused["blocked"] and refused["refused"][-1]["status"] == 403
    status, _ = await post(http, preview, f"/api/chats/{OFFICER_ID}/block", {"blocked": True})
    assert status == 400, "only residents have the switch"
    await post(http, preview, f"/api/chats/{RESIDENT_A}/block", {"blocked": False})
    await post(http, preview, f"/api/chats/{RESIDENT_A}/message", {"text": "/start"})
    await until_bot_says(preview, RESIDENT_A, "Welcome back")
    assert not await inactive(), "/start re-activates"


async def test_bad_requests_get_clear_answers(preview: Preview, http):
    base = f"/api/chats/{RESIDENT_A}"
    assert (await post(http, preview, base + "/message", {"text": "  "}))[0] == 400
    assert (await post(http, preview, base + "/message", {"text": "x" * 4097}))[0] == 400
    assert (await post(http, preview, base + "/location", {"latitude": "north"}))[0] == 400
    status, body = await post(http, preview, base + "/press", {"message_id": 1, "data": "zz"})
    assert status == 404 and "no such button" in body["error"]
    assert (await post(http, preview, "/api/chats/12/message", {"text": "hi"}))[0] == 404
    # Not JSON: refused, so another web site cannot post to the preview from a browser.
    async with http.post(preview.url + base + "/message", data="text=hi") as resp:
        assert resp.status == 415
    async with http.get(preview.url + "/api/state", headers={"Host": "evil.test"}) as resp:
        assert resp.status == 421
    async with http.get(preview.url + "/") as resp:
        assert resp.status == 200
        assert "default-src 'self'" in resp.headers["Content-Security-Policy"]
        assert "<title>SaferMK bot preview</title>" in await resp.text()
    for asset in ("app.js", "render.js", "style.css"):
        async with http.get(f"{preview.url}/static/{asset}") as resp:
            assert resp.status == 200, asset
    assert preview.api.pending == [], "nothing reached the bot"


async def settled(p: Preview) -> None:
    """The change is loaded: by this round, or by the watcher's own round that took it first
    (the lock makes this round wait for that one, so either way the reload is over)."""
    await p.watcher.check()


def _save(path: Path, text: str) -> None:
    """Save as an editor does, all at once: the preview's own watcher also runs during the test,
    and a file caught half-written is (rightly) a change of its own."""
    tmp = path.parent.parent / (path.name + ".tmp")  # outside the watched folder
    tmp.write_text(text, "utf-8")
    os.replace(tmp, path)


async def test_content_edits_are_checked_and_swapped_in(preview: Preview, http):
    nags = preview.config.content_dir / "nags.yaml"
    good = nags.read_text(encoding="utf-8")
    events: list[dict[str, Any]] = []
    preview.web._queues.add(queue := asyncio.Queue())
    # A mistake: the banner lists it with file:line, and the bot keeps the old content.
    _save(nags, good.replace("centre: {lat: 52.0410", "centre: {lat: 62.0410", 1))
    await settled(preview)
    problems = (await state(http, preview))["problems"]
    assert len(problems) == 1 and problems[0].split(":")[0].endswith("nags.yaml")
    assert "centre is not in Milton Keynes" in problems[0]
    line = int(problems[0].split(":")[1])
    assert "centre: {lat: 62.0410" in nags.read_text("utf-8").splitlines()[line - 1]
    assert preview.content.nag_by_id["cmk"].lat == pytest.approx(52.041)
    # Fixed, with a renamed NAG: the new content is live without a restart.
    _save(nags, good.replace("name: Central Milton Keynes & Campbell Park", "name: CMK Test"))
    await settled(preview)
    s = await state(http, preview)
    assert s["problems"] == []
    assert {"payload": "nag_cmk", "label": "CMK Test", "kind": "nag"} in s["deep_links"]
    preview.api.user_message(RESIDENT_A, "/start nag_cmk")
    await until_bot_says(preview, RESIDENT_A, "CMK Test")
    assert not await preview.watcher.check(), "nothing changed since"
    while not queue.empty():
        events.append(json.loads(queue.get_nowait()))
    content_events = [e for e in events if e["type"] == "content"]
    assert [len(e["problems"]) for e in content_events] == [1, 0], content_events


async def test_a_yaml_slip_is_one_line_in_the_banner_at_the_slip(preview: Preview, http):
    texts = preview.config.content_dir / "texts.en.yaml"
    good = texts.read_text(encoding="utf-8")
    # A quote left open: YAML reads on into the next line; every text would look missing.
    texts.write_text(good.replace('"Covers {areas}"', '"Covers {areas}', 1), "utf-8")
    await settled(preview)
    line = next(i for i, t in enumerate(good.splitlines(), 1) if '"Covers {areas}"' in t)
    assert (await state(http, preview))["problems"] == [
        f'content/texts.en.yaml:{line}: a quote " opened here is never closed (YAML reads on to line '
        f'{line + 1}): end the text with "'
    ]
    assert preview.content.t().get("nag.card_areas", areas="X") == "Covers X", "old content kept"
    texts.write_text(good, "utf-8")
    await settled(preview)
    assert (await state(http, preview))["problems"] == []


# ---------------------------------------------------------------- the command


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# How long the command may take to print its address: a hang guard, not a timing assertion. With
# no stored models for this content (a fresh machine; the store keeps the newest few) it trains
# them first, about a minute and a half per language on one free core, longer beside other tests.
STARTUP = 900


async def run_cli(tmp_path: Path, *args: str) -> asyncio.subprocess.Process:
    exe = Path(sys.executable).parent / "safermk-bot"
    return await asyncio.create_subprocess_exec(
        str(exe),
        "preview",
        *args,
        cwd=tmp_path,
        env={**os.environ, "TELEGRAM_BOT_TOKEN": ""},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_the_command_prints_the_address_and_stops_on_ctrl_c(tmp_path: Path, http):
    proc = await run_cli(tmp_path, "--port", "0", "--content", str(ROOT / "content"))
    try:
        line = (await asyncio.wait_for(proc.stdout.readline(), STARTUP)).decode()
        assert line.startswith("SaferMK preview: open http://127.0.0.1:"), line
        url = line.split("open ", 1)[1].split()[0]
        async with http.get(url + "/api/state") as resp:
            assert resp.status == 200
        async with http.post(
            url + f"/api/chats/{RESIDENT_A}/message", json={"text": "/start"}
        ) as resp:
            assert resp.status == 200
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()
    assert "Preview stopped." in out.decode()
    assert "Traceback" not in err.decode()
    db = tmp_path / "data" / "preview" / "preview.sqlite3"
    assert db.exists(), "its own database, away from the live one"
    assert not (tmp_path / "data" / "safermk.sqlite3").exists()


async def test_start_up_problems_are_one_line_and_non_zero(tmp_path: Path):
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = str(busy.getsockname()[1])
    try:
        bad_content = tmp_path / "empty"
        bad_content.mkdir()
        cases = [
            (
                ["--port", port, "--content", str(ROOT / "content")],
                1,
                "Could not listen on 127.0.0.1:",
            ),
            (["--port", "0", "--db", str(tmp_path)], 2, "is a folder"),
            (["--port", "0", "--db", "data/safermk.sqlite3"], 2, "live bot's database"),
            (["--config", str(tmp_path / "nope.yaml")], 2, "config file not found"),
        ]
        for args, code, message in cases:
            proc = await run_cli(tmp_path, *args)
            out, err = await asyncio.wait_for(proc.communicate(), 60)
            lines = err.decode().strip().splitlines()
            assert proc.returncode == code, (args, err.decode())
            assert len(lines) == 1 and message in lines[0], (args, lines)
            assert out == b""
        proc = await run_cli(tmp_path, "--content", str(bad_content))
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 1
        assert err.decode().strip().splitlines()[-1] == (
            "The preview did not start: fix the content and try again."
        )
        assert "Traceback" not in err.decode()
    finally:
        busy.close()


async def test_a_host_other_than_localhost_warns(tmp_path: Path):
    proc = await run_cli(
        tmp_path,
        "--host",
        "0.0.0.0",
        "--port",
        str(free_port()),
        "--content",
        str(ROOT / "content"),
    )
    try:
        line = (await asyncio.wait_for(proc.stdout.readline(), STARTUP)).decode()
        assert "open http://0.0.0.0:" in line
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0
    assert "warning: --host 0.0.0.0 lets other computers open the preview" in err.decode()


async def test_pictures_are_served_for_the_page(preview: Preview, http):
    png = (ROOT / "content" / "images" / "take-five.png").read_bytes()
    status, body = preview.api.handle(
        "sendPhoto",
        {"chat_id": RESIDENT_C, "caption": "<b>Take Five</b>", "parse_mode": "HTML"},
        {"photo": ("take-five.png", png)},
    )
    assert status == 200
    view = next(p for p in (await state(http, preview))["people"] if p["id"] == RESIDENT_C)[
        "messages"
    ][-1]
    assert view["caption"] == "<b>Take Five</b>" and view["html"]
    async with http.get(f"{preview.url}/api/files/{view['photo']['file_id']}") as resp:
        assert resp.status == 200 and resp.headers["Content-Type"] == "image/png"
        assert resp.headers["Content-Disposition"].startswith("inline")
        assert await resp.read() == png

"""Fixtures: a real Application over the fake Bot API, a temporary SQLite file, a pinned clock.

Every handler error is recorded and fails the test: python-telegram-bot would otherwise log and
swallow it.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from telegram.ext import Application

from bot.app import build_application, make_services
from bot.content import Content, load_content
from bot.context import Services
from bot.plumbing.clock import FixedClock
from bot.plumbing.config import load_config
from bot.telegram.pacing import Pacer
from bot.telegram.updates import parse_update
from tests import builders as b
from tests.fakes.botapi import Call, FakeBotApi, FakeRequest

ROOT = Path(__file__).resolve().parent.parent
LONDON = ZoneInfo("Europe/London")
TEST_TOKEN = "12345:" + "A" * 35  # not shaped like a real token (those have 8-10 digits)
# survey.secret in the test config: long enough for `run` to accept it.
TEST_SECRET = "test-survey-secret-" + "0" * 24
OFFICER_ID = 900001
ADMIN_ID = 900002


@pytest.fixture(scope="session")
def content() -> Content:
    return load_content(ROOT / "content", LONDON)


SMALL = ROOT / "tests" / "content_small"
# What the small content borrows from the shipped folder: every sentence the code may ask for,
# the safeguarding lexicon and the intents (so routing and signposting behave as shipped).
BORROWED = ("texts.en*.yaml", "safety.yaml", "intents.yaml")


def small_content_dir(target: Path) -> Path:
    """A content folder of tests/content_small plus the shipped texts, safety and intents."""
    shutil.copytree(SMALL, target, ignore=shutil.ignore_patterns("README.md"))
    for pattern in BORROWED:
        for f in (ROOT / "content").glob(pattern):
            shutil.copy(f, target / f.name)
    return target


@pytest.fixture(scope="session")
def small_content(tmp_path_factory: pytest.TempPathFactory) -> Content:
    """Three NAGs, two campaigns and one survey with every question type (tests of mechanics
    that should not change when the shipped content is edited)."""
    return load_content(small_content_dir(tmp_path_factory.mktemp("content") / "c"), LONDON)


def write_config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(
        f"""
telegram:
  token: "{TEST_TOKEN}"
  api_url: "http://127.0.0.1:9"
storage:
  path: "{tmp_path / "bot.sqlite3"}"
content:
  dir: "{ROOT / "content"}"
officers:
  - {{id: {OFFICER_ID}, role: officer}}
  - {{id: {ADMIN_ID}, role: admin}}
survey:
  secret: "{TEST_SECRET}"
  min_count: 5
{extra}
""",
        encoding="utf-8",
    )
    return path


# Every harness a test made: one a failing test left open is closed after it (otherwise the
# database's worker thread keeps the test process alive and the run never ends).
OPEN_HARNESSES: list[Harness] = []


class Harness:
    """Drives real Updates through the real Application and exposes what was sent."""

    def __init__(self, app: Application, api: FakeBotApi, services: Services, clock: FixedClock):
        self.app = app
        self.api = api
        self.services = services
        self.clock = clock
        self.errors: list[BaseException] = []
        self.closed = False
        OPEN_HARNESSES.append(self)

    @property
    def db(self):
        return self.services.db

    async def push(self, data: dict[str, Any]) -> list[Call]:
        before = len(self.api.calls)
        # As polling and the webhook build them (bot/telegram/updates.py).
        await self.app.process_update(parse_update(data, self.app.bot))
        if self.errors:
            raise AssertionError(f"handler raised: {self.errors[0]!r}") from self.errors[0]
        return self.api.calls[before:]

    async def send(self, chat_id: int, text: str) -> list[Call]:
        return await self.push(b.text_update(chat_id, text))

    async def press(self, chat_id: int, data: str, message_id: int = 1) -> list[Call]:
        return await self.push(b.callback_update(chat_id, data, message_id))

    async def press_newest(self, chat_id: int, data: str) -> list[Call]:
        """Tap `data` under the newest message in the chat (a question just asked): questions
        that move on (/forget, "stop", consent asked again) refuse a press on any other."""
        newest = self.api.newest_message_id(chat_id)
        assert newest is not None, "no message to press on"
        return await self.press(chat_id, data, newest)

    def last_text(self, chat_id: int) -> str:
        texts = self.api.texts(chat_id)
        return texts[-1] if texts else ""

    @staticmethod
    def buttons(calls: list[Call]) -> list[tuple[str, str | None]]:
        out = []
        for c in calls:
            out.extend(c.buttons)
        return out

    async def rows(self, sql: str, params: tuple = ()) -> list[dict[str, Any]]:
        return [dict(r) for r in await self.db.fetchall(sql, params)]

    async def settle_in(self, chat_id: int, nag_id: str | None = None) -> None:
        """Make `chat_id` a resident with an area (the first NAG unless given) who said yes to
        messages: what a survey open to everyone asks for first. Written straight to the
        database, so nothing appears in the chat."""
        now = self.clock.now()
        residents = self.services.residents
        await residents.touch(chat_id, now)
        await residents.set_nag(chat_id, nag_id or self.services.content.nags[0].id, now)
        await residents.set_consent(chat_id, True, now)


async def make_harness(
    tmp_path: Path,
    content: Content,
    clock: FixedClock | None = None,
    api: FakeBotApi | None = None,
    config_extra: str = "",
) -> Harness:
    cfg = load_config(write_config(tmp_path, config_extra), env={})
    clock = clock or FixedClock(datetime(2026, 11, 23, 12, 0, tzinfo=LONDON))
    api = api or FakeBotApi()
    services = make_services(cfg, content, clock)
    app = build_application(services, request=FakeRequest(api), updates_request=FakeRequest(api))
    # The bot's pacer waits in virtual time (a resident's 21st reply in a burst is held a
    # second): tests never sleep. Delivery, installed at start-up, shares it.
    pacer = app.bot.rate_limiter
    assert isinstance(pacer, Pacer)
    pacer.use_virtual_time()
    h = Harness(app, api, services, clock)

    async def record(update: object, context: Any) -> None:
        h.errors.append(context.error)

    app.add_error_handler(record)
    await app.initialize()
    await services.db.open()
    from bot.app import startup

    await startup(app)
    return h


async def close_harness(h: Harness) -> None:
    """Shut the app down; fail if any handler or job raised meanwhile."""
    from bot.app import shutdown

    if h.closed:
        return
    h.closed = True
    await shutdown(h.app)
    await h.app.shutdown()
    assert not h.errors, f"handler errors: {h.errors!r}"


@pytest.fixture(autouse=True)
async def _close_what_a_test_left_open() -> AsyncIterator[None]:
    yield
    while OPEN_HARNESSES:
        h = OPEN_HARNESSES.pop()
        if not h.closed:
            h.errors.clear()  # the test already failed (or closed it itself)
            try:
                await close_harness(h)
            except Exception:  # noqa: BLE001 - cleanup after a failure must not mask it
                pass


@pytest.fixture
async def harness(tmp_path: Path, content: Content) -> AsyncIterator[Harness]:
    h = await make_harness(tmp_path, content)
    yield h
    await close_harness(h)


@pytest.fixture
async def small_harness(tmp_path: Path, small_content: Content) -> AsyncIterator[Harness]:
    """The small test content, with the chat history kept for tests/helpers.Conversation."""
    h = await make_harness(tmp_path, small_content, api=FakeBotApi(history=True))
    yield h
    await close_harness(h)


@pytest.fixture
async def conversation_harness(tmp_path: Path, content: Content) -> AsyncIterator[Harness]:
    """The shipped content, with the chat history kept for tests/helpers.Conversation."""
    h = await make_harness(tmp_path, content, api=FakeBotApi(history=True))
    yield h
    await close_harness(h)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the safeguarding confusion table and the intents' figures whenever they ran."""
    from tests import test_intents, test_safety_corpus

    for title, reports in (
        ("safeguarding corpus", test_safety_corpus.REPORTS),
        ("plain-words intents", test_intents.REPORTS),
    ):
        for report in reports:
            terminalreporter.write_sep("-", title)
            terminalreporter.write_line(report)


# The slow part of the suite: real `python -m bot run` processes, the browser, training models,
# fuzzing and random walks. `.ci/run` runs everything; while working, `-m "not slow"` runs the
# rest (README, "Run the tests").
SLOW_FILES = {
    "test_graceful_stop.py", "test_fuzz.py", "test_modelstore.py", "test_preview_browser.py",
    "test_e2e.py", "test_e2e_webhook.py", "test_startup_faults.py", "test_survey_tidy.py",
    "test_instance_lock.py", "test_dbwatch.py", "test_export_cli.py", "test_faults_db.py",
    "test_preview_api.py", "test_config_hardening.py",
}  # fmt: skip
SLOW_TESTS = {
    "test_cli_export_streams_csv_with_filters", "test_two_start_dates_give_no_small_count",
    "test_signpost_command_reads_a_file", "test_check_content_cli",
}  # fmt: skip


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.name in SLOW_FILES or item.name.split("[")[0] in SLOW_TESTS:
            item.add_marker(pytest.mark.slow)

"""What officers see, measured (issue 12; run by hand, never by the test suite).

(a) /scheduled on the shipped content on Tuesday 24 November 2026 at 12:00: the campaign
    calendar's 11 messages plus 2 officer broadcasts (13 broadcasts; 54 meeting reminders that
    nobody has asked for) and 40 subscribers: characters of the message as read (tags not
    counted), lines, and buttons.
(b) /results community-safety with 6 responses: the messages the bot sends, by kind.

It uses only what the test harness offered before issue 12, so the same command measures an
older checkout too (put it first on PYTHONPATH):

    .venv/bin/python -m bench.officer_screens
    PYTHONPATH=/tmp/base .venv/bin/python -m bench.officer_screens    # e.g. main before
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import datetime
from pathlib import Path

from bot.content import load_content
from bot.preview.double import visible_text
from tests.conftest import LONDON, OFFICER_ID, ROOT, close_harness, make_harness
from tests.fakes.botapi import FakeBotApi
from tests.test_delivery import add_residents, officer_broadcast
from tests.test_results import safety_answers
from tests.test_surveys import CS


async def scheduled(folder: Path) -> None:
    from bot.plumbing.clock import FixedClock

    content = load_content(ROOT / "content", LONDON)
    clock = FixedClock(datetime(2026, 11, 24, 12, 0, tzinfo=LONDON))
    (folder / "a").mkdir()
    h = await make_harness(folder / "a", content, clock=clock, api=FakeBotApi())
    await add_residents(h, range(1000, 1040))
    for text, day in (("Road closed on Saxon Gate", 24), ("Street surgery on Thursday", 26)):
        at = datetime(2026, 11, day, 18, 30, tzinfo=LONDON)
        await officer_broadcast(h, text, send_at=at)
    campaigns = await h.rows("SELECT COUNT(*) AS n FROM broadcasts WHERE kind != 'reminder'")
    calls = await h.send(OFFICER_ID, "/scheduled")
    for c in calls:
        text = visible_text(c.text, c.params.get("parse_mode"))
        print(
            f"/scheduled ({campaigns[0]['n']} broadcasts): {len(text)} characters, "
            f"{len(text.splitlines())} lines, {len(c.buttons)} buttons"
        )
    await close_harness(h)


async def results(folder: Path) -> None:
    content = load_content(ROOT / "content", LONDON)
    (folder / "b").mkdir()
    h = await make_harness(folder / "b", content, api=FakeBotApi())
    rows = [
        (
            "fishermead",
            "2026-11-13",
            safety_answers(4, 2 if i < 3 else 3, ("asb", "drugs"), "yes" if i < 4 else "no"),
        )
        for i in range(6)
    ]
    await h.services.surveys.insert_completed(CS, rows)
    calls = await h.send(OFFICER_ID, f"/results {CS}")
    kinds = [c.method for c in calls if c.chat_id == OFFICER_ID]
    photos = sum(len(c.files) for c in calls if c.method in ("sendPhoto", "sendMediaGroup"))
    summary = [
        len(visible_text(c.text, c.params.get("parse_mode")))
        for c in calls
        if c.method == "sendMessage"
    ]
    print(
        f"/results with 6 responses: {len(kinds)} messages ({', '.join(kinds)}); "
        f"{photos} chart(s); summary characters {summary}"
    )
    await close_harness(h)


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        await scheduled(Path(folder))
        await results(Path(folder))


if __name__ == "__main__":
    asyncio.run(main())

"""The README's example postcodes do what the README says they do."""

from __future__ import annotations

import html
import re
from pathlib import Path

from bot.content import Content
from bot.domain.areas import AreaIndex
from tests.conftest import close_harness, make_harness

CHAT = 424242
README = Path(__file__).resolve().parent.parent / "README.md"


def _text() -> str:
    return README.read_text(encoding="utf-8")


async def test_quick_start_postcode_sets_one_nag_at_once(tmp_path: Path, content: Content):
    m = re.search(
        r"Type a postcode \(`([^`]+)` is in one NAG's\s+area, so the bot answers \"Your area is now (.+?)\"",
        _text(),
    )
    assert m, "the Quick start names an example postcode and its NAG"
    postcode, name = m.groups()
    h = await make_harness(tmp_path, content)
    try:
        await h.send(CHAT, "/start")
        before = len(h.api.texts(CHAT))
        await h.send(CHAT, postcode)
        answers = h.api.texts(CHAT)[before:]
    finally:
        await close_harness(h)
    assert answers and answers[0] == f"✅ Your area is now <b>{html.escape(name)}</b>."


def test_start_row_examples_one_card_then_a_choice(content: Content):
    m = re.search(
        r"type a postcode \(`([^`]+)`, or only its sector `([^`]+)`; a district such as "
        r"`([^`]+)` or a sector such as `([^`]+)` that several groups share offers each\)",
        _text(),
    )
    assert m, "the /start row names its example postcodes"
    index = AreaIndex(content.nags)
    full, sector, district, shared = (index.search(g) for g in m.groups())
    assert len(full.nags) == 1 and full.nags == sector.nags, "one NAG card, no choice"
    assert len(district.nags) > 1 and len(shared.nags) > 1, "these offer a choice"

"""The console's Reach page through real HTTP, with seeded residents: figures of k and more are
shown, counts from 1 to k-1 are not, and neither is anything that would give one away (a NAG's
residents minus those taking messages, a total minus the rest, a month beside its neighbours).
The page shows no chat id."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.content import Content
from tests import consolekit as ck
from tests.conftest import OFFICER_ID, close_harness
from tests.test_console import small_numbers

K = 5


@pytest.fixture
async def h(tmp_path: Path, content: Content):
    harness = await ck.console_harness(tmp_path, content)
    yield harness
    await close_harness(harness)


async def seed(h, rows: list[tuple[str | None, str, int, int, str | None]], first: int) -> int:
    """Residents (nag, month, consent, active, source); their ids from `first` on."""
    params = []
    for i, (nag, month, consent, active, source) in enumerate(rows):
        at = f"{month}-10T10:00:00+00:00"
        params.append((first + i, nag, consent, at, active, source, at, at))
    async with h.db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO residents (chat_id, nag_id, consent, consent_at, active, source,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            params,
        )
    return first + len(rows)


def cells(page: str, caption: str) -> list[list[str]]:
    """The rows of the table with `caption`: header cell, then the data cells."""
    table = page.split(f"<caption>{caption}", 1)[1].split("</table>", 1)[0]
    return [
        re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", row)
        for row in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>", 1)[1])
    ]


def n(text: str) -> int | None:
    return int(text.replace(",", "")) if re.fullmatch(r"[\d,]+", text) else None


def fine(x: int) -> bool:
    return x == 0 or x >= K


async def test_reach_shows_k_and_more_and_hides_small_counts_and_what_derives_them(h):
    at = 10_000
    # Fishermead: 12 residents, 2 of them not taking messages (a small part: the row's split
    # is hidden, and another NAG's with it). Woughton: 9, all taking. Olney: 2 (too few: counted
    # with the rest). Sources: 8 from the Fishermead leaflet, 2 from Olney's (too few).
    at = await seed(h, [("fishermead", "2026-09", 1, 1, "qr:fishermead")] * 8, at)
    at = await seed(h, [("fishermead", "2026-10", 1, 1, None)] * 2, at)
    at = await seed(h, [("fishermead", "2026-11", 0, 1, None)] * 2, at)
    at = await seed(h, [("woughton", "2026-10", 1, 1, None)] * 6, at)
    at = await seed(h, [("woughton", "2026-11", 1, 1, None)] * 3, at)
    at = await seed(h, [("olney", "2026-11", 1, 1, "qr:olney")] * 2, at)
    at = await seed(h, [("woughton", "2026-11", 0, 0, None)] * 5, at)  # 5 blocked the bot
    async with ck.client() as http:
        await ck.sign_in(h, http, OFFICER_ID)
        status, page = await ck.get(http, h, "/console/reach")
        assert status == 200 and "<h1>Reach</h1>" in page
        status, one = await ck.get(http, h, "/console/reach?nag=olney")
        assert "Too few residents of Olney" in one and small_numbers(one) == []
        status, woughton = await ck.get(http, h, "/console/reach?nag=woughton")
        assert small_numbers(woughton) == []
        joined = cells(woughton, "Joined: Coffee Hall, Netherfield, Beanhill &amp; Tinkers Bridge")
        assert [r[1] for r in joined] == ["0", "14"]  # Sep: none; Oct and Nov together
    assert small_numbers(page) == []
    assert "10000" not in page and "qr:olney" not in page

    nags = cells(page, "Residents per NAG")
    everyone = nags[-1]
    assert everyone[:2] == ["All residents", "28"]
    # Olney's 2 are too few: Fishermead (first in content order) is counted with them.
    assert [r[:2] for r in nags[:-1]] == [
        ["Coffee Hall, Netherfield, Beanhill &amp; Tinkers Bridge", "14"],
        ["Other NAGs and no NAG, together", "14"],
    ]
    # Every split shown leaves 0 or k and more not taking; the hidden ones, together, too.
    hidden_yes = n(everyone[2]) or 0
    hidden_no = (n(everyone[1]) or 0) - hidden_yes
    for row in nags[:-1]:
        total, yes = n(row[1]), n(row[2])
        assert total is not None and fine(total)
        if yes is not None:
            assert fine(yes) and fine(total - yes), row
            hidden_yes, hidden_no = hidden_yes - yes, hidden_no - (total - yes)
    assert fine(hidden_yes) and fine(hidden_no)

    sources = {r[0]: r[1] for r in cells(page, "Residents per sign-up source")}
    assert sources == {"qr:fishermead": "8", "Other sources, together": "20"}
    assert all(fine(n(v) or 0) for v in sources.values()) and sum(map(n, sources.values())) == 28

    joined = cells(page, "Joined: All residents, per period")
    figures = [n(r[1]) for r in joined]
    assert None not in figures and sum(figures) == 28 and all(fine(x) for x in figures)
    blocked = cells(page, "Blocked the bot: All residents, per period")
    assert [r[1] for r in blocked] == ["5"]


def test_hidden_splits_never_give_away_a_small_count():
    """Every table of 3 NAGs with 0..6 taking and not taking messages: what is shown, with the
    totals, never pins down a group of 1 to k-1 (each shown split, and the hidden ones together)."""
    from itertools import product

    from bot.services.reach import hide_rows, protect_column

    values = range(7)
    for yes in product(values, repeat=3):
        for no in product(values, repeat=3):
            hidden = hide_rows(yes, no, K)
            if hidden is None:
                continue
            assert hidden == set() or len(hidden) >= 2
            for i in range(3):
                if i not in hidden:
                    assert fine(yes[i]) and fine(no[i])
            assert fine(sum(yes[i] for i in hidden)) and fine(sum(no[i] for i in hidden))
    for parts in product(values, repeat=3):
        shown = protect_column(parts, K)
        if shown is None:
            continue
        rest = [v for v, s in zip(parts, shown, strict=True) if s is None]
        assert all(fine(s) for s in shown if s is not None) and fine(sum(rest))

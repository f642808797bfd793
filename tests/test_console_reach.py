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
from tests.test_disclosure_walk import determined, problems_in_tables

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

    nags = cells(page, "Residents per NAG, by whether they take campaign messages")
    # Olney's 2 are too few: Fishermead (first in content order) is counted with them.
    assert [r[:2] for r in nags] == [
        ["Coffee Hall, Netherfield, Beanhill &amp; Tinkers Bridge", "14"],
        ["Other NAGs and no NAG, together", "14"],
        ["All residents", "28"],
    ]
    # 2 said no, in Fishermead: hidden, and with it enough that no sum gives it away (the
    # blocked 5 too, or said-no's total would follow from the grand total).
    assert [r[2:6] for r in nags] == [
        ["not shown", "0", "0", "not shown"],
        ["not shown", "not shown", "0", "0"],
        ["21", "not shown", "0", "not shown"],
    ]
    assert problems_in_tables(page) == []
    assert "Too few residents in all" in page  # the stopped and blocked series: their totals

    sources = {r[0]: r[1] for r in cells(page, "Residents per sign-up source")}
    assert sources == {"qr:fishermead": "8", "Other sources, together": "20"}
    assert all(fine(n(v) or 0) for v in sources.values()) and sum(map(n, sources.values())) == 28

    joined = cells(page, "Joined: All residents, per period")
    figures = [n(r[1]) for r in joined]
    assert None not in figures and sum(figures) == 28 and all(fine(x) for x in figures)


async def test_series_show_only_what_the_table_shows(h):
    """Stopped and blocked per NAG are the table's columns by month: a NAG's series shows only
    where its cell does, everyone's only where the column's total does."""
    at = 20_000
    at = await seed(h, [("fishermead", "2026-10", 1, 1, None)] * 10, at)
    at = await seed(h, [("fishermead", "2026-11", 0, 1, None)] * 6, at)  # said no
    at = await seed(h, [("fishermead", "2026-11", 0, 0, None)] * 5, at)  # blocked
    at = await seed(h, [("woughton", "2026-10", 1, 1, None)] * 8, at)
    at = await seed(h, [("woughton", "2026-11", 0, 1, None)] * 7, at)  # said no
    at = await seed(h, [("woughton", "2026-11", 0, 0, None)] * 2, at)  # blocked: too few
    async with ck.client() as http:
        await ck.sign_in(h, http, OFFICER_ID)
        status, page = await ck.get(http, h, "/console/reach")
        _, woughton = await ck.get(http, h, "/console/reach?nag=woughton")
        _, fishermead = await ck.get(http, h, "/console/reach?nag=fishermead")
    assert status == 200 and problems_in_tables(page) == []
    nags = {
        r[0]: r[1:6]
        for r in cells(page, "Residents per NAG, by whether they take campaign messages")
    }
    assert nags["Fishermead, Oldbrook &amp; Springfield"][3:] == ["0", "not shown"]
    assert nags["All residents"][4] == "7"
    stopped = cells(page, "Stopped campaign messages: All residents, per period")
    assert [r[1] for r in stopped] == ["13"]
    # Woughton's 2 blocked are hidden in the table, so its blocked series is not shown.
    assert "Blocked the bot: Coffee Hall" not in woughton and "Too few residents of" in woughton
    assert small_numbers(woughton) == [] and small_numbers(fishermead) == []
    assert "Blocked the bot: Fishermead" not in fishermead  # hidden as the pair of Woughton's


def test_protected_tables_never_give_away_a_figure():
    """Random tables of 1 to 4 rows (each 0 or k and more) by 4 columns of 0 to 12: what
    protect_table shows has no count from 1 to k-1, and no hidden figure follows from the sums
    (the walk's own check, by numpy's rank)."""
    import random

    from bot.domain.disclosure_table import protect_table

    rng = random.Random(22)
    for _ in range(400):
        table = [[rng.choice((0, 0, 1, 2, 3, 4, 5, 6, 9, 12)) for _ in range(4)]
                 for _ in range(rng.randint(1, 4))]  # fmt: skip
        for row in table:
            if 0 < sum(row) < K:
                row[0] += K
        v = protect_table(table, K)
        rows = [[t, *c] for t, c in zip(v.rows, v.cells, strict=True)]
        rows.append([v.total, *v.columns])
        assert all(fine(x) for r in rows for x in r if x is not None), table
        assert determined(rows) == [], (table, v)

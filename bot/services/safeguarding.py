"""How often each kind of safeguarding help was given, per week, as plain values for any front
end (the officers' console; /safety in chat says the same). Counts only: nothing else is kept
(storage/safety.py). A count from 1 to k-1 is not given (None), through the same rule as every
other count (bot/domain/disclosure.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from bot.domain import disclosure as dc
from storage.safety import SafetyCounts

WEEKS = 8


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class HelpRow:
    category: str  # the category's id (content/safety.yaml)
    title: str
    counts: tuple[int | None, ...]  # one per week, oldest first; None: from 1 to k-1


@dataclass(frozen=True)
class WeeklyHelp:
    weeks: tuple[date, ...]  # the Mondays, oldest first
    rows: tuple[HelpRow, ...]  # only kinds of help given at least once in these weeks
    min_count: int


def shown(count: int, k: int) -> int | None:
    return 0 if count == 0 else dc.suppress(count, k)


async def weekly_help(
    store: SafetyCounts,
    categories: Sequence[tuple[str, str]],
    today: date,
    min_count: int,
    weeks: int = WEEKS,
) -> WeeklyHelp:
    """The last `weeks` weeks up to `today`'s, for each (id, title) of `categories`."""
    monday = today - timedelta(days=today.weekday())
    starts = tuple(monday - timedelta(weeks=n) for n in range(weeks - 1, -1, -1))
    keys = [iso_week(d) for d in starts]
    counts = await store.weekly(keys)
    rows = []
    for cid, title in categories:
        raw = [counts[w].get(cid, 0) for w in keys]
        if any(raw):
            rows.append(HelpRow(cid, title, tuple(shown(n, min_count) for n in raw)))
    return WeeklyHelp(starts, tuple(rows), min_count)

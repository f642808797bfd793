"""The console's broadcast desk: a month of broadcasts with their delivery reports, campaign
ratings by month, what a new broadcast would do (recipients, when residents get it), and an
officer's change of a scheduled broadcast's text. Creating, cancelling, sending now and moving
go through the broadcast service (bot/services/broadcasts.py), as in chat.

Every count here is protected as the survey results are (bot/services/reach.py's
protect_column: a report's figures add up to its total, so hiding one hides another); the
figures of broadcasts written out are also rounded to a multiple of k (bot/services/audiences.py).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain import disclosure as dc
from bot.domain.broadcasts import fingerprint, local_at
from bot.services import audiences as au
from bot.services.reach import protect_column
from storage.broadcast_calendar import BroadcastCalendar, CampaignMonth
from storage.broadcasts import Broadcast
from storage.db import Database
from storage.model import OutboxStatus

NOT_DELIVERED = (OutboxStatus.FAILED, OutboxStatus.NOT_FOUND, OutboxStatus.SKIPPED)
STILL_TO_GO = (OutboxStatus.PENDING, OutboxStatus.SENDING)


@dataclass(frozen=True)
class Report:
    """How a broadcast was delivered: None where a figure is not shown."""

    total: int | None
    sent: int | None
    blocked: int | None
    failed: int | None
    waiting: int | None


def protected(figures: list[int], k: int) -> tuple[int | None, list[int | None]]:
    """(total, figures) with the small-number rules: a total of 1 to k-1 hides everything."""
    total = sum(figures)
    cells = protect_column(figures, k)
    if cells is None or dc.small(total, k):
        return None, [None] * len(figures)
    return total, cells


def report(counts: dict[str, int], k: int) -> Report:
    """A written-out broadcast's figures: protected as parts, then rounded to a multiple of k
    (bot/services/audiences.py `delivery`), so no two broadcasts' figures difference exactly."""
    sent = counts.get(OutboxStatus.SENT, 0)
    blocked = counts.get(OutboxStatus.BLOCKED, 0)
    failed = sum(counts.get(s, 0) for s in NOT_DELIVERED)
    waiting = sum(counts.get(s, 0) for s in STILL_TO_GO)
    d = au.delivery([sent, blocked, failed, waiting], k)
    return Report(d.total, *d.parts)


@dataclass(frozen=True)
class Month:
    first: date
    broadcasts: tuple[Broadcast, ...]
    reports: dict[int, Report]

    def on(self, day: date, tz: ZoneInfo) -> list[Broadcast]:
        return [b for b in self.broadcasts if shown_at(b).astimezone(tz).date() == day]


def shown_at(b: Broadcast) -> datetime:
    return b.started_at or b.due_at


def month_bounds(first: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    last = calendar.monthrange(first.year, first.month)[1]
    nxt = first + timedelta(days=last)
    start = datetime(first.year, first.month, 1, tzinfo=tz)
    return start, datetime(nxt.year, nxt.month, 1, tzinfo=tz)


async def month(db: Database, first: date, tz: ZoneInfo, k: int) -> Month:
    store = BroadcastCalendar(db)
    start, end = month_bounds(first, tz)
    found = await store.between(start, end)
    counts = await store.delivery([b.id for b in found if b.materialised])
    return Month(first, tuple(found), {i: report(c, k) for i, c in counts.items()})


async def delivery_of(db: Database, broadcast_id: int, k: int) -> Report:
    counts = await BroadcastCalendar(db).delivery([broadcast_id])
    return report(counts[broadcast_id], k)


@dataclass(frozen=True)
class Rated:
    campaign: str
    month: str
    sent: int | None
    useful: int | None
    not_useful: int | None


def _rated(m: CampaignMonth, k: int) -> Rated:
    sent = au.delivery([m.sent], k).total  # messages delivered: rounded as any delivery figure
    _, (useful, not_useful) = protected([m.useful, m.not_useful], k)
    return Rated(m.campaign, m.month, sent, useful, not_useful)


async def campaign_ratings(db: Database, k: int) -> list[Rated]:
    """Each campaign by month: messages delivered, rated useful, rated not useful."""
    return [_rated(m, k) for m in await BroadcastCalendar(db).campaign_months()]


async def edit_text(
    db: Database, b: Broadcast, text: str, officer: int, now: datetime, expected_due: datetime
) -> bool:
    """The officer's new text for a scheduled broadcast of theirs (or another officer's); the
    duplicate guard's fingerprint follows it."""
    return await BroadcastCalendar(db).edit_text(
        b.id, text, fingerprint(text), officer, now, expected_due
    )


async def edit_translation(
    db: Database,
    b: Broadcast,
    language: str,
    text: str | None,
    officer: int,
    now: datetime,
    expected_due: datetime,
) -> bool:
    """The officer's new text in one other language (None: remove it, so that language's
    readers get the English) for a scheduled broadcast; the English stays as it is."""
    return await BroadcastCalendar(db).edit_translation(
        b.id, language, text, officer, now, expected_due
    )


def local_time(day: date, hh_mm: str, tz: ZoneInfo) -> datetime | None:
    """A date and a "HH:MM" as the bot's time zone; None if not a real time there."""
    try:
        hours, minutes = (int(x) for x in hh_mm.split(":"))
        at = datetime.min.time().replace(hour=hours, minute=minutes)
    except ValueError:
        return None
    return local_at(day, at, tz)

"""What officers see of broadcasts, as plain values for any front end: how many residents a
broadcast reaches, the /scheduled list page by page, a broadcast's delivery report with its
audit history, and an officer's own audited actions (their part of /mydata).

bot/handlers/officers.py renders these in chat; acting on a broadcast (send now, cancel, move)
goes through the broadcast service (bot/services/broadcasts.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.domain import disclosure as dc
from bot.services import audiences as au
from storage.broadcasts import AuditRow, Broadcast, BroadcastStore
from storage.model import BroadcastKind

MONTH = timedelta(days=31)  # automatic messages further ahead are folded away
PAGE = 8  # broadcasts per page of /scheduled


@dataclass(frozen=True)
class Reach:
    """How many residents a broadcast reaches: all it will go to, and (once it has started)
    how many have it and how many are still to go."""

    total: int
    sent: int = 0
    remaining: int = 0


async def reach(store: BroadcastStore, b: Broadcast) -> Reach:
    if not b.materialised:
        count = await store.count_audience(b.audience)
        return Reach(count, 0, count)
    counts = await store.progress(b.id)
    remaining = counts.get("pending", 0) + counts.get("sending", 0)
    return Reach(counts.get("sent", 0) + remaining, counts.get("sent", 0), remaining)


@dataclass(frozen=True)
class Scheduled:
    """The active broadcasts, split: the coming month (and every officer's broadcast), the
    automatic messages further ahead, and how many meeting reminders have nobody to remind
    (left out). `counted` holds the reach already worked out."""

    soon: tuple[Broadcast, ...]
    later: tuple[Broadcast, ...]
    idle: int
    counted: dict[int, Reach]


async def scheduled(store: BroadcastStore, now: datetime) -> Scheduled:
    """Only reminders not yet written out are counted here, to leave out those with nobody to
    remind; the rest are counted for the page shown (`scheduled_page`)."""
    soon: list[Broadcast] = []
    later: list[Broadcast] = []
    idle = 0
    counted: dict[int, Reach] = {}
    for b in await store.active():
        if b.kind == BroadcastKind.REMINDER and not b.materialised:
            counted[b.id] = r = await reach(store, b)
            if r.total == 0:
                idle += 1  # nobody to remind (yet): it would send nothing
                continue
        automatic = b.kind != BroadcastKind.OFFICER
        (later if automatic and b.due_at > now + MONTH else soon).append(b)
    return Scheduled(tuple(soon), tuple(later), idle, counted)


@dataclass(frozen=True)
class ScheduledPage:
    """One page of /scheduled: of the soon list, or of the `later` automatic messages."""

    later: bool
    page: int  # 0-based, within 0 .. pages - 1
    pages: int
    count: int  # broadcasts in the list paged
    shown: tuple[tuple[Broadcast, Reach], ...]
    soon_count: int
    later_count: int
    idle: int

    @property
    def empty(self) -> bool:
        """Nothing scheduled at all (in either list)."""
        return self.soon_count == 0 and self.later_count == 0


async def scheduled_page(
    store: BroadcastStore, now: datetime, later: bool, page: int, per_page: int = PAGE
) -> ScheduledPage:
    """Page `page` (clamped to the pages there are) of the list asked for, with reach."""
    listed = await scheduled(store, now)
    items = listed.later if later else listed.soon
    pages = max(1, -(-len(items) // per_page))
    page = min(max(page, 0), pages - 1)
    shown = []
    for b in items[page * per_page : (page + 1) * per_page]:
        shown.append((b, listed.counted.get(b.id) or await reach(store, b)))
    return ScheduledPage(
        later=later,
        page=page,
        pages=pages,
        count=len(items),
        shown=tuple(shown),
        soon_count=len(listed.soon),
        later_count=len(listed.later),
        idle=listed.idle,
    )


@dataclass(frozen=True)
class Report:
    """A broadcast's delivery report: outbox counts by outcome, ratings, and its history.
    Counts as they may be shown (None: not shown, see bot/domain/disclosure.py): the outcomes
    are parts of the recipients (a count officers see elsewhere), the ratings parts of those
    sent, so none from 1 to k-1 can be read or worked out."""

    broadcast: Broadcast
    sent: int | None
    remaining: int | None
    blocked: int | None
    not_found: int | None
    failed: int | None
    skipped: int | None
    unsent: int | None  # cancelled or expired before they went
    useful: int | None
    not_useful: int | None
    audit: tuple[AuditRow, ...]


async def report(store: BroadcastStore, broadcast_id: int, min_count: int) -> Report | None:
    b = await store.get(broadcast_id)
    if b is None:
        return None
    counts = await store.progress(b.id)
    useful, not_useful = await store.ratings(b.id)
    sent = counts.get("sent", 0)
    raw = (
        sent,
        counts.get("pending", 0) + counts.get("sending", 0),
        counts.get("blocked", 0),
        counts.get("not_found", 0),
        counts.get("failed", 0),
        counts.get("skipped", 0),
        counts.get("cancelled", 0) + counts.get("expired", 0),
    )
    # Delivery figures: protected as parts and rounded to a multiple of k (audiences.delivery).
    p = au.delivery(raw, min_count).parts
    unrated = max(0, sent - useful - not_useful)
    rated = dc.protect_parts(sent, (useful, not_useful, unrated), min_count).parts
    return Report(
        broadcast=b,
        sent=p[0],
        remaining=p[1],
        blocked=p[2],
        not_found=p[3],
        failed=p[4],
        skipped=p[5],
        unsent=p[6],
        useful=rated[0],
        not_useful=rated[1],
        audit=tuple(await store.audit_rows(b.id)),
    )


async def actions_of(store: BroadcastStore, officer: int) -> list[dict[str, Any]]:
    """An officer's own audited actions, JSON-able (their part of /mydata)."""
    return [
        {
            "broadcast": a.broadcast_id,
            "action": str(a.action),
            "detail": a.detail,
            "at": a.at.isoformat(),
        }
        for a in await store.actions_by(officer)
    ]

"""Pure broadcast rules: audiences, quiet hours, quick time choices, UK date parsing, campaign
calendar dates, duplicate detection and the wording of broadcast messages.

No telegram, no SQL: every function takes the time and time zone it needs. Wording lives in
bot/render/text.py.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.content import Campaign, ScheduledMessage
from bot.content.campaigns import clocks_go_back  # noqa: F401 - re-exported
from bot.telegram.limits import MAX_CAPTION

UTC = ZoneInfo("UTC")


DUPLICATE_WINDOW = timedelta(hours=48)
NOTICE_BEFORE = timedelta(hours=24)


# ---------------------------------------------------------------- audiences


# ---------------------------------------------------------------- duplicates


def fingerprint(text: str) -> str:
    """Same words, ignoring case and spacing, give the same fingerprint."""
    norm = " ".join(text.lower().split())
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()[:32]


def duplicate_window(send_at: datetime) -> tuple[datetime, datetime]:
    """Broadcasts of the same text to the same audience inside this span need a second yes."""
    return send_at - DUPLICATE_WINDOW, send_at + DUPLICATE_WINDOW


# ---------------------------------------------------------------- quiet hours


def in_quiet_hours(at: datetime, quiet: tuple[time, time] | None, tz: ZoneInfo) -> bool:
    """Whether `at` (aware) falls in the quiet period, read on the local wall clock."""
    if quiet is None:
        return False
    start, end = quiet
    t = at.astimezone(tz).time().replace(tzinfo=None)
    if start == end:
        return False
    if start < end:
        return start <= t < end
    return t >= start or t < end  # the period crosses midnight


def quiet_end(at: datetime, quiet: tuple[time, time] | None, tz: ZoneInfo) -> datetime:
    """The first moment at or after `at` outside quiet hours (aware, in `tz`)."""
    if not in_quiet_hours(at, quiet, tz):
        return at
    assert quiet is not None
    local = at.astimezone(tz)
    end = quiet[1]
    candidate = datetime.combine(local.date(), end, tzinfo=tz)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), end, tzinfo=tz)
    return candidate


def effective_send_time(
    planned: datetime, urgent: bool, quiet: tuple[time, time] | None, tz: ZoneInfo
) -> datetime:
    """When residents actually get a broadcast planned for `planned`: the planned time, or the
    end of quiet hours when it falls inside them and is not urgent.

    The one rule both delivery (which holds a broadcast back) and the officers' previews and
    confirmations (which say when it will arrive) use, so the two can never disagree.
    """
    return planned if urgent else quiet_end(planned, quiet, tz)


# ---------------------------------------------------------------- times


def local_at(day: date, at: time, tz: ZoneInfo) -> datetime | None:
    """Wall-clock `at` on `day` in `tz`, or None if that time does not exist (clocks go forward).

    An ambiguous time (clocks go back) is the first one, still in summer time.
    """
    dt = datetime.combine(day, at, tzinfo=tz)
    round_trip = dt.astimezone(UTC).astimezone(tz)
    if round_trip.replace(tzinfo=None) != dt.replace(tzinfo=None):
        return None
    return dt


@dataclass(frozen=True)
class QuickChoice:
    key: str  # today_1800 | tomorrow_1000 | tomorrow_1800
    at: datetime


def quick_choices(now: datetime, tz: ZoneInfo) -> list[QuickChoice]:
    """'Today 18:00' (while it is still ahead), 'tomorrow 10:00' and 'tomorrow 18:00'.

    Built on the local calendar, so 'tomorrow 10:00' on the Saturday before the clocks go back
    is 10:00 GMT on Sunday (25 hours away), not 24 hours from now.
    """
    local = now.astimezone(tz)
    today, tomorrow = local.date(), local.date() + timedelta(days=1)
    out: list[QuickChoice] = []
    for key, day, at in (
        ("today_1800", today, time(18, 0)),
        ("tomorrow_1000", tomorrow, time(10, 0)),
        ("tomorrow_1800", tomorrow, time(18, 0)),
    ):
        dt = local_at(day, at, tz)
        if dt is not None and dt > now:
            out.append(QuickChoice(key, dt))
    return out


_UK_DT = re.compile(
    r"^\s*(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2}|\d{4}))?\s*(?:,|at)?\s+(\d{1,2})[:.](\d{2})\s*$",
    re.IGNORECASE,
)


def parse_uk_datetime(text: str, now: datetime, tz: ZoneInfo) -> datetime | None:
    """'24/11/2026 18:30' (also 24/11/26, 24-11-2026, 24.11 18.30) as an aware local time.

    Without a year, the next such date from `now`. None when malformed or nonexistent.
    """
    m = _UK_DT.match(text)
    if not m:
        return None
    d, mo, y, hh, mm = m.groups()
    if int(hh) > 23 or int(mm) > 59:
        return None
    local_now = now.astimezone(tz)
    year = int(y) + 2000 if y and len(y) == 2 else int(y) if y else local_now.year
    try:
        day = date(year, int(mo), int(d))
    except ValueError:
        return None
    at = time(int(hh), int(mm))
    if not y and datetime.combine(day, at, tzinfo=tz) < local_now:
        try:
            day = day.replace(year=year + 1)
        except ValueError:
            return None
    return local_at(day, at, tz)


# ---------------------------------------------------------------- the campaign calendar


@dataclass(frozen=True)
class PlannedMessage:
    """One campaign message placed on the calendar."""

    key: str
    campaign: Campaign
    message: ScheduledMessage
    at: datetime


def campaign_key(campaign_id: str, year: int, message_id: str) -> str:
    return f"campaign:{campaign_id}:{year}:{message_id}"


def plan_campaign(campaign: Campaign, now: datetime, tz: ZoneInfo) -> list[PlannedMessage]:
    """The messages of the campaign's current or next run that are still ahead of `now`."""
    today = now.astimezone(tz).date()
    run = campaign.occurrence(today)
    if run is None:
        return []
    start, _ = run
    out: list[PlannedMessage] = []
    for msg in campaign.messages:
        day = campaign.day_in_run(msg.day, start)
        at = local_at(day, msg.at, tz) or datetime.combine(day, msg.at, tzinfo=tz)
        if at > now:
            out.append(
                PlannedMessage(campaign_key(campaign.id, start.year, msg.id), campaign, msg, at)
            )
    return out


PICKER_AHEAD = timedelta(days=60)  # officers are offered campaigns starting this soon


def pickable_campaigns(
    campaigns: Sequence[Campaign], today: date, ahead: timedelta = PICKER_AHEAD
) -> list[tuple[Campaign, tuple[date, date]]]:
    """Campaigns with messages that run now or start within `ahead`, with that run; the rest
    (over for this year, or far off) are left out of the officers' content picker."""
    out = []
    for campaign in campaigns:
        run = campaign.occurrence(today)
        if campaign.messages and run is not None and run[0] <= today + ahead:
            out.append((campaign, run))
    return out


def written_for(campaign: Campaign, message: ScheduledMessage, send_day: date) -> date | None:
    """The day a campaign message's text was written for (its `on:`), in the campaign run that
    is current or next on `send_day`; None when the text suits any day."""
    if message.on is None:
        return None
    run = campaign.occurrence(send_day)
    start = run[0] if run is not None else campaign.starts
    return campaign.day_in_run(message.on, start)


def sends_image(image: str | None, text: str) -> bool:
    """A broadcast goes as a photo with caption only when its text fits Telegram's caption."""
    return bool(image) and len(text) <= MAX_CAPTION


def reminder_key(nag_id: str, meeting_day: date) -> str:
    return f"reminder:{nag_id}:{meeting_day.isoformat()}"


@dataclass(frozen=True)
class Progress:
    """Outbox counts of one broadcast."""

    counts: dict[str, int] = field(default_factory=dict)

    def get(self, status: str) -> int:
        return self.counts.get(status, 0)

    @property
    def sent(self) -> int:
        return self.get("sent")

    @property
    def remaining(self) -> int:
        return self.get("pending") + self.get("sending")

    @property
    def blocked(self) -> int:
        return self.get("blocked") + self.get("not_found")

    @property
    def failed(self) -> int:
        return self.get("failed")

    @property
    def total(self) -> int:
        return sum(self.counts.values())

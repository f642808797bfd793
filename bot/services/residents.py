"""Residents and their areas as plain values: choosing an area, the consent answer, leaving an
open area question, the settings (messages, meeting reminders), everything stored about a
person (/mydata) and erasing it (/forget), where they were going while asked for their area
first, and whether the bot can still message them.

The handlers (bot/handlers/areas.py, menu.py, privacy.py) parse the update, call these and
render; retention calls the same erasure. Each feature's own part of a person's data comes in as
plain callables for one chat id, so this module knows no feature and no Telegram.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from bot.content.nags import Nag
from storage.db import Database
from storage.model import AreaQuestion
from storage.residents import Resident, Residents

Collect = Callable[[int], Awaitable[Any]]
Erase = Callable[[int], Awaitable[None]]


@dataclass(frozen=True)
class AreaChosen:
    """The area is stored; `ask_consent` when the resident never answered the consent question."""

    nag: Nag
    ask_consent: bool


Setting = Literal["messages", "reminders"]
SETTINGS: tuple[Setting, ...] = ("messages", "reminders")


@dataclass(frozen=True)
class SettingChanged:
    """A setting pressed: `need_area` when reminders were asked for without an area (nothing
    changed); `resident` as things are now."""

    need_area: bool
    resident: Resident | None


def nag_of(nags: Mapping[str, Nag], resident: Resident | None) -> Nag | None:
    """The resident's NAG, if they have one the content still knows."""
    if resident is None or resident.nag_id is None:
        return None
    return nags.get(resident.nag_id)


async def choose_area(residents: Residents, chat_id: int, nag: Nag, now: datetime) -> AreaChosen:
    """Store `nag` as the resident's area (the area question is answered)."""
    resident = await residents.touch(chat_id, now)
    await residents.set_nag(chat_id, nag.id, now)
    return AreaChosen(nag, ask_consent=resident.consent_at is None)


async def answer_consent(residents: Residents, chat_id: int, yes: bool, now: datetime) -> Resident:
    """Record the explicit opt-in (or refusal) with its time; the resident as it was before."""
    resident = await residents.touch(chat_id, now)
    await residents.set_consent(chat_id, yes, now)
    return resident


def setting_of(name: str) -> Setting | None:
    """The setting a button names (None: not one that can be turned on or off here)."""
    return next((s for s in SETTINGS if s == name), None)


async def change_setting(
    residents: Residents, chat_id: int, item: Setting, on: bool, now: datetime
) -> SettingChanged:
    """Turn campaign messages (consent) or meeting reminders on or off."""
    resident = await residents.touch(chat_id, now)
    # A setting already at the asked value (pressed twice, or an old screen) is left as it is,
    # its time of change included.
    if item == "messages":
        if resident.consent != on:
            await residents.set_consent(chat_id, on, now)
    else:
        if resident.nag_id is None:
            return SettingChanged(need_area=True, resident=resident)
        if resident.remind_meetings != on:
            await residents.set_reminders(chat_id, on, now)
    return SettingChanged(need_area=False, resident=await residents.get(chat_id))


async def leave_area_question(
    residents: Residents, nags: Mapping[str, Nag], chat_id: int, now: datetime
) -> Nag | None:
    """The resident moved on from an open area question: its buttons stop acting; for someone
    without an area an asked question stays asked. The area kept when the location keyboard
    was up and they have one (to say it is unchanged), else None."""
    resident = await residents.get(chat_id)
    if resident is None or resident.area_question is AreaQuestion.NONE:
        return None
    nag = nag_of(nags, resident)
    asked = resident.area_question is AreaQuestion.ASKED
    keep = AreaQuestion.ASKED if asked and nag is None else AreaQuestion.NONE
    await residents.close_area_question(chat_id, now, keep)
    return nag if asked else None


async def wait_for(residents: Residents, chat_id: int, destination: str, now: datetime) -> Resident:
    """Remember where the resident was going ("kind:argument") while they are asked for their
    area or consent first; it survives a restart. The resident as they are now."""
    await residents.touch(chat_id, now)
    await residents.set_pending(chat_id, destination, now)
    resident = await residents.get(chat_id)
    assert resident is not None  # touched just above
    return resident


async def take_destination(
    residents: Residents, nags: Mapping[str, Nag], resident: Resident | None
) -> tuple[str, str] | None:
    """Where the resident was going, as (kind, argument), once they have an area and have
    answered the consent question; taken from their row in one statement, so a button pressed
    twice carries on once. None: nowhere, still being asked, or already taken."""
    if resident is None or resident.pending is None:
        return None
    if nag_of(nags, resident) is None or resident.consent_at is None:
        return None  # still being asked: the destination keeps waiting
    if not await residents.take_pending(resident.chat_id, resident.pending):
        return None
    kind, _, argument = resident.pending.partition(":")
    return kind, argument


async def toggle_reminders(residents: Residents, chat_id: int, now: datetime) -> Resident | None:
    """Meeting reminders on if they were off, off if on; the resident as they are now (None,
    and nothing changed, for a chat without an area)."""
    resident = await residents.get(chat_id)
    if resident is None or resident.nag_id is None:
        return None
    await residents.set_reminders(chat_id, not resident.remind_meetings, now)
    return await residents.get(chat_id)


async def reachable(residents: Residents, chat_id: int, reachable: bool, now: datetime) -> None:
    """The bot can (joined, unblocked) or can no longer (stopped, blocked) message this chat."""
    await residents.set_active(chat_id, reachable, now)


async def collect_everything(parts: Sequence[tuple[str, Collect]], chat_id: int) -> dict[str, Any]:
    """Every part's data about this chat, by section (empty sections left out)."""
    out: dict[str, Any] = {}
    for section, collect in parts:
        data = await collect(chat_id)
        if data:
            out[section] = data
    return out


async def forget_everything(
    db: Database, residents: Residents, erasers: Sequence[Erase], chat_id: int
) -> None:
    """Every part's erase, then the resident's row (whose deletion cascades to the rest)."""
    # One checkpoint at the end scrubs the WAL of every part's erased rows (storage/db.py).
    async with db.erasing():
        for erase in erasers:
            await erase(chat_id)
        await residents.delete(chat_id)


def record(resident: Resident, nags: Mapping[str, Nag]) -> dict[str, Any]:
    """The resident's own row as JSON-able data, for /mydata."""
    r = resident
    nag = nags.get(r.nag_id or "")
    return {
        "chat_id": r.chat_id,
        "area": {"id": r.nag_id, "name": nag.name if nag else None},
        "language": r.language,
        "campaign_messages": r.consent,
        "campaign_messages_changed_at": _iso(r.consent_at),
        "meeting_reminders": r.remind_meetings,
        "found_us_through": r.source,
        "can_receive_messages": r.active,
        "first_used": _iso(r.created_at),
        "last_changed": _iso(r.updated_at),
        "last_used_day": r.last_seen.isoformat() if r.last_seen else None,
        # Whether the bot is waiting for an area answer (none, offered, asked), and the number
        # of area questions so far (old area buttons are recognised by it).
        "area_question": {"open": str(r.area_question), "step": r.area_step},
        "waiting_to_open": r.pending,
        # The /start language question: 'pl?<deep link>' while unanswered, 'pl' once answered.
        "language_question": r.language_offer,
    }


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None

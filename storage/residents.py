"""Residents repository: sign-up, area choice, consent, activity and erasure.

Each resident's row is kept in memory once read or written (`Database.kept_residents`, bounded),
and so is the fact that a chat has no row (`kept_strangers`): most updates read it several times
and change it rarely. Every statement here that changes a
row returns it (`RETURNING *`) and the kept row is replaced at once, or dropped if the
statement failed; other stores that write `residents` (storage/outbox.py) drop what they touch.
Last-seen days are noted in memory (`note_seen`) and written in one transaction by
`flush_seen` (every minute and at stop, bot/handlers/retention.py); reads show a noted day at
once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from storage.db import Database, from_row, ts
from storage.model import AreaQuestion

# A resident created or touched (active again, seen today) with an area question set: the
# start of `touch_and_open` and `ask_area_again`, each of which goes on to set the step.
_SEEN_WITH_A_QUESTION = (
    "INSERT INTO residents (chat_id, language, created_at, updated_at, last_seen,"
    " area_step, area_question) VALUES (?, 'en', ?, ?, ?, 1, ?)"
    " ON CONFLICT (chat_id) DO UPDATE SET active = 1, updated_at = excluded.updated_at,"
    " last_seen = max(COALESCE(residents.last_seen, ''), excluded.last_seen),"
)


@dataclass(frozen=True)
class Resident:
    chat_id: int
    nag_id: str | None
    language: str
    consent: bool
    consent_at: datetime | None
    source: str | None
    active: bool
    remind_meetings: bool
    created_at: datetime
    updated_at: datetime
    last_seen: date | None = None
    pending: str | None = None  # where they were going when asked for an area first
    area_question: AreaQuestion = AreaQuestion.NONE
    area_step: int = 0
    language_offer: str | None = None  # the /start language question (storage/sql/012)

    @property
    def asked_for_area(self) -> bool:
        """Whether an answer naming a place is expected: no area yet, or one was asked for."""
        return self.nag_id is None or self.area_question is not AreaQuestion.NONE


class Residents:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._kept = db.kept_residents
        self._strangers = db.kept_strangers  # chats read and found to have no row
        self._owed = db.seen_owed  # chat id -> last-seen day noted, not yet written
        db.before_close["last-seen days"] = self.flush_seen

    # ------------------------------------------------------------ kept rows

    def _keep(self, row: Any, here: bool = True) -> Resident:
        """The resident of a row just read or returned (with a noted day not yet written), kept
        if nothing else can have changed the row since (`here`: Database.fetchall_where). A
        statement through the database thread may have been overtaken by another task's on the
        loop's connection: then nothing is kept and the next read asks again."""
        resident = from_row(Resident, row)
        day = self._owed.get(resident.chat_id)
        if day is not None and (resident.last_seen is None or resident.last_seen.isoformat() < day):
            resident = replace(resident, last_seen=date.fromisoformat(day))
        if here:
            self._kept.put(resident.chat_id, resident)
            self._strangers.drop(resident.chat_id)
        else:
            self._forget(resident.chat_id)
        return resident

    async def _change(self, chat_id: int, sql: str, params: Sequence[Any]) -> Resident | None:
        """Run one statement that changes this chat's row and ends in `RETURNING *`; the kept
        row follows it (None: no row changed)."""
        try:
            rows, here = await self.db.fetchall_where(sql, params)
        except BaseException:
            self._forget(chat_id)  # the statement may or may not have run
            raise
        if not rows:
            return None
        return self._keep(rows[0], here)

    def _forget(self, chat_id: int) -> None:
        """Nothing known about this chat: the next read asks the database."""
        self._kept.drop(chat_id)
        self._strangers.drop(chat_id)

    async def get(self, chat_id: int) -> Resident | None:
        kept = self._kept.get(chat_id)
        if kept is not None:
            return kept
        if chat_id in self._strangers:
            return None
        rows, here = await self.db.fetchall_where(
            "SELECT * FROM residents WHERE chat_id = ?", (chat_id,)
        )
        if not rows:
            if here:
                self._strangers.put(chat_id, True)
            return None
        return self._keep(rows[0], here)

    async def touch(
        self, chat_id: int, now: datetime, *, source: str | None = None, language: str = "en"
    ) -> Resident:
        """Create the resident if new; mark them active again and seen today; keep the first
        sign-up source."""
        # One upsert statement: atomic on its own, and one hand-off to the database thread.
        resident = await self._change(
            chat_id,
            "INSERT INTO residents (chat_id, language, source, created_at, updated_at, last_seen)"
            " VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (chat_id) DO UPDATE SET active = 1, updated_at = excluded.updated_at,"
            " source = COALESCE(residents.source, excluded.source),"
            " last_seen = max(COALESCE(residents.last_seen, ''), excluded.last_seen)"
            " RETURNING *",
            (chat_id, language, source, ts(now), ts(now), now.date().isoformat()),
        )
        assert resident is not None
        return resident

    async def set_nag(self, chat_id: int, nag_id: str | None, now: datetime) -> None:
        """Set (or, with None, clear) the resident's area; the area question is answered."""
        await self._change(
            chat_id,
            "UPDATE residents SET nag_id = ?, updated_at = ?, area_step = area_step + 1,"
            " area_question = ? WHERE chat_id = ? RETURNING *",
            (nag_id, ts(now), AreaQuestion.NONE, chat_id),
        )

    async def open_area_question(self, chat_id: int, kind: AreaQuestion, now: datetime) -> int:
        """A new area question (earlier buttons stop acting); its step. An offer made while the
        keyboard is up keeps it recorded as up."""
        resident = await self._change(
            chat_id,
            "UPDATE residents SET area_step = area_step + 1, updated_at = ?,"
            " area_question = CASE WHEN area_question = ? THEN area_question ELSE ? END"
            " WHERE chat_id = ? RETURNING *",
            (ts(now), AreaQuestion.ASKED, kind, chat_id),
        )
        return resident.area_step if resident else 0

    async def touch_and_open(self, chat_id: int, kind: AreaQuestion, now: datetime) -> int:
        """`touch` then `open_area_question` in one statement (one hand-off to the database
        thread, not two): the resident is created if new, active again and seen today, and a
        new area question is open; its step."""
        resident = await self._change(
            chat_id,
            _SEEN_WITH_A_QUESTION + " area_step = residents.area_step + 1,"
            " area_question = CASE WHEN residents.area_question = ? THEN residents.area_question"
            " ELSE excluded.area_question END"
            " RETURNING *",
            (chat_id, ts(now), ts(now), now.date().isoformat(), kind, AreaQuestion.ASKED),
        )
        assert resident is not None
        return resident.area_step

    async def ask_area_again(self, chat_id: int, now: datetime) -> int:
        """For a resident with no area (or someone new): `close_area_question` of any question
        open, then `touch` and `touch_and_open(ASKED)`, in one statement, with the row they
        leave: created if new, active again, seen today, the step moved on once for the
        question left (if one was open) and once for the new one, which is open as ASKED; its
        step. (A greeting without an area: three statements and three commits before.)"""
        resident = await self._change(
            chat_id,
            _SEEN_WITH_A_QUESTION + " area_step = residents.area_step"
            " + CASE WHEN residents.area_question = ? THEN 1 ELSE 2 END,"
            " area_question = excluded.area_question"
            " RETURNING *",
            (chat_id, ts(now), ts(now), now.date().isoformat(), AreaQuestion.ASKED,
             AreaQuestion.NONE),
        )  # fmt: skip
        assert resident is not None
        return resident.area_step

    async def close_area_question(
        self, chat_id: int, now: datetime, keep: AreaQuestion = AreaQuestion.NONE
    ) -> None:
        """The area question was answered or left: its buttons stop acting, and `keep` is what
        stays open (ASKED while the share-location keyboard is still up for someone who has no
        area yet)."""
        kept = self._kept.get(chat_id)
        if kept is not None and kept.area_question is AreaQuestion.NONE:
            return  # no question open: the statement would change nothing
        await self._change(
            chat_id,
            "UPDATE residents SET area_step = area_step + 1, area_question = ?, updated_at = ?"
            " WHERE chat_id = ? AND area_question != ? RETURNING *",
            (keep, ts(now), chat_id, AreaQuestion.NONE),
        )

    async def set_consent(self, chat_id: int, consent: bool, now: datetime) -> None:
        await self._change(
            chat_id,
            "UPDATE residents SET consent = ?, consent_at = ?, updated_at = ? WHERE chat_id = ?"
            " RETURNING *",
            (int(consent), ts(now), ts(now), chat_id),
        )

    async def set_pending(self, chat_id: int, pending: str | None, now: datetime) -> None:
        """Remember where the resident was going (None: nowhere) while the bot asks first."""
        await self._change(
            chat_id,
            "UPDATE residents SET pending = ?, updated_at = ? WHERE chat_id = ? RETURNING *",
            (pending, ts(now), chat_id),
        )

    async def take_pending(self, chat_id: int, pending: str) -> bool:
        """Clear `pending` if it is still the resident's destination; True if this call did
        (one statement: two presses at once cannot both carry on to it)."""
        taken = await self._change(
            chat_id,
            "UPDATE residents SET pending = NULL WHERE chat_id = ? AND pending = ? RETURNING *",
            (chat_id, pending),
        )
        return taken is not None

    async def set_language(self, chat_id: int, language: str, now: datetime) -> None:
        await self._change(
            chat_id,
            "UPDATE residents SET language = ?, updated_at = ? WHERE chat_id = ? RETURNING *",
            (language, ts(now), chat_id),
        )

    async def swap_language_offer(self, chat_id: int, old: str | None, new: str) -> bool:
        """Set the /start language question to `new` if it is still `old`; True if this call
        did (one statement: asked once, answered once, whatever a restart or two presses do)."""
        changed = await self._change(
            chat_id,
            "UPDATE residents SET language_offer = ? WHERE chat_id = ? AND language_offer IS ?"
            " RETURNING *",
            (new, chat_id, old),
        )
        return changed is not None

    async def language_of(self, chat_id: int) -> str | None:
        """The resident's language (None for someone who is not a resident)."""
        kept = self._kept.get(chat_id)
        if kept is not None:
            return kept.language
        if chat_id in self._strangers:
            return None
        row = await self.db.fetchone("SELECT language FROM residents WHERE chat_id = ?", (chat_id,))
        return str(row[0]) if row else None

    async def set_reminders(self, chat_id: int, on: bool, now: datetime) -> None:
        await self._change(
            chat_id,
            "UPDATE residents SET remind_meetings = ?, updated_at = ? WHERE chat_id = ?"
            " RETURNING *",
            (int(on), ts(now), chat_id),
        )

    async def stop_messages(self, chat_id: int, now: datetime) -> None:
        """/stop: no campaign messages and no meeting reminders (one statement; nobody, no-op)."""
        await self._change(
            chat_id,
            "UPDATE residents SET consent = 0, consent_at = ?, remind_meetings = 0,"
            " updated_at = ? WHERE chat_id = ? RETURNING *",
            (ts(now), ts(now), chat_id),
        )

    async def set_active(self, chat_id: int, active: bool, now: datetime) -> None:
        await self._change(
            chat_id,
            "UPDATE residents SET active = ?, updated_at = ? WHERE chat_id = ? RETURNING *",
            (int(active), ts(now), chat_id),
        )

    async def delete(self, chat_id: int) -> int:
        """Erase the resident; tables that reference residents cascade. No copy of the rows
        stays in the WAL (Database.erased)."""
        self._forget(chat_id)
        self._owed.pop(chat_id, None)
        try:
            n = await self.db.execute("DELETE FROM residents WHERE chat_id = ?", (chat_id,))
        finally:
            self._forget(chat_id)  # a read while the statement waited may have kept it
        await self.db.erased()
        return n

    # ------------------------------------------------------------ last seen

    def note_seen(self, chat_id: int, day: str) -> None:
        """The resident used the bot on `day` (ISO): written by the next `flush_seen`, shown by
        `get` at once. A chat that is not a resident costs nothing at the flush."""
        if self._owed.get(chat_id, "") < day:
            self._owed[chat_id] = day
        kept = self._kept.get(chat_id)
        if kept is not None and (kept.last_seen is None or kept.last_seen.isoformat() < day):
            self._kept.put(chat_id, replace(kept, last_seen=date.fromisoformat(day)))

    async def flush_seen(self) -> int:
        """Write every noted last-seen day in one transaction; how many chats were written.
        On a failure (DatabaseUnavailable) nothing is lost: the days stay noted for the next
        flush."""
        if not self._owed:
            return 0
        owed = list(self._owed.items())
        async with self.db.transaction() as tx:
            await tx.executemany(
                "UPDATE residents SET last_seen = max(COALESCE(last_seen, ''), ?)"
                " WHERE chat_id = ?",
                [(day, chat_id) for chat_id, day in owed],
            )
        for chat_id, day in owed:
            if self._owed.get(chat_id) == day:  # not noted again (a later day) meanwhile
                del self._owed[chat_id]
        return len(owed)

    async def mark_seen(self, chat_id: int, day: str) -> bool:
        """Record the day the resident last used the bot now; False if there is no such
        resident."""
        resident = await self._change(
            chat_id,
            "UPDATE residents SET last_seen = max(COALESCE(last_seen, ''), ?) WHERE chat_id = ?"
            " RETURNING *",
            (day, chat_id),
        )
        return resident is not None

    async def expired(self, before_day: str, limit: int = 500) -> list[int]:
        """Chats whose last use (or sign-up, if never seen since) is before `before_day` (the
        days noted but not yet written are written first)."""
        await self.flush_seen()
        rows = await self.db.fetchall(
            "SELECT chat_id FROM residents WHERE COALESCE(last_seen, substr(created_at, 1, 10)) < ?"
            " LIMIT ?",
            (before_day, limit),
        )
        return [r[0] for r in rows]

    async def count_audience(self, nag_ids: list[str] | None) -> int:
        sql = "SELECT COUNT(*) FROM residents WHERE consent = 1 AND active = 1"
        params: list[str] = []
        if nag_ids is not None:
            sql += f" AND nag_id IN ({','.join('?' * len(nag_ids))})"
            params = list(nag_ids)
        row = await self.db.fetchone(sql, params)
        return int(row[0]) if row else 0

"""Answering a survey: sessions, answers as they are given, completion and anonymisation.

Part of SurveyStore (storage/surveys.py). It keeps the in-memory set of respondents with a
survey in progress in step with the rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from storage.db import Database, ts
from storage.survey_types import (
    RS,
    Answer,
    Response,
    as_response,
    random_id,
    unlinked_key,
    week_of,
)


class SurveyAnswering:
    """A respondent's way through a survey (a mixin of SurveyStore)."""

    db: Database
    _open: set[str]
    on_complete: Callable[[], None] | None

    async def load_open(self) -> None:
        self._open = await self.open_respondents()

    def is_open(self, respondent: str) -> bool:
        return respondent in self._open

    async def _refresh(self, respondent: str) -> None:
        row = await self.db.fetchone(
            f"SELECT 1 FROM survey_responses WHERE respondent = ? AND status = '{RS.OPEN}' LIMIT 1",
            (respondent,),
        )
        if row is None:
            self._open.discard(respondent)
        else:
            self._open.add(respondent)

    # ------------------------------------------------------------------ sessions

    async def open_respondents(self) -> set[str]:
        """Respondent keys with a survey in progress (the in-memory filter is built from this)."""
        rows = await self.db.fetchall(
            f"SELECT DISTINCT respondent FROM survey_responses WHERE status = '{RS.OPEN}'"
        )
        return {r[0] for r in rows}

    async def get(self, response_id: int) -> Response | None:
        row = await self.db.fetchone("SELECT * FROM survey_responses WHERE id = ?", (response_id,))
        return as_response(row) if row else None

    async def current(self, respondent: str) -> Response | None:
        """The respondent's survey in progress whose question is in the chat (at most one is:
        showing another pauses it), else the most recently used one."""
        row = await self.db.fetchone(
            f"SELECT * FROM survey_responses WHERE respondent = ? AND status = '{RS.OPEN}'"
            " ORDER BY message_id IS NOT NULL DESC, updated_at DESC, id DESC LIMIT 1",
            (respondent,),
        )
        return as_response(row) if row else None

    async def find(self, survey_id: str, respondent: str, status: str) -> Response | None:
        row = await self.db.fetchone(
            "SELECT * FROM survey_responses WHERE survey_id = ? AND respondent = ? AND status = ?"
            " ORDER BY id DESC LIMIT 1",
            (survey_id, respondent, status),
        )
        return as_response(row) if row else None

    async def has_completed(self, survey_id: str, respondent: str) -> bool:
        row = await self.db.fetchone(
            "SELECT 1 FROM survey_completions WHERE survey_id = ? AND respondent = ?",
            (survey_id, respondent),
        )
        return row is not None

    async def start(
        self, survey_id: str, respondent: str, nag_id: str | None, first: str, now: datetime
    ) -> Response:
        async with self.db.transaction() as tx:
            # The next positive id, explicitly: SQLite's default (largest id + 1) would follow
            # the random negative ids of finished anonymous responses and give one of them away.
            rid = await tx.insert(
                "INSERT INTO survey_responses"
                " (id, survey_id, respondent, nag_id, current, step, started_on, updated_at)"
                " VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM survey_responses WHERE id > 0),"
                " ?, ?, ?, ?, 1, ?, ?)",
                (survey_id, respondent, nag_id, first, now.date().isoformat(), ts(now)),
            )
            row = await tx.fetchone("SELECT * FROM survey_responses WHERE id = ?", (rid,))
        assert row is not None
        self._open.add(respondent)
        return as_response(row)

    async def touch(self, response_id: int, now: datetime) -> None:
        """Make this the respondent's current survey (when resumed from /survey)."""
        await self.db.execute(
            "UPDATE survey_responses SET updated_at = ? WHERE id = ?", (ts(now), response_id)
        )

    async def open_of(self, respondent: str) -> list[Response]:
        """The respondent's surveys in progress."""
        rows = await self.db.fetchall(
            f"SELECT * FROM survey_responses WHERE respondent = ? AND status = '{RS.OPEN}'"
            " ORDER BY id",
            (respondent,),
        )
        return [as_response(r) for r in rows]

    async def set_message(self, response_id: int, message_id: int | None) -> None:
        """Record which message shows the response's current question (None: no message does)."""
        await self.db.execute(
            f"UPDATE survey_responses SET message_id = ? WHERE id = ? AND status = '{RS.OPEN}'",
            (message_id, response_id),
        )

    async def answers(self, response_id: int) -> dict[str, Answer]:
        rows = await self.db.fetchall(
            "SELECT question_id, rank, value FROM survey_answers WHERE response_id = ?"
            " ORDER BY question_id, rank",
            (response_id,),
        )
        out: dict[str, Answer] = {}
        for r in rows:
            if r["value"] is None:
                out[r["question_id"]] = None
            else:
                prev = out.get(r["question_id"]) or ()
                out[r["question_id"]] = (*prev, r["value"])
        return out

    async def save_answer(
        self,
        response_id: int,
        question_id: str,
        answer: Answer,
        next_question: str | None,
        now: datetime,
    ) -> None:
        """Store one answer and move on, in one transaction (a crash loses nothing given).

        The question's message now shows an answered question, so no message is recorded as
        showing the next one until the caller has sent it (`set_message`).
        """
        async with self.db.transaction() as tx:
            await tx.execute(
                "DELETE FROM survey_answers WHERE response_id = ? AND question_id = ?",
                (response_id, question_id),
            )
            values: Sequence[str | None] = answer if answer is not None else (None,)
            await tx.executemany(
                "INSERT INTO survey_answers (response_id, question_id, rank, value)"
                " VALUES (?, ?, ?, ?)",
                [(response_id, question_id, i, v) for i, v in enumerate(values)],
            )
            await tx.execute(
                "UPDATE survey_responses SET current = ?, step = step + 1, draft = NULL,"
                " message_id = NULL, updated_at = ? WHERE id = ?",
                (next_question, ts(now), response_id),
            )

    async def move(
        self, response_id: int, question_id: str, now: datetime, message_id: int | None
    ) -> None:
        """Go to another question without answering (Back), shown in `message_id`."""
        await self.db.execute(
            "UPDATE survey_responses SET current = ?, step = step + 1, draft = NULL,"
            " message_id = ?, updated_at = ? WHERE id = ?",
            (question_id, message_id, ts(now), response_id),
        )

    async def set_draft(self, response_id: int, picks: Iterable[str], now: datetime) -> None:
        """Picks of a multi-choice question before Done, kept so a restart keeps them too."""
        await self.db.execute(
            "UPDATE survey_responses SET draft = ?, updated_at = ? WHERE id = ?",
            (json.dumps(list(picks)), ts(now), response_id),
        )

    async def complete(
        self,
        response: Response,
        keep: Iterable[str],
        *,
        anonymous: bool,
        now: datetime,
        today: str,
    ) -> None:
        """Finish: drop answers left off the final path, record completion, unlink if anonymous.

        An anonymous response is moved to a random id under a random token, with the week (its
        Monday) in place of every date, so nothing on it points back to the resident or to when
        they answered; the completion note keeps no time and no link to the row.
        """
        keep = list(keep)
        async with self.db.transaction() as tx:
            marks = ",".join("?" * len(keep)) or "''"
            await tx.execute(
                "DELETE FROM survey_answers WHERE response_id = ?"
                f" AND question_id NOT IN ({marks})",
                (response.id, *keep),
            )
            if anonymous:
                week, new_id = week_of(today), random_id()
                await tx.execute(
                    "INSERT INTO survey_responses (id, survey_id, respondent, nag_id, status,"
                    " step, started_on, updated_at, completed_on)"
                    f" SELECT ?, survey_id, ?, nag_id, '{RS.COMPLETE}', 0, ?, ?, ?"
                    " FROM survey_responses WHERE id = ?",
                    (new_id, unlinked_key(), week, week, week, response.id),
                )
                await tx.execute(
                    "UPDATE survey_answers SET response_id = ? WHERE response_id = ?",
                    (new_id, response.id),
                )
                await tx.execute("DELETE FROM survey_responses WHERE id = ?", (response.id,))
            else:
                await tx.execute(
                    f"UPDATE survey_responses SET status = '{RS.COMPLETE}', current = NULL,"
                    " draft = NULL, message_id = NULL, step = step + 1, completed_on = ?,"
                    " updated_at = ?, started_on = ? WHERE id = ?",
                    (today, ts(now), today, response.id),
                )
            await tx.execute(
                "INSERT OR IGNORE INTO survey_completions (survey_id, respondent) VALUES (?, ?)",
                (response.survey_id, response.respondent),
            )
        if anonymous:  # the answers as they were, under the pseudonym, must not stay in the WAL
            await self.db.erased()
        await self._refresh(response.respondent)
        if self.on_complete is not None:
            self.on_complete()

    async def reopen(self, response_id: int, first: str, now: datetime) -> None:
        """Let a resident change the answers of a finished (non-anonymous) response."""
        await self.db.execute(
            f"UPDATE survey_responses SET status = '{RS.OPEN}', current = ?, step = step + 1,"
            " draft = NULL, message_id = NULL, completed_on = NULL, updated_at = ? WHERE id = ?",
            (first, ts(now), response_id),
        )
        row = await self.db.fetchone(
            "SELECT respondent FROM survey_responses WHERE id = ?", (response_id,)
        )
        if row is not None:
            self._open.add(row[0])

    async def cancel(
        self, response_id: int, now: datetime, *, forget_completion: bool = False
    ) -> None:
        """Stop a survey: its answers are deleted; the row only counts towards completion rates.
        `forget_completion`: the response was a finished one reopened to change answers, so the
        note that the respondent finished the survey goes too (they may answer it again)."""
        async with self.db.transaction() as tx:
            row = await tx.fetchone(
                "SELECT respondent, survey_id FROM survey_responses WHERE id = ?", (response_id,)
            )
            if forget_completion and row is not None:
                await tx.execute(
                    "DELETE FROM survey_completions WHERE survey_id = ? AND respondent = ?",
                    (row["survey_id"], row["respondent"]),
                )
            await tx.execute("DELETE FROM survey_answers WHERE response_id = ?", (response_id,))
            # Unlinked like a finished anonymous response: only the week remains.
            week = week_of(now.date().isoformat())
            await tx.execute(
                f"UPDATE survey_responses SET status = '{RS.CANCELLED}', current = NULL,"
                " draft = NULL, message_id = NULL, respondent = ?, step = step + 1,"
                " started_on = ?, updated_at = ? WHERE id = ?",
                (unlinked_key(), week, week, response_id),
            )
        await self.db.erased()  # the deleted answers
        if row is not None:
            await self._refresh(row[0])

"""Survey responses repository: sessions, answers as they are given, completion, erasure, results.

All survey SQL lives here. Responses are keyed by a pseudonymous respondent key computed by the
caller (never a chat id). Aggregations are done with GROUP BY so results for 100,000 responses
stay fast; exports stream rows in batches.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from storage.db import Database, Tx, from_row, ts
from storage.model import ResponseStatus

RS = ResponseStatus  # short, inside SQL text

# An answer: the chosen values in order (one for most types), or None when skipped.
Answer = tuple[str, ...] | None


@dataclass(frozen=True)
class Response:
    id: int
    survey_id: str
    respondent: str
    nag_id: str | None
    status: ResponseStatus
    current: str | None
    step: int
    draft: tuple[str, ...] | None  # picks not yet confirmed with Done (None: no draft)
    started_on: date
    completed_on: date | None
    # The message showing the current question (None: not known, or the response isn't open).
    message_id: int | None = None


@dataclass(frozen=True)
class SurveyCounts:
    """Raw aggregates for one group of completed responses (a filter, or one NAG-week block)."""

    completed: int
    # question_id -> number of completed responses that answered it (not skipped)
    answered: dict[str, int]
    # question_id -> value -> number of responses that chose it
    values: dict[str, dict[str, int]]
    # question_id -> value -> sum of the 0-based ranks it was given ("top N" ordering)
    ranks: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class AnswerRow:
    response_id: int
    nag_id: str | None
    completed_on: str | None
    question_id: str
    rank: int
    value: str | None


def _response(r: sqlite3.Row) -> Response:
    # NULL draft: no picks changed yet, the question shows the saved answer; "[]" is a draft with
    # every pick taken off, which must not fall back to the saved answer.
    return from_row(Response, r)


def _unlinked() -> str:
    """A random key that replaces the pseudonym on rows that must no longer be linkable."""
    return "anon:" + secrets.token_hex(12)


def week_of(day: str) -> str:
    """The Monday of the ISO week holding `day` (YYYY-MM-DD): all an anonymous row keeps."""
    d = date.fromisoformat(day[:10])
    return (d - timedelta(days=d.weekday())).isoformat()


def _random_id() -> int:
    """A random row id for a finished anonymous response.

    Ids handed out in order would tell the order people started in, which residents' timestamps
    could be matched against. Negative, so SQLite's next id for a new response (largest + 1)
    never depends on them.
    """
    return -1 - secrets.randbelow(2**62)


# SQLite: the Monday of the week holding a date (a Monday stays itself).
WEEK_SQL = "date({}, 'weekday 0', '-6 days')"


def _filters(nag_id: str | None, since: str | None) -> tuple[str, list[str]]:
    sql, params = "", []
    if nag_id is not None:
        sql += " AND r.nag_id = ?"
        params.append(nag_id)
    if since is not None:
        # Anonymous responses keep only their week, so a start date selects its whole week.
        sql += f" AND r.completed_on >= {WEEK_SQL.format('?')}"
        params.append(since)
    return sql, params


class SurveyStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        # Respondent keys with a survey in progress, mirrored in memory so the message filter can
        # decide without a query; loaded at start-up and kept in step by the methods below.
        self._open: set[str] = set()
        # Called after each completed response (the bot's metrics count them; no argument, so
        # nothing about the respondent leaves this module).
        self.on_complete: Callable[[], None] | None = None

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
        return _response(row) if row else None

    async def current(self, respondent: str) -> Response | None:
        """The respondent's survey in progress whose question is in the chat (at most one is:
        showing another pauses it), else the most recently used one."""
        row = await self.db.fetchone(
            f"SELECT * FROM survey_responses WHERE respondent = ? AND status = '{RS.OPEN}'"
            " ORDER BY message_id IS NOT NULL DESC, updated_at DESC, id DESC LIMIT 1",
            (respondent,),
        )
        return _response(row) if row else None

    async def find(self, survey_id: str, respondent: str, status: str) -> Response | None:
        row = await self.db.fetchone(
            "SELECT * FROM survey_responses WHERE survey_id = ? AND respondent = ? AND status = ?"
            " ORDER BY id DESC LIMIT 1",
            (survey_id, respondent, status),
        )
        return _response(row) if row else None

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
        return _response(row)

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
        return [_response(r) for r in rows]

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
                week, new_id = week_of(today), _random_id()
                await tx.execute(
                    "INSERT INTO survey_responses (id, survey_id, respondent, nag_id, status,"
                    " step, started_on, updated_at, completed_on)"
                    f" SELECT ?, survey_id, ?, nag_id, '{RS.COMPLETE}', 0, ?, ?, ?"
                    " FROM survey_responses WHERE id = ?",
                    (new_id, _unlinked(), week, week, week, response.id),
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
                (_unlinked(), week, week, response_id),
            )
        await self.db.erased()  # the deleted answers
        if row is not None:
            await self._refresh(row[0])

    # ------------------------------------------------------------------ privacy

    async def erase(self, respondent: str) -> int:
        """Delete every response and completion marker linkable to this respondent (/forget)."""
        async with self.db.transaction() as tx:
            n = await tx.execute("DELETE FROM survey_responses WHERE respondent = ?", (respondent,))
            await tx.execute("DELETE FROM survey_completions WHERE respondent = ?", (respondent,))
        await self.db.erased()
        self._open.discard(respondent)
        return n

    async def responses_of(self, respondent: str) -> list[Response]:
        """Every response still linked to this respondent, oldest first (/mydata)."""
        rows = await self.db.fetchall(
            "SELECT * FROM survey_responses WHERE respondent = ? ORDER BY id", (respondent,)
        )
        return [_response(r) for r in rows]

    async def completed_surveys(self, respondent: str) -> list[str]:
        rows = await self.db.fetchall(
            "SELECT survey_id FROM survey_completions WHERE respondent = ? ORDER BY survey_id",
            (respondent,),
        )
        return [r[0] for r in rows]

    # ------------------------------------------------------------------ results

    async def overview(self) -> dict[str, tuple[int, int]]:
        """survey_id -> (responses started, responses completed)."""
        rows = await self.db.fetchall(
            f"SELECT survey_id, COUNT(*), SUM(status = '{RS.COMPLETE}') FROM survey_responses"
            " GROUP BY survey_id"
        )
        return {r[0]: (int(r[1]), int(r[2] or 0)) for r in rows}

    async def counts(
        self, survey_id: str, nag_id: str | None = None, since: str | None = None
    ) -> SurveyCounts:
        """Counts per question and value over completed responses, computed by SQLite."""
        where, params = _filters(nag_id, since)
        base = (
            f"FROM survey_responses r WHERE r.survey_id = ? AND r.status = '{RS.COMPLETE}'{where}"
        )
        async with self.db.reading() as tx:
            row = await tx.fetchone(f"SELECT COUNT(*) {base}", (survey_id, *params))
            completed = int(row[0]) if row else 0
            # A response holds a value at most once per question (primary key and the flow's
            # toggles), so COUNT(*) counts responses; rank 0 rows count answered questions.
            if nag_id is None:
                # Whole survey: walk the (question, value) index in order, so SQLite groups
                # without sorting a million rows; the IN list keeps completed responses only.
                sql = (
                    "SELECT a.question_id, a.value, COUNT(*), SUM(a.rank = 0)"
                    " FROM survey_answers a INDEXED BY survey_answers_values"
                    " WHERE a.response_id IN (SELECT r.id FROM survey_responses r"
                    f" WHERE r.survey_id = ? AND r.status = '{RS.COMPLETE}'{where})"
                    " GROUP BY a.question_id, a.value"
                )
            else:
                # One NAG: find its responses first, then their answers.
                sql = (
                    "SELECT a.question_id, a.value, COUNT(*), SUM(a.rank = 0)"
                    " FROM survey_responses r JOIN survey_answers a ON a.response_id = r.id"
                    f" WHERE r.survey_id = ? AND r.status = '{RS.COMPLETE}'{where}"
                    " GROUP BY a.question_id, a.value"
                )
            rows = await tx.fetchall(sql, (survey_id, *params))
        values: dict[str, dict[str, int]] = {}
        answered: dict[str, int] = {}
        for qid, value, n, firsts in rows:
            if value is not None:
                values.setdefault(qid, {})[value] = int(n)
                answered[qid] = answered.get(qid, 0) + int(firsts or 0)
        return SurveyCounts(completed=completed, answered=answered, values=values)

    async def blocks(
        self, survey_id: str, question_id: str | None = None, *, answers: bool = True
    ) -> dict[tuple[str | None, str], SurveyCounts]:
        """Counts per (NAG, week) of completed responses: the pieces every filtered result and
        every comparison between results is made of. `question_id` limits the answer counts to
        one question (the per-NAG top three); `answers=False` counts responses only."""
        week = WEEK_SQL.format("r.completed_on")
        base = f"FROM survey_responses r WHERE r.survey_id = ? AND r.status = '{RS.COMPLETE}'"
        only = " AND a.question_id = ?" if question_id else ""
        async with self.db.reading() as tx:
            totals = await tx.fetchall(
                f"SELECT r.nag_id, {week}, COUNT(*) {base} GROUP BY 1, 2", (survey_id,)
            )
            if not answers:
                return {(nag, w): SurveyCounts(int(n), {}, {}) for nag, w, n in totals}
            rows = await tx.fetchall(
                f"SELECT r.nag_id, {week}, a.question_id, a.value, COUNT(*), SUM(a.rank = 0),"
                " SUM(a.rank) FROM survey_responses r JOIN survey_answers a"
                f" ON a.response_id = r.id WHERE r.survey_id = ? AND r.status = '{RS.COMPLETE}'"
                f" AND a.value IS NOT NULL{only} GROUP BY 1, 2, 3, 4",
                (survey_id, question_id) if question_id else (survey_id,),
            )
        out = {(nag, w): SurveyCounts(int(n), {}, {}, {}) for nag, w, n in totals}
        for nag, w, qid, value, n, firsts, ranks in rows:
            c = out[(nag, w)]
            c.values.setdefault(qid, {})[value] = int(n)
            c.ranks.setdefault(qid, {})[value] = int(ranks or 0)
            c.answered[qid] = c.answered.get(qid, 0) + int(firsts or 0)
        return out

    async def iterate_answers(
        self,
        survey_id: str,
        nag_id: str | None = None,
        since: str | None = None,
        batch: int = 2000,
    ) -> AsyncIterator[list[AnswerRow]]:
        """Answers of completed responses in response order, in batches (flat memory)."""
        where, params = _filters(nag_id, since)
        sql = (
            "SELECT r.id, r.nag_id, r.completed_on, a.question_id, a.rank, a.value"
            " FROM survey_responses r LEFT JOIN survey_answers a ON a.response_id = r.id"
            f" WHERE r.survey_id = ? AND r.status = '{RS.COMPLETE}'{where}"
            " ORDER BY r.id, a.question_id, a.rank"
        )
        async for rows in self.db.iterate(sql, (survey_id, *params), batch=batch):
            yield [AnswerRow(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]

    # ------------------------------------------------------------------ "you said, we did"

    async def results_sent(self, survey_id: str) -> bool:
        row = await self.db.fetchone(
            "SELECT 1 FROM survey_results_sent WHERE survey_id = ?", (survey_id,)
        )
        return row is not None

    async def mark_results_sent(self, survey_id: str, now: datetime) -> bool:
        """Record that results went out; False if they already had (so they never go twice)."""
        n = await self.db.execute(
            "INSERT OR IGNORE INTO survey_results_sent (survey_id, sent_at) VALUES (?, ?)",
            (survey_id, ts(now)),
        )
        return n > 0

    async def participants(self, survey_id: str) -> set[str]:
        rows = await self.db.fetchall(
            "SELECT respondent FROM survey_completions WHERE survey_id = ?", (survey_id,)
        )
        return {r[0] for r in rows}

    async def opted_in_residents(self, batch: int = 1000) -> AsyncIterator[list[tuple[int, str]]]:
        """(chat_id, nag_id) of residents who agreed to messages and have not blocked the bot."""
        async for rows in self.db.iterate(
            "SELECT chat_id, COALESCE(nag_id, '') FROM residents WHERE consent = 1 AND active = 1"
            " ORDER BY chat_id",
            batch=batch,
        ):
            yield [(int(r[0]), str(r[1])) for r in rows]

    # ------------------------------------------------------------------ bulk (benchmarks, tests)

    async def insert_completed(
        self,
        survey_id: str,
        responses: Iterable[tuple[str | None, str, dict[str, tuple[str, ...] | None]]],
    ) -> int:
        """Insert finished anonymous responses (nag_id, completed_on, answers) in one go, stored
        as the bot stores them: random ids, the week instead of the day."""
        n = 0
        async with self.db.transaction() as tx:
            for nag_id, day, answers in responses:
                rid = await _insert_response(tx, survey_id, nag_id, day)
                rows: list[tuple[int, str, int, str | None]] = []
                for qid, ans in answers.items():
                    values: Sequence[str | None] = ans if ans is not None else (None,)
                    rows.extend((rid, qid, i, v) for i, v in enumerate(values))
                await tx.executemany(
                    "INSERT INTO survey_answers (response_id, question_id, rank, value)"
                    " VALUES (?, ?, ?, ?)",
                    rows,
                )
                n += 1
        return n


async def _insert_response(tx: Tx, survey_id: str, nag_id: str | None, day: str) -> int:
    rid, week = _random_id(), week_of(day)
    await tx.execute(
        "INSERT INTO survey_responses (id, survey_id, respondent, nag_id, status, step,"
        f" started_on, updated_at, completed_on) VALUES (?, ?, ?, ?, '{RS.COMPLETE}', 0, ?, ?, ?)",
        (rid, survey_id, _unlinked(), nag_id, week, week, week),
    )
    return rid

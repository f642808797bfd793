"""Survey results: aggregates by GROUP BY, streamed exports, "you said, we did", bulk loading.

Part of SurveyStore (storage/surveys.py). Aggregations are done by SQLite so results for 100,000
responses stay fast; exports stream rows in batches.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import datetime

from storage.db import Database, Tx, ts
from storage.survey_types import RS, AnswerRow, SurveyCounts, random_id, unlinked_key, week_of

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


class SurveyResultQueries:
    """What completed responses add up to (a mixin of SurveyStore)."""

    db: Database

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
    rid, week = random_id(), week_of(day)
    await tx.execute(
        "INSERT INTO survey_responses (id, survey_id, respondent, nag_id, status, step,"
        f" started_on, updated_at, completed_on) VALUES (?, ?, ?, ?, '{RS.COMPLETE}', 0, ?, ?, ?)",
        (rid, survey_id, unlinked_key(), nag_id, week, week, week),
    )
    return rid

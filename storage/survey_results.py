"""Survey results: aggregates, streamed exports, "you said, we did", bulk loading.

Part of SurveyStore (storage/surveys.py). Results are added up from a running tally per survey,
NAG, week, question and value that triggers keep as responses complete or change (migration
012), so results for 100,000 responses read a few thousand rows; exports stream rows in batches.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import datetime

from storage.db import Database, Tx, ts
from storage.survey_types import RS, AnswerRow, SurveyCounts, random_id, unlinked_key, week_of

# SQLite: the Monday of the week holding a date (a Monday stays itself).
WEEK_SQL = "date({}, 'weekday 0', '-6 days')"


def _filters(
    nag_id: str | None, since: str | None, nag: str = "r.nag_id", week: str = "r.completed_on"
) -> tuple[str, list[str]]:
    """The WHERE conditions of the NAG and start filters, on responses (or the tally's columns)."""
    sql, params = "", []
    if nag_id is not None:
        sql += f" AND {nag} = ?"
        params.append(nag_id)
    if since is not None:
        # Anonymous responses keep only their week, so a start date selects its whole week.
        sql += f" AND {week} >= {WEEK_SQL.format('?')}"
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
        """Counts per question and value over completed responses (of one NAG, from the week
        holding `since`), added up from the running tally (migration 013)."""
        where, more = _filters(nag_id, since, nag="nag", week="week")
        params = [survey_id, *more]
        async with self.db.reading() as tx:
            row = await tx.fetchone(
                f"SELECT COALESCE(SUM(completed), 0) FROM survey_tally_totals"
                f" WHERE survey_id = ?{where}",
                params,
            )
            completed = int(row[0]) if row else 0
            rows = await tx.fetchall(
                "SELECT question_id, value, SUM(n), SUM(firsts) FROM survey_tally"
                f" WHERE survey_id = ?{where} GROUP BY question_id, value HAVING SUM(n) > 0",
                params,
            )
        values: dict[str, dict[str, int]] = {}
        answered: dict[str, int] = {}
        for qid, value, n, firsts in rows:
            values.setdefault(qid, {})[value] = int(n)
            answered[qid] = answered.get(qid, 0) + int(firsts or 0)
        return SurveyCounts(completed=completed, answered=answered, values=values)

    async def blocks(
        self, survey_id: str, question_id: str | None = None, *, answers: bool = True
    ) -> dict[tuple[str | None, str], SurveyCounts]:
        """Counts per (NAG, week) of completed responses: the pieces every filtered result and
        every comparison between results is made of, read from the running tally (migration
        013). `question_id` limits the answer counts to one question (the per-NAG top three);
        `answers=False` counts responses only."""
        only = " AND question_id = ?" if question_id else ""
        async with self.db.reading() as tx:
            totals = await tx.fetchall(
                "SELECT nag, week, completed FROM survey_tally_totals"
                " WHERE survey_id = ? AND completed > 0",
                (survey_id,),
            )
            out = {(nag or None, w): SurveyCounts(int(n), {}, {}, {}) for nag, w, n in totals}
            if not answers:
                return out
            rows = await tx.fetchall(
                "SELECT nag, week, question_id, value, n, firsts, ranks FROM survey_tally"
                f" WHERE survey_id = ? AND n > 0{only}",
                (survey_id, question_id) if question_id else (survey_id,),
            )
        for nag, w, qid, value, n, firsts, ranks in rows:
            c = out[(nag or None, w)]
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

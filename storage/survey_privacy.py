"""A respondent's survey data: erasing it (/forget) and showing it (/mydata).

Part of SurveyStore (storage/surveys.py).
"""

from __future__ import annotations

from storage.db import Database
from storage.survey_types import Response, as_response


class SurveyPrivacy:
    """Everything still linked to one respondent key (a mixin of SurveyStore)."""

    db: Database
    _open: set[str]

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
        return [as_response(r) for r in rows]

    async def completed_surveys(self, respondent: str) -> list[str]:
        rows = await self.db.fetchall(
            "SELECT survey_id FROM survey_completions WHERE respondent = ? ORDER BY survey_id",
            (respondent,),
        )
        return [r[0] for r in rows]

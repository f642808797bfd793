"""Survey responses repository (filled in by the surveys feature)."""

from __future__ import annotations

from storage.db import Database


class SurveyStore:
    def __init__(self, db: Database) -> None:
        self.db = db

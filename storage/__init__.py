"""All SQL lives here: one aiosqlite connection, numbered migrations, repositories of dataclasses.

Nothing in storage/ imports from bot/.
"""

from storage.db import Database

__all__ = ["Database"]

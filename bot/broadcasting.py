"""The broadcast service's old address: the workflows are bot/services/broadcasts.py's (no
Telegram, for any front end), their jobs and notices on Telegram bot/handlers/broadcasting.py's.
These names stay importable from here."""

from __future__ import annotations

from bot.handlers.broadcasting import JOB_PREFIX, BroadcastService, job_name
from bot.services.broadcasts import Broadcasts, Jobs, Officers

__all__ = ["JOB_PREFIX", "BroadcastService", "Broadcasts", "Jobs", "Officers", "job_name"]

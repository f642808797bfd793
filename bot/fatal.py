"""A fatal condition while running (a revoked token, the Bot API answering nonsense, the database
file deleted under the bot): stop, so that `run` exits non-zero with the reason and a supervisor
restarts the bot or pages someone.

Called by the transport (bot/telegram/polling.py's on_fatal, wired in bot/app.py) and by the
database watch (bot/dbwatch.py); the admins get an alert where one can still go out.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram.ext import Application

from bot.context import services_of
from bot.ops.status import Problem

logger = logging.getLogger(__name__)


def stop_fatally(app: Application[Any, Any, Any, Any, Any, Any], reason: str) -> None:
    """Record why (once), raise the problem for alerts and /readyz, and stop the Application."""
    s = services_of(app)
    if s.fatal is None:
        s.fatal = reason
        logger.error("Stopping: %s", reason)
        # An admin alert where one can still go out (not with a revoked token, but the log has it)
        problem = Problem.TOKEN_REFUSED if "token" in reason else Problem.STOPPED
        s.status.raise_problem(problem, reason)
        app.stop_running()

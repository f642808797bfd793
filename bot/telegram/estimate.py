"""The officer's preview of a broadcast: how long it takes, and what it costs in Telegram Stars.

Split from bot/telegram/pacing.py (issue 21): it changes with the broadcast wizard, not with the
pacer (bot.telegram.pacing still re-exports `estimate` and `Estimate`). Imports neither
telegram nor the database.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bot.telegram.limits import PAID_LIMIT, STARS_PER_PAID_MESSAGE, TELEGRAM_LIMIT


@dataclass(frozen=True)
class Estimate:
    """How long a broadcast to `recipients` takes, and what it costs in Telegram Stars."""

    recipients: int
    rate: float  # messages per second it is paced at
    seconds: float
    paid: bool
    billed_messages: int  # paid sends above the free limit (what Telegram bills)
    stars: float  # billed_messages x stars per message
    stars_at_most: float  # if every paid send were billed


def estimate(
    recipients: int,
    *,
    rate: float = float(TELEGRAM_LIMIT),
    paid: bool = False,
    paid_rate: float = float(PAID_LIMIT),
    stars_per_message: float = STARS_PER_PAID_MESSAGE,
    free_limit: float = float(TELEGRAM_LIMIT),
    efficiency: float = 0.97,
) -> Estimate:
    """Duration and cost of sending one message to each of `recipients`.

    Free: paced at `rate` (at most Telegram's 30/s); the pacer reaches about `efficiency` of it
    (measured: bench/README.md, section 5). Paid: at `paid_rate`, with Telegram billing each
    message above its free limit (0.1 Star each): about recipients x (1 - 30 / paid_rate).
    `stars_at_most` is the bound if every message carrying allow_paid_broadcast were billed.
    """
    recipients = max(0, recipients)
    pace = min(paid_rate, PAID_LIMIT) if paid else min(rate, free_limit)
    pace = max(pace * efficiency, 1e-9)
    duration = recipients / pace
    billed = 0
    if paid:
        billed = max(0, recipients - math.floor(free_limit * duration))
    return Estimate(
        recipients=recipients,
        rate=pace,
        seconds=duration,
        paid=paid,
        billed_messages=billed,
        stars=round(billed * stars_per_message, 1),
        stars_at_most=round(recipients * stars_per_message, 1) if paid else 0.0,
    )

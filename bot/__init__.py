"""SaferMK community-engagement Telegram bot."""

import os

# python-telegram-bot 22.2+ returns time periods (RetryAfter.retry_after and the like) as ints
# with a deprecation warning, and as datetime.timedelta once PTB_TIMEDELTA is set; the next major
# version makes timedelta the only form. The bot reads them through
# bot.telegram.pace_parts.seconds(), which takes either, so it opts in now: the same values, no
# warning from python-telegram-bot's own RetryAfter constructor on every 429, and nothing to
# change when the default flips.
os.environ.setdefault("PTB_TIMEDELTA", "1")

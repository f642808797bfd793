"""Telegram's limits, defined once for content checks, rendering, buttons and the Bot API double."""

TELEGRAM_LIMIT = 30  # messages per second overall, Telegram's documented free ceiling
PAID_LIMIT = 1000  # messages per second with allow_paid_broadcast
STARS_PER_PAID_MESSAGE = 0.1  # Telegram's fee per message above the free limit
MAX_MESSAGE = 4096  # characters of a message's text
MAX_CAPTION = 1024  # characters of a photo or document caption
MAX_BUTTON_LABEL = 64  # characters we allow on a button (Telegram cuts long labels on phones)
MAX_CALLBACK_DATA = 64  # bytes of a button's callback data
MAX_CALLBACK_ANSWER = 200  # characters of a callback answer (toast)
MAX_COMMAND_DESCRIPTION = 256  # characters of a command's description in the menu
MAX_SHORT_NAME = 28  # characters of a NAG's short name: one button row on a phone
MAX_SCREEN = 600  # characters residents should read in one message: one phone screen (an aim)
MAX_SENTENCE_WORDS = 20  # words per sentence, GOV.UK's plain-English aim

"""SaferMK community-engagement Telegram bot."""

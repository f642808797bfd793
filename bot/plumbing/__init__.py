"""Plumbing every layer may use: reading the config file (config.py and its sections), the
secret files beside the database, logging, the clock and the per-update runtime values. No
Telegram, no SQL, no feature: the application (bot/), the transport (bot/telegram/) and the
front ends build on it."""

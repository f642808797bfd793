"""Operations: what the bot knows about its own health, for /readyz, /metrics and admin alerts."""

"""Callback data: short prefixes, encode/decode, and Telegram's 64-byte limit."""

from __future__ import annotations

MAX_BYTES = 64
SEP = ":"

AREA = "a"  # a:<nag_id>        choose this NAG
CONSENT = "c"  # c:y / c:n       campaign messages opt-in
ICS = "i"  # i:<nag_id>         calendar file
REMIND = "r"  # r:<nag_id>      toggle meeting reminders
CHANGE = "ch"  # ch             change area
MEET = "m"  # m:<nag_id>        meetings of any NAG
OTHER = "mo"  # mo              list NAGs to look up
FORGET = "f"  # f:y / f:n
CAMPAIGN = "cp"  # cp:<campaign_id>


def encode(prefix: str, *parts: str | int) -> str:
    data = SEP.join([prefix, *(str(p) for p in parts)])
    if len(data.encode("utf-8")) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
    return data


def decode(data: str | None) -> tuple[str, list[str]]:
    if not data:
        return "", []
    prefix, *parts = data.split(SEP)
    return prefix, parts


def pattern(prefix: str) -> str:
    """Regex for CallbackQueryHandler(pattern=...)."""
    return rf"^{prefix}(?::|$)"

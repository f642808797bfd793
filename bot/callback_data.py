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
SURVEY = "sv"  # sv:<response>:<step>:<question>:<action>[:<option>]  answer a survey question
SURVEY_OPEN = "so"  # so:<survey_id>  open a survey from /survey
SURVEY_CHANGE = "sc"  # sc:<survey_id>  change the answers of a finished survey
RESULTS = "rs"  # rs:<survey_id>  officer: results of a survey
RATE = "br"  # br:<broadcast_id>:1|0  resident rates a broadcast message
BCAST = "bw"  # bw:<step>[:<value>...]  officer: the /broadcast wizard
BCANCEL = "bx"  # bx:<broadcast_id>  officer: cancel a scheduled or running broadcast
BRETIME = "bt"  # bt:<broadcast_id>  officer: change the time of a scheduled broadcast
BNOW = "bn"  # bn:<broadcast_id>  officer: send a scheduled broadcast now


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

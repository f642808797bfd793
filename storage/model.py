"""The storage vocabulary: statuses, kinds and audiences as types, shared by the SQL and Python.

Every status or kind stored in a column is a `StrEnum` here, used both in the SQL constants of
storage/ and in bot/ (a typo is a NameError, not a silent no-match). The audience of a broadcast
has one owner, `Audience`: it is written to and read from its JSON column only here. Pure: no SQL,
no aiosqlite, so bot/domain may import it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class BroadcastKind(StrEnum):
    OFFICER = "officer"  # written by an officer in /broadcast
    CAMPAIGN = "campaign"  # from the campaign calendar in content
    REMINDER = "reminder"  # a NAG meeting reminder
    SURVEY_RESULTS = "survey_results"  # "you said, we did": one text per recipient


class AreaQuestion(StrEnum):
    """The area question open with a resident (residents.area_question)."""

    NONE = "none"
    OFFERED = "offered"  # a choice or "Is this right?" with buttons, no keyboard of ours up
    ASKED = "asked"  # "Where do you live?": the share-location keyboard is up


class BroadcastStatus(StrEnum):
    SCHEDULED = "scheduled"
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


ACTIVE = (BroadcastStatus.SCHEDULED, BroadcastStatus.SENDING)
ENDED = (BroadcastStatus.DONE, BroadcastStatus.CANCELLED, BroadcastStatus.EXPIRED)


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # the request may be in flight: a hard kill repeats at most these
    SENT = "sent"
    BLOCKED = "blocked"
    NOT_FOUND = "not_found"
    FAILED = "failed"
    SKIPPED = "skipped"  # no longer subscribed when their turn came
    CANCELLED = "cancelled"
    EXPIRED = "expired"


FINAL = (OutboxStatus.BLOCKED, OutboxStatus.NOT_FOUND, OutboxStatus.FAILED, OutboxStatus.SKIPPED)


class Requires(StrEnum):
    """What a resident must still have when a broadcast reaches them."""

    CONSENT = "consent"
    REMINDERS = "reminders"
    ACTIVE = "active"


class AudienceKind(StrEnum):
    ALL = "all"
    NAGS = "nags"
    SURVEY = "survey"  # residents who took a survey
    REMINDER = "reminder"  # residents of NAGs who asked for meeting reminders
    PERSONAL = "personal"  # rows written with their own text when enqueued


class AuditAction(StrEnum):
    SCHEDULE = "schedule"
    CANCEL = "cancel"
    SEND_NOW = "send_now"
    CHANGE = "change"
    EXPIRE = "expire"


class ResponseStatus(StrEnum):
    OPEN = "open"
    COMPLETE = "complete"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Audience:
    """Who a broadcast goes to."""

    kind: AudienceKind = AudienceKind.ALL
    nags: tuple[str, ...] = ()
    survey: str | None = None

    def to_json(self) -> str:
        return json.dumps(
            {"kind": str(self.kind), "nags": list(self.nags), "survey": self.survey},
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, raw: str) -> Audience:
        d = json.loads(raw)
        return cls(
            kind=AudienceKind(d.get("kind", "all")),
            nags=tuple(d.get("nags") or ()),
            survey=d.get("survey"),
        )

    @property
    def requires(self) -> Requires:
        """What a resident must still have for the message to go to them when it is sent."""
        if self.kind == AudienceKind.REMINDER:
            return Requires.REMINDERS
        if self.kind == AudienceKind.PERSONAL:
            return Requires.ACTIVE
        return Requires.CONSENT


@dataclass(frozen=True)
class BroadcastSpec:
    """Everything needed to create a broadcast (one place instead of fourteen arguments)."""

    kind: BroadcastKind
    text: str | None  # final HTML (None: each recipient's own text in the outbox)
    audience: Audience
    send_at: datetime
    key: str | None = None  # stable id of automatic ones: creating twice keeps the first
    ref: str | None = None  # campaign, NAG or survey id
    image: str | None = None
    urgent: bool = False
    ratings: bool = True
    created_by: int | None = None
    fingerprint: str | None = None
    detail: str | None = None  # for the audit trail
    # (language, HTML): the text for residents who read that language (broadcast_texts)
    translations: tuple[tuple[str, str], ...] = ()

    @property
    def requires(self) -> Requires:
        return self.audience.requires

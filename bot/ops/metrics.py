"""The bot's Prometheus metrics: one `Metrics` (and one CollectorRegistry) per Application.

A registry of its own rather than prometheus-client's global one, so that tests and benchmarks
that build many Applications in one process never clash over metric names.

What may be a label value: an update's kind, a Bot API method name, an outcome, a broadcast
row's status, a safeguarding category id from the content, a problem key. Never a chat id, a
name or any text a person sent. On the hot paths (every update, every Bot API call) the labelled
children are bound once and reused, so a count is one `.inc()` (a few microseconds).

Counters move as things happen; gauges that describe the database (outbox depth, the oldest due
row's age), the pacer and the open problems are set at scrape time (`scraped`).
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterable
from functools import partial
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bot.ops.status import OpsStatus, Problem

PREFIX = "safermk"
KINDS = ("message", "callback_query", "my_chat_member", "other")
OUTCOMES = ("ok", "429", "403", "5xx", "network", "other")
BROADCAST_OUTCOMES = ("sent", "blocked", "not_found", "failed", "skipped", "pending")
REFUSALS = ("secret", "bad_request")
# A successful call of one of these while handling an update is a reply (edits included: a
# button press is often answered by editing the message it was under).
REPLY_METHODS = frozenset(
    {
        "sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup", "sendLocation",
        "copyMessage", "editMessageText", "editMessageCaption", "editMessageReplyMarkup",
    }
)  # fmt: skip
MAX_API_CHILDREN = 512  # (method URL, status) pairs remembered; the Bot API has ~150 methods
DB_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0)

# True in the task handling an update (set by `update_seen`, the first handler to run): tells a
# reply from a broadcast send or a job's message, which run in tasks of their own.
_IN_UPDATE: contextvars.ContextVar[bool] = contextvars.ContextVar("in_update", default=False)


def outcome_of(status: int) -> str:
    """The outcome label of a Bot API answer's HTTP status (0: no answer)."""
    if status == 200:
        return "ok"
    if status == 0:
        return "network"
    if status in (429, 403):
        return str(status)
    if 500 <= status < 600:
        return "5xx"
    return "other"


def method_of(url: str) -> str:
    """The Bot API method of a request URL ({api_url}/bot{token}/{method}): the last part."""
    return url[url.rfind("/") + 1 :]


def _count_of(counts: Any, attr: str) -> float:
    return float(getattr(counts, attr))


class Metrics:
    """The counters, histogram and gauges of one running bot."""

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        updates = Counter(f"{PREFIX}_updates", "Updates handled, by kind", ["kind"], registry=r)
        self._kinds = {k: updates.labels(kind=k) for k in KINDS}
        self.replies = Counter(
            f"{PREFIX}_replies_sent", "Messages sent or edited in answer to updates", registry=r
        )
        self.handler_errors = Counter(
            f"{PREFIX}_handler_errors", "Errors that reached the error handler", registry=r
        )
        self._api = Counter(
            f"{PREFIX}_bot_api_calls",
            "Bot API calls by method and outcome (ok, 429, 403, 5xx, network, other)",
            ["method", "outcome"],
            registry=r,
        )
        self._api_children: dict[tuple[str, int], tuple[Any, bool]] = {}
        broadcast = Counter(
            f"{PREFIX}_broadcast_messages",
            "Broadcast messages by outcome (sent, blocked, not_found, failed, skipped, pending)",
            ["outcome"],
            registry=r,
        )
        self._broadcast = {o: broadcast.labels(outcome=o) for o in BROADCAST_OUTCOMES}
        self._safeguarding_counter = Counter(
            f"{PREFIX}_safeguarding_replies",
            "Safeguarding replies by category (counts only)",
            ["category"],
            registry=r,
        )
        self._safeguarding: dict[str, Any] = {}
        self.survey_completions = Counter(
            f"{PREFIX}_survey_completions", "Survey responses completed", registry=r
        )
        self.db_seconds = Histogram(
            f"{PREFIX}_db_seconds",
            "Seconds per database transaction or read, waiting for the connection included",
            buckets=DB_BUCKETS,
            registry=r,
        )
        refused = Counter(
            f"{PREFIX}_webhook_refused",
            "Webhook requests refused: wrong or missing secret (403), bad body (400)",
            ["reason"],
            registry=r,
        )
        self._refused = {k: refused.labels(reason=k) for k in REFUSALS}
        self.webhook_updates = Counter(
            f"{PREFIX}_webhook_updates", "Updates accepted from the webhook", registry=r
        )
        self._gauges(r)

    def _gauges(self, r: CollectorRegistry) -> None:
        """The gauges set at scrape time."""
        self.outbox_due = Gauge(
            f"{PREFIX}_outbox_due_rows", "Outbox rows due to be sent now", registry=r
        )
        self.outbox_oldest = Gauge(
            f"{PREFIX}_outbox_oldest_due_seconds",
            "How long the oldest due outbox row has waited (0: none)",
            registry=r,
        )
        self.pacing_rate = Gauge(
            f"{PREFIX}_pacing_rate_per_second", "The pacer's current rate of sends", registry=r
        )
        self.api_silence = Gauge(
            f"{PREFIX}_bot_api_silent_seconds",
            "Seconds since the last successful Bot API call",
            registry=r,
        )
        problems = Gauge(
            f"{PREFIX}_problem_open", "1 while the problem is open, else 0", ["problem"], registry=r
        )
        self._problems = {p: problems.labels(problem=p.value) for p in Problem}

    def watch_flood(self, counts: Any) -> None:
        """The update processor's flood counters (bot/telegram/processing.py), read at scrape
        time."""
        for name, attr, doc in (
            (
                "flood_dropped_messages",
                "dropped",
                "Surplus messages dropped (a newer one was answered)",
            ),
            (
                "flood_backlog_dropped",
                "backlog_dropped",
                "Updates dropped from a full per-chat line",
            ),
            ("flood_slow_down_lines", "slowed", "Slow-down lines sent to residents over budget"),
        ):
            gauge = Gauge(f"{PREFIX}_{name}", doc, registry=self.registry)
            gauge.set_function(partial(_count_of, counts, attr))

    # ---------------------------------------------------------------- hot paths

    def update_seen(self, update: Any) -> None:
        """Count an update by kind; what this task sends from now on is a reply."""
        _IN_UPDATE.set(True)
        if update.message is not None:
            self._kinds["message"].inc()
        elif update.callback_query is not None:
            self._kinds["callback_query"].inc()
        elif update.my_chat_member is not None:
            self._kinds["my_chat_member"].inc()
        else:
            self._kinds["other"].inc()

    def api_call(self, url: str, status: int) -> None:
        """Count one Bot API exchange (bot/telegram/http.py's observer); a reply when it is one."""
        bound = self._api_children.get((url, status))
        if bound is None:
            bound = self._bind_api(url, status)
        bound[0].inc()
        if bound[1] and _IN_UPDATE.get():
            self.replies.inc()

    def _bind_api(self, url: str, status: int) -> tuple[Any, bool]:
        method = method_of(url)
        if len(self._api_children) >= MAX_API_CHILDREN or not method.isalnum():
            method = "other"  # never an unbounded label set (nor a malformed one)
        bound = (
            self._api.labels(method=method, outcome=outcome_of(status)),
            status == 200 and method in REPLY_METHODS,
        )
        if len(self._api_children) < MAX_API_CHILDREN:
            self._api_children[(url, status)] = bound
        return bound

    def broadcast_outcome(self, status: str) -> None:
        child = self._broadcast.get(status)
        if child is not None:
            child.inc()

    def safeguarding(self, categories: Iterable[str]) -> None:
        for category in categories:
            child = self._safeguarding.get(category)
            if child is None:
                child = self._safeguarding[category] = self._safeguarding_counter.labels(
                    category=category
                )
            child.inc()

    def refused(self, reason: str) -> None:
        self._refused[reason].inc()

    # ---------------------------------------------------------------- scrape time

    def scraped(
        self,
        status: OpsStatus,
        outbox: tuple[int, float] | None,
        pacing_rate: float | None,
    ) -> bytes:
        """Set the gauges from the state now and render the text exposition format."""
        if outbox is not None:
            self.outbox_due.set(outbox[0])
            self.outbox_oldest.set(outbox[1])
        if pacing_rate is not None:
            self.pacing_rate.set(pacing_rate)
        silent = status.api_silent_for()
        if silent is not None:
            self.api_silence.set(max(0.0, silent.total_seconds()))
        for problem, child in self._problems.items():
            child.set(1 if status.is_open(problem) else 0)
        return generate_latest(self.registry)

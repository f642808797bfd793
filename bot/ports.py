"""What `Services` (bot/context.py) holds of the parts built after it, as Protocols.

The composition root builds the broadcast delivery (bot/delivery.py) and the broadcast service
(bot/services/broadcasts.py; on Telegram, bot/handlers/broadcasting.py) with the services
object, and those modules import bot/context.py. So the context names them here only by what
the rest of the bot calls on them: this module imports only storage/ and a service's plain
values, and the import graph stays free of circles (tests/test_import_graph.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.services.officers import Scheduled
from storage.broadcasts import Broadcast
from storage.model import BroadcastKind, BroadcastSpec


@dataclass(frozen=True)
class Created:
    broadcast: Broadcast


@dataclass(frozen=True)
class Duplicate:
    """The same text to the same audience within the duplicate window: ask again first."""

    other: Broadcast


class DeliveryPort(Protocol):
    """The paced outbox sender (bot/delivery.py: Delivery)."""

    # Told every send's fate (went out?, why not) and every outcome's status: alerts, metrics.
    on_send_result: Callable[[bool, str], None] | None
    on_outcome: Callable[[str], None] | None

    def kick(self) -> None: ...

    async def run_due(self) -> None: ...

    async def wait_idle(self) -> None: ...

    async def stop(self) -> None: ...


class BroadcastingPort(Protocol):
    """Every workflow around a broadcast (bot/services/broadcasts.py: Broadcasts)."""

    def kick(self) -> None: ...

    async def create(self, spec: BroadcastSpec, *, force: bool = False) -> Created | Duplicate: ...

    async def rebuild_jobs(self) -> int: ...

    async def scheduled(self) -> Scheduled: ...

    async def cancel(
        self,
        broadcast_id: int,
        officer: int | None,
        detail: str | None = None,
        expected_due: datetime | None = None,
    ) -> bool: ...

    async def send_now(
        self,
        broadcast_id: int,
        officer: int,
        expected_due: datetime | None = None,
        *,
        urgent: bool = False,
    ) -> Broadcast | None: ...

    async def retime(
        self,
        broadcast_id: int,
        at: datetime,
        officer: int,
        expected_due: datetime | None = None,
    ) -> Broadcast | None: ...

    def send_time(self, planned: datetime, urgent: bool) -> datetime: ...

    async def expire_overdue(self) -> list[int]: ...

    async def send_notices(self) -> int: ...

    async def enqueue_personal(
        self, kind: BroadcastKind, ref: str, messages: Sequence[tuple[int, str]]
    ) -> int: ...


class ConsolePort(Protocol):
    """The officers' web console's server (bot/console/server.py: ConsoleServer)."""

    @property
    def url(self) -> str: ...

    def signin_url(self, token: str) -> str: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

"""Admin alerts: one Telegram message per problem to each admin, one when it is over, no spam.

Driven through the real Application against the Bot API double: the alert is a real
sendMessage to the admin's chat; officers who are not admins hear nothing.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.fatal import stop_fatally
from bot.ops import readiness
from bot.ops.status import Problem
from tests.conftest import ADMIN_ID, OFFICER_ID, close_harness, make_harness
from tests.fakes.botapi import Failure
from tests.faults import RESET, accepted, add_residents, fault_harness, officer_broadcast


async def settle(h) -> None:  # noqa: ANN001
    alerts = h.services.alerts
    assert alerts is not None
    await alerts.drain()


async def test_delivery_failing_for_minutes_tells_the_admin_once_and_when_it_is_over(
    tmp_path, content
):
    h, request, vt = await fault_harness(
        tmp_path,
        content,
        extra='broadcast: {quiet_hours: ""}\nalerts: {delivery_failing_minutes: 0.2}',
    )
    start = h.clock.now()
    vt.hooks.append(lambda t: _set(h, start + timedelta(seconds=t)))
    chats = await add_residents(h, range(1000, 1060))
    await officer_broadcast(h)
    # Every send to a resident fails for the first 40 virtual seconds, then Telegram is back.
    request.plan = lambda method, params: (
        RESET if vt.now() < 40 and 1000 <= int(params.get("chat_id", 0)) < 2000 else None
    )
    async with asyncio.timeout(30):  # a hang detector, not a timing assertion
        await h.services.delivery.run_due()
    await settle(h)

    alerts = h.api.texts(ADMIN_ID)
    assert len(alerts) == 2, alerts
    assert "broadcast messages are not going out" in alerts[0]
    assert "ClientOSError" not in alerts[0] and "NetworkError" in alerts[0]
    assert "recovered" in alerts[1]
    assert h.api.texts(OFFICER_ID) == [], "only admins get alerts"
    assert sum(accepted(h.api).values()) > 0 and set(accepted(h.api)) <= set(chats)
    assert not h.services.status.is_open(Problem.DELIVERY_FAILING)
    await close_harness(h)


async def _set(h, at) -> None:  # noqa: ANN001
    h.clock.set(at)


async def test_a_problem_that_comes_back_within_the_cooldown_is_not_repeated(tmp_path, content):
    h = await make_harness(tmp_path, content, config_extra="alerts: {cooldown_minutes: 60}")
    status = h.services.status
    status.raise_problem(Problem.OUTBOX_STUCK, "oldest due message waited 20 minutes")
    status.raise_problem(Problem.OUTBOX_STUCK, "oldest due message waited 25 minutes")  # open
    status.clear_problem(Problem.OUTBOX_STUCK)
    h.clock.advance(minutes=10)
    status.raise_problem(Problem.OUTBOX_STUCK, "again")  # within the hour: log only
    await settle(h)
    texts = h.api.texts(ADMIN_ID)
    assert len(texts) == 2 and "stuck in the outbox" in texts[0] and "25 minutes" not in texts[0]
    assert "recovered" in texts[1]

    status.clear_problem(Problem.OUTBOX_STUCK)  # nobody was told of the repeat: no "recovered"
    h.clock.advance(minutes=61)
    status.raise_problem(Problem.OUTBOX_STUCK, "once more")
    await settle(h)
    texts = h.api.texts(ADMIN_ID)
    assert len(texts) == 3 and "once more" in texts[2]
    await close_harness(h)


async def test_a_silent_bot_api_is_a_problem_and_a_good_call_ends_it(tmp_path, content):
    h = await make_harness(tmp_path, content, config_extra="http: {api_silence_seconds: 300}")
    status = h.services.status
    status.api_ok()
    h.clock.advance(minutes=4)
    await readiness.check(h.services)
    assert not status.open_problems()
    h.clock.advance(minutes=2)
    await readiness.check(h.services)
    assert status.is_open(Problem.BOT_API_UNREACHABLE)
    await readiness.check(h.services)  # still silent: no second message
    status.api_ok()
    await settle(h)
    texts = h.api.texts(ADMIN_ID)
    assert len(texts) == 2 and "cannot reach Telegram" in texts[0] and "recovered" in texts[1]
    await close_harness(h)


async def test_an_alert_that_cannot_be_sent_is_logged_and_the_bot_goes_on(
    tmp_path, content, caplog
):
    h = await make_harness(tmp_path, content)
    h.api.fail_next("sendMessage", Failure(500, "Internal Server Error"), times=10)
    h.services.status.raise_problem(Problem.DATABASE_UNWRITABLE, "the database is read-only")
    await settle(h)
    assert not [c for _, c in h.api.send_times if c == ADMIN_ID], "Telegram refused every try"
    assert "Could not send an admin alert" in caplog.text
    assert h.services.status.is_open(Problem.DATABASE_UNWRITABLE), "still known for /readyz"
    await close_harness(h)


async def test_a_fatal_stop_raises_the_problem_and_tries_to_tell_the_admin(tmp_path, content):
    h = await make_harness(tmp_path, content)
    stop_fatally(h.app, "the Bot API answered getUpdates with something else")
    await settle(h)
    assert h.services.fatal is not None
    assert h.services.status.is_open(Problem.STOPPED)
    texts = h.api.texts(ADMIN_ID)
    assert len(texts) == 1 and "stopped itself" in texts[0] and "getUpdates" in texts[0]
    await close_harness(h)


async def test_an_expired_broadcast_is_told_by_its_notice_not_a_second_alert(tmp_path, content):
    h = await make_harness(tmp_path, content)
    h.services.status.raise_problem(Problem.BROADCAST_EXPIRED, "broadcast 3, 7.0 h late")
    h.services.status.clear_problem(Problem.BROADCAST_EXPIRED)
    await settle(h)
    assert h.api.texts(ADMIN_ID) == []
    await close_harness(h)

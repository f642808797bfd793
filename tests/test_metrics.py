"""/metrics' counters through the real Application (the in-process double): updates by kind,
safeguarding replies by category, survey completions, broadcast outcomes, database time, the
outbox gauges and OUTBOX_STUCK; and nothing personal in any label."""

from __future__ import annotations

from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from bot.app import build_application, make_services
from bot.content import Content
from bot.ops import readiness
from bot.ops.metrics import Metrics, outcome_of
from bot.ops.status import Problem
from bot.plumbing.config import load_config
from tests import builders as b
from tests.conftest import Harness, close_harness, write_config
from tests.fakes.botapi import Failure
from tests.test_delivery import add_residents, harness, officer_broadcast
from tests.test_safety import BY_CATEGORY
from tests.test_surveys import answer_safety_yes_route

CHAT = 515151
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(h: Harness) -> tuple[Samples, str]:
    s = h.services
    text = s.metrics.scraped(s.status, await readiness.outbox_state(s), 30.0).decode()
    out: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out, text


async def test_updates_by_kind_and_safeguarding_by_category_carry_no_personal_data(
    harness: Harness,
):
    await harness.send(CHAT, BY_CATEGORY["fire"])
    await harness.press(CHAT, "nothing-known")
    await harness.push(b.member_update(CHAT, "kicked"))
    m, text = await scrape(harness)
    assert m[("safermk_updates_total", (("kind", "message"),))] == 1
    assert m[("safermk_updates_total", (("kind", "callback_query"),))] == 1
    assert m[("safermk_updates_total", (("kind", "my_chat_member"),))] == 1
    assert m[("safermk_safeguarding_replies_total", (("category", "fire"),))] == 1
    assert m[("safermk_db_seconds_count", ())] > 0
    assert str(CHAT) not in text and "smoke" not in text and "Resident" not in text


async def test_survey_completions_are_counted(harness: Harness):
    await answer_safety_yes_route(harness)
    m, _ = await scrape(harness)
    assert m[("safermk_survey_completions_total", ())] == 1


async def test_broadcast_outcomes_and_a_stuck_outbox(tmp_path: Path, content: Content):
    h = await harness(tmp_path, content)
    try:
        await add_residents(h, [1000, 1001, 1002])
        h.api.block(1002)
        bid = await officer_broadcast(h)
        s = h.services
        broadcast = await s.broadcasts.get(bid)
        assert broadcast is not None
        await s.broadcasts.materialise(broadcast, h.clock.now())
        h.clock.advance(minutes=20)  # past http.outbox_stuck_seconds (15 minutes)
        m, _ = await scrape(h)
        assert m[("safermk_outbox_due_rows", ())] == 3
        assert m[("safermk_outbox_oldest_due_seconds", ())] == 20 * 60
        ready = await readiness.check(s)
        assert not ready.ready and s.status.is_open(Problem.OUTBOX_STUCK)
        await s.delivery.run_due()
        m, _ = await scrape(h)
        assert m[("safermk_broadcast_messages_total", (("outcome", "sent"),))] == 2
        assert m[("safermk_broadcast_messages_total", (("outcome", "blocked"),))] == 1
        assert m[("safermk_outbox_due_rows", ())] == 0
        # The in-process double's transport tells nobody of its calls: say one succeeded (the
        # 20 virtual minutes would otherwise count as the Bot API's silence).
        s.status.api_ok()
        assert (await readiness.check(s)).ready
        assert not s.status.is_open(Problem.OUTBOX_STUCK)
    finally:
        await close_harness(h)


async def test_handler_errors_are_counted(harness: Harness):
    harness.api.fail_next("sendMessage", Failure(500, "Internal Server Error"))
    await harness.app.process_update(b.to_update(b.text_update(CHAT, "/help"), harness.app.bot))
    assert harness.errors, "the failure reached the error handlers"
    harness.errors.clear()
    m, _ = await scrape(harness)
    assert m[("safermk_handler_errors_total", ())] == 1


def test_outcomes_of_bot_api_answers():
    assert [outcome_of(c) for c in (200, 429, 403, 502, 0, 400, 401)] == [
        "ok", "429", "403", "5xx", "network", "other", "other",
    ]  # fmt: skip


def test_bot_api_calls_are_labelled_by_method_never_by_url():
    m = Metrics()
    url = "https://api.telegram.org/bot12345:SECRET/sendMessage"
    for code in (200, 200, 429):
        m.api_call(url, code)
    m.api_call("https://api.telegram.org/bot1:S/weird-method?x", 200)
    text = m.scraped(_Status(), None, None).decode()
    assert 'safermk_bot_api_calls_total{method="sendMessage",outcome="ok"} 2.0' in text
    assert 'safermk_bot_api_calls_total{method="sendMessage",outcome="429"} 1.0' in text
    assert 'method="other"' in text and "SECRET" not in text and "weird" not in text


def test_metrics_off_installs_no_hooks(tmp_path: Path, content: Content):
    services = make_services(load_config(write_config(tmp_path), env={}), content)
    app = build_application(services, metrics=False)
    assert services.db.on_timed is None and services.surveys.on_complete is None
    assert -1000 not in app.handlers
    on = make_services(load_config(write_config(tmp_path), env={}), content)
    app = build_application(on)
    assert on.db.on_timed is not None and -1000 in app.handlers


class _Status:
    """The part of OpsStatus `scraped` reads."""

    def api_silent_for(self) -> None:
        return None

    def is_open(self, problem: Problem) -> bool:
        return False

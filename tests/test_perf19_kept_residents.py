"""Resident rows kept in memory (storage/residents.py) stay what the database holds: a resident
the outbox finds blocked, one who used /forget and one retention deleted are seen at once, by
the bot's own reads and by what it answers; the kept rows are bounded."""

from __future__ import annotations

from datetime import timedelta

from bot import callback_data as cd
from bot.handlers.retention import purge_expired
from storage.broadcast_types import Outcome
from storage.db import KEPT_RESIDENTS
from storage.kept import Kept
from storage.model import AreaQuestion, OutboxStatus
from tests.conftest import Harness, close_harness
from tests.fakes.botapi import Failure
from tests.test_delivery import harness as delivery_harness
from tests.test_delivery import officer_broadcast
from tests.test_mydata import json_of

CHAT = 515151


async def test_a_resident_the_outbox_finds_blocked_is_inactive_at_once(tmp_path, content):
    h = await delivery_harness(tmp_path, content)
    await h.send(CHAT, "/start nag_fishermead")
    await h.press(CHAT, cd.Consent(True).pack())
    kept = await h.services.residents.get(CHAT)
    assert kept is not None and kept.active and CHAT in h.db.kept_residents

    def blocked(method: str, params: dict) -> Failure | None:
        if method == "sendMessage" and int(params["chat_id"]) == CHAT:
            return Failure(403, "Forbidden: bot was blocked by the user")
        return None

    h.api.responder = blocked
    await officer_broadcast(h)
    await h.services.delivery.run_due()
    assert (await h.rows("SELECT active FROM residents WHERE chat_id = ?", (CHAT,)))[0] == {
        "active": 0
    }
    resident = await h.services.residents.get(CHAT)
    assert resident is not None and not resident.active, "the bot's read sees the 403 at once"
    h.api.responder = None
    await h.send(CHAT, "/mydata")
    assert (await json_of(h, CHAT))["you"]["can_receive_messages"] is False
    await close_harness(h)


async def test_the_outbox_single_403_and_batch_record_both_drop_the_kept_row(harness: Harness):
    h = harness
    await h.settle_in(CHAT)
    bid = await officer_broadcast(h)
    outbox = h.services.broadcasts  # the outbox's part of the broadcast store
    assert (await h.services.residents.get(CHAT)).active  # type: ignore[union-attr]
    await outbox.mark_blocked(bid, CHAT, "Forbidden", h.clock.now())
    assert not (await h.services.residents.get(CHAT)).active  # type: ignore[union-attr]
    await h.services.residents.set_active(CHAT, True, h.clock.now())
    assert (await h.services.residents.get(CHAT)).active  # type: ignore[union-attr]
    blocked = Outcome(bid, CHAT, OutboxStatus.BLOCKED, attempts=1, at=h.clock.now())
    await outbox.record([blocked])
    assert not (await h.services.residents.get(CHAT)).active  # type: ignore[union-attr]


async def test_forget_is_seen_at_once(harness: Harness):
    h = harness
    await h.send(CHAT, "/start nag_fishermead")
    await h.send(CHAT, "/nag")
    assert CHAT in h.db.kept_residents
    await h.send(CHAT, "/forget")
    await h.press_newest(CHAT, cd.Forget(True).pack())
    assert await h.services.residents.get(CHAT) is None
    assert await h.rows("SELECT * FROM residents WHERE chat_id = ?", (CHAT,)) == []
    # Their next words are a stranger's: asked for an area, nothing remembered.
    await h.send(CHAT, "hello")
    resident = await h.services.residents.get(CHAT)
    assert resident is None or resident.nag_id is None


async def test_retention_deletion_is_seen_at_once(harness: Harness):
    h = harness
    await h.send(CHAT, "/start nag_fishermead")
    assert (await h.services.residents.get(CHAT)).nag_id == "fishermead"  # type: ignore[union-attr]
    h.clock.advance(days=366)
    assert await purge_expired(h.services) == 1
    assert CHAT not in h.db.kept_residents
    assert await h.services.residents.get(CHAT) is None


async def test_a_failed_write_drops_the_kept_row(harness: Harness):
    h = harness
    await h.settle_in(CHAT)
    assert CHAT in h.db.kept_residents
    await h.db.execute("PRAGMA query_only = 1")
    try:
        await h.services.residents.set_reminders(CHAT, True, h.clock.now())
    except Exception:  # noqa: BLE001 - the refusal itself is tested elsewhere
        pass
    finally:
        await h.db.execute("PRAGMA query_only = 0")
    assert CHAT not in h.db.kept_residents, "not knowing whether it ran, the row is read again"
    assert not (await h.services.residents.get(CHAT)).remind_meetings  # type: ignore[union-attr]


async def test_every_write_leaves_the_kept_row_equal_to_the_stored_one(harness: Harness):
    h = harness
    r, now = h.services.residents, h.clock.now()
    await r.touch(CHAT, now, source="leaflet")
    await r.set_nag(CHAT, "fishermead", now)
    await r.set_consent(CHAT, True, now)
    await r.set_pending(CHAT, "survey:x", now)
    assert await r.take_pending(CHAT, "survey:x")
    await r.set_language(CHAT, "pl", now)
    assert await r.swap_language_offer(CHAT, None, "pl?nag_olney")  # the /start question
    assert not await r.swap_language_offer(CHAT, None, "pl")  # asked once only
    assert await r.swap_language_offer(CHAT, "pl?nag_olney", "pl")
    await r.set_reminders(CHAT, True, now)
    await r.open_area_question(CHAT, AreaQuestion.OFFERED, now)
    await r.close_area_question(CHAT, now)
    await r.close_area_question(CHAT, now)  # nothing open: no statement, nothing changes
    await r.stop_messages(CHAT, now + timedelta(minutes=1))
    await r.set_active(CHAT, False, now)
    assert await r.touch_and_open(CHAT, AreaQuestion.OFFERED, now) >= 2
    kept = await r.get(CHAT)
    h.db.kept_residents.clear()
    stored = await r.get(CHAT)
    assert kept == stored
    assert stored is not None and stored.language_offer == "pl"


def test_kept_rows_are_bounded_least_recently_used_first():
    kept: Kept[int, str] = Kept(3)
    for i in range(3):
        kept.put(i, str(i))
    assert kept.get(0) == "0"  # 0 is now the most recent
    kept.put(3, "3")
    assert 1 not in kept and len(kept) == 3 and kept.get(0) == "0"
    assert KEPT_RESIDENTS <= 100_000, "a few tens of MB at most"

"""A broadcast paused mid-send (quiet hours began while it was going out) goes on, when it
resumes, in the language each resident has then: a resident who switched in /settings while it
waited gets it in their new language (and their 👍/👎 buttons too); those who had it already
are not sent it again. Also a switch while it is going out, before the resident's turn.

Through the real Application and the Bot API double; the content is the shipped one (its Polish
is a draft: offered with languages.allow_drafts).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot import callback_data as cd
from bot.content import Content
from bot.domain.broadcasts import fingerprint
from storage.model import Audience, AudienceKind, BroadcastKind, BroadcastSpec
from tests.conftest import LONDON, Harness, close_harness
from tests.fakes.botapi import FakeBotApi
from tests.test_delivery import add_residents, harness
from tests.test_languages_sends import ENGLISH_TEXT, POLISH_TEXT, polish

QUIET_AND_DRAFTS = "languages:\n  allow_drafts: true"  # the default quiet hours, 21:00 to 08:00
EVENING = datetime(2026, 11, 23, 20, 50, tzinfo=LONDON)
NIGHT = datetime(2026, 11, 23, 21, 30, tzinfo=LONDON)
MORNING = datetime(2026, 11, 24, 8, 0, tzinfo=LONDON)
POLISH_BUTTONS = ["👍 Przydatne", "👎 Nieprzydatne"]
ENGLISH_BUTTONS = ["👍 Useful", "👎 Not useful"]


async def typed_with_polish(h: Harness) -> int:
    """An officer's typed broadcast to everyone, now, with a Polish translation and ratings."""
    spec = BroadcastSpec(
        kind=BroadcastKind.OFFICER,
        text=ENGLISH_TEXT,
        audience=Audience(AudienceKind.ALL),
        send_at=h.clock.now(),
        created_by=900001,
        fingerprint=fingerprint(ENGLISH_TEXT),
        ratings=True,
        translations=(("pl", POLISH_TEXT),),
    )
    bid, _ = await h.services.broadcasts.create(spec, h.clock.now())
    return bid


def received(h: Harness) -> dict[int, list[tuple[str, list[str]]]]:
    """Each chat's copies of the broadcast: (text, labels of its buttons)."""
    out: dict[int, list[tuple[str, list[str]]]] = {}
    for c in h.api.sent("sendMessage"):
        if c.text in (ENGLISH_TEXT, POLISH_TEXT):
            out.setdefault(int(c.chat_id), []).append((c.text, [x for x, _ in c.buttons]))
    return out


async def switch(h: Harness, chat: int, code: str) -> None:
    """The resident changes their language in /settings."""
    await h.send(chat, "/settings")
    await h.press_newest(chat, cd.LanguageMenu().pack())
    await h.press_newest(chat, cd.LanguageSet(code).pack())
    (row,) = await h.rows("SELECT language FROM residents WHERE chat_id = ?", (chat,))
    assert row["language"] == code


async def test_a_broadcast_paused_by_quiet_hours_resumes_in_each_residents_language_now(
    tmp_path, content: Content
):
    from bot.plumbing.clock import FixedClock

    api = FakeBotApi()
    h = await harness(tmp_path, content, QUIET_AND_DRAFTS, clock=FixedClock(EVENING), api=api)
    chats = await add_residents(h, range(1000, 1040))
    early_pl, late_pl = [1000, 1001], [1036, 1037]
    to_polish, to_english = 1038, 1039  # English and Polish when it starts; both switch
    await polish(h, [*early_pl, *late_pl, to_english])
    bid = await typed_with_polish(h)

    def night_falls(method: str, params: dict[str, Any]) -> None:
        if method == "sendMessage" and len(api.sent("sendMessage")) == 10:
            h.clock.set(NIGHT)  # quiet hours begin while it is going out

    api.responder = night_falls
    await h.services.delivery.run_due()
    api.responder = None
    first = received(h)
    assert 10 <= len(first) < len(chats), "paused part of the way through"
    assert not {*late_pl, to_polish, to_english} & set(first), "their turn had not come"
    assert all(first[c] == [(POLISH_TEXT, POLISH_BUTTONS)] for c in early_pl)
    held = await h.services.broadcasts.get(bid)
    assert held is not None and held.status == "sending"
    assert held.due_at == MORNING, "it waits for the end of quiet hours"

    await switch(h, to_polish, "pl")
    await switch(h, to_english, "en")
    h.clock.set(MORNING)
    await h.services.delivery.run_due()

    got = received(h)
    assert sorted(got) == chats, "everyone, the first part included"
    assert all(len(copies) == 1 for copies in got.values()), "nobody twice"
    assert got[to_polish] == [(POLISH_TEXT, POLISH_BUTTONS)], "switched while it waited"
    assert got[to_english] == [(ENGLISH_TEXT, ENGLISH_BUTTONS)], "switched back while it waited"
    assert all(got[c] == [(POLISH_TEXT, POLISH_BUTTONS)] for c in [*early_pl, *late_pl])
    english = set(chats) - {*early_pl, *late_pl, to_polish}
    assert all(got[c] == [(ENGLISH_TEXT, ENGLISH_BUTTONS)] for c in english)
    # /mydata's copy of what each was sent follows what went out.
    mine = await h.services.broadcasts.messages_for(to_english)
    assert [m.text for m in mine if m.broadcast_id == bid] == [ENGLISH_TEXT]
    mine = await h.services.broadcasts.messages_for(to_polish)
    assert [m.text for m in mine if m.broadcast_id == bid] == [POLISH_TEXT]
    done = await h.services.broadcasts.get(bid)
    assert done is not None and done.status == "done"
    await close_harness(h)


async def test_a_broadcast_stopped_by_a_restart_resumes_in_each_residents_language_now(
    tmp_path, content: Content
):
    """The bot stops part of the way through (a deploy); a resident switches before it is
    running again; the rest goes out in the language each has then."""
    api = FakeBotApi()
    h = await harness(tmp_path, content, QUIET_AND_DRAFTS, api=api)
    chats = await add_residents(h, range(1000, 1040))
    to_polish, to_english = 1038, 1039
    await polish(h, [to_english])
    bid = await typed_with_polish(h)
    delivery = h.services.delivery

    def stop_after_ten(method: str, params: dict[str, Any]) -> None:
        if method == "sendMessage" and len(api.sent("sendMessage")) == 10:
            delivery._stop = True  # what SIGTERM does via Application.stop()

    api.responder = stop_after_ten
    await delivery.run_due()
    api.responder = None
    assert not {to_polish, to_english} & set(received(h)), "their turn had not come"
    await close_harness(h)

    later = await harness(tmp_path, content, QUIET_AND_DRAFTS, api=api)
    await switch(later, to_polish, "pl")
    await switch(later, to_english, "en")
    await later.services.delivery.run_due()
    got = received(later)
    assert sorted(got) == chats and all(len(copies) == 1 for copies in got.values())
    assert got[to_polish] == [(POLISH_TEXT, POLISH_BUTTONS)]
    assert got[to_english] == [(ENGLISH_TEXT, ENGLISH_BUTTONS)]
    done = await later.services.broadcasts.get(bid)
    assert done is not None and done.status == "done"
    await close_harness(later)

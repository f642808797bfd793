"""The console and languages, through the real Application and the console's HTTP client: how
many residents get a broadcast in which language (the chat preview's rules,
bot/services/languages.py `audience_languages`), on the new-broadcast confirm page and a
scheduled broadcast's page; and a scheduled typed broadcast's translation changed or removed on
its own, the English kept.

k is 5 (tests/conftest.py). The residents: Fishermead 5 English and 5 Polish readers, Woughton
6 and 5; later 3 English readers in Conniburrow (a part under k, so audiences.py hides
Fishermead's part with it: a broadcast to Fishermead alone shows no recipients figure).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot import callback_officers as ob
from bot.content import Content
from tests import consolekit as ck
from tests.conftest import LONDON, OFFICER_ID, Harness, close_harness
from tests.test_delivery import add_residents
from tests.test_languages_sends import (
    DRAFTS,
    EN,
    ENGLISH_TEXT,
    PL,
    POLISH_TEXT,
    deliver,
    polish,
)

LANGUAGES = "<dt>Languages</dt>"


async def residents(h: Harness) -> None:
    await add_residents(h, range(5000, 5005), nag="fishermead")
    await polish(h, await add_residents(h, range(5100, 5105), nag="fishermead"))
    await add_residents(h, range(6000, 6006), nag="woughton")
    await polish(h, await add_residents(h, range(6100, 6105), nag="woughton"))


def fact(page: str, name: str) -> str:
    """The value of one fact (<dt>name</dt><dd>value</dd>) of a page."""
    start = page.index(f"<dt>{name}</dt><dd>") + len(f"<dt>{name}</dt><dd>")
    return page[start : page.index("</dd>", start)]


async def preview(h: Harness, draft: dict[str, object]) -> str:
    async with ck.client() as http:
        await ck.sign_in(h, http, OFFICER_ID)
        status, page = await ck.get(http, h, "/console/broadcasts/new")
        status, shown = await ck.post(http, h, "/console/broadcasts/preview", draft, page)
        assert status == 200, shown
        return shown


async def test_the_confirm_page_shows_how_many_get_which_language(tmp_path, content: Content):
    h = await ck.console_harness(tmp_path, content, DRAFTS)
    await residents(h)
    typed = {"text": ENGLISH_TEXT, "when": "now"}
    page = await preview(h, typed)
    assert fact(page, "Languages") == "English 21", "no translation: all get English"

    page = await preview(h, {**typed, "text_pl": POLISH_TEXT})
    assert fact(page, "Recipients") == "21"
    assert fact(page, "Languages") == "English 11, Polish 10", "everyone: exact"

    # One NAG's split, subtracted from everyone's, must not give a count under k: rounded.
    woughton = {**typed, "text_pl": POLISH_TEXT, "audience": "nags", "nag": "woughton"}
    page = await preview(h, woughton)
    assert fact(page, "Recipients") == "11"
    languages = fact(page, "Languages")
    assert languages.startswith("English about 5, Polish about 5 (each to the nearest 5")

    # Fishermead's figure is hidden beside Conniburrow's 3: its split would add up to it.
    await add_residents(h, range(7000, 7003), nag="conniburrow")
    fishermead = {**woughton, "nag": "fishermead"}
    page = await preview(h, fishermead)
    assert fact(page, "Recipients") == "not shown"
    assert fact(page, "Languages") == (
        "English, Polish (figures per language not shown, as the number of recipients isn&#x27;t)"
    )
    await close_harness(h)


async def test_a_small_language_is_never_shown(tmp_path, content: Content):
    h = await ck.console_harness(tmp_path, content, DRAFTS)
    await add_residents(h, range(5000, 5008), nag="fishermead")
    await polish(h, [5000, 5001])
    page = await preview(h, {"text": ENGLISH_TEXT, "text_pl": POLISH_TEXT, "when": "now"})
    assert fact(page, "Recipients") == "8"
    assert fact(page, "Languages") == (
        "English, Polish (figures per language not shown: one would be fewer than 5)"
    )
    await close_harness(h)


async def test_a_scheduled_broadcasts_page_shows_its_languages(tmp_path, content: Content):
    h = await ck.console_harness(tmp_path, content, DRAFTS)
    await residents(h)
    later = {
        "text": ENGLISH_TEXT,
        "text_pl": POLISH_TEXT,
        "when": "later",
        "day": "2026-11-24",
        "time": "10:00",
    }
    async with ck.client() as http:
        await ck.sign_in(h, http, OFFICER_ID)
        status, page = await ck.get(http, h, "/console/broadcasts/new")
        status, shown = await ck.post(http, h, "/console/broadcasts/preview", later, page)
        status, done = await ck.post(http, h, "/console/broadcasts/create", later, shown)
        assert status == 303, done
        (bid,) = [r["id"] for r in await h.rows("SELECT id FROM broadcasts WHERE kind='officer'")]
        status, detail = await ck.get(http, h, f"/console/broadcasts/{bid}")
        assert status == 200
        assert fact(detail, "In which language, now") == "English 11, Polish 10"
        # A Polish reader switches to English: the page follows the residents now.
        await h.services.residents.set_language(6100, "en", h.clock.now())
        status, detail = await ck.get(http, h, f"/console/broadcasts/{bid}")
        assert fact(detail, "In which language, now") == "English 12, Polish 9"
    await close_harness(h)


async def test_english_only_shows_no_languages(tmp_path, content: Content):
    h = await ck.console_harness(tmp_path, content)
    await residents(h)
    page = await preview(h, {"text": ENGLISH_TEXT, "when": "now"})
    assert fact(page, "Recipients") == "21" and LANGUAGES not in page
    await close_harness(h)


# ---------------------------------------------------------------- a translation edited alone


async def scheduled(h: Harness, http: Any) -> tuple[int, str]:
    """A typed broadcast with a Polish translation, for tomorrow: its id and its page."""
    later = {
        "text": ENGLISH_TEXT,
        "text_pl": POLISH_TEXT,
        "when": "later",
        "day": "2026-11-24",
        "time": "10:00",
    }
    status, page = await ck.get(http, h, "/console/broadcasts/new")
    status, shown = await ck.post(http, h, "/console/broadcasts/preview", later, page)
    status, done = await ck.post(http, h, "/console/broadcasts/create", later, shown)
    assert status == 303, done
    (bid,) = [r["id"] for r in await h.rows("SELECT id FROM broadcasts WHERE kind='officer'")]
    status, detail = await ck.get(http, h, f"/console/broadcasts/{bid}")
    assert status == 200
    return bid, detail


async def test_the_polish_text_is_changed_and_removed_on_its_own(tmp_path, content: Content):
    h = await ck.console_harness(tmp_path, content, DRAFTS)
    h.services.delivery.use_virtual_time()
    await add_residents(h, [PL, EN])
    await polish(h, [PL])
    changed = "Droga otwarta & <b>"
    async with ck.client() as http:
        await ck.sign_in(h, http, OFFICER_ID)
        bid, detail = await scheduled(h, http)
        assert "Residents who chose Polish get" in detail and POLISH_TEXT in detail
        assert "Change the Polish text" in detail and 'id="e-text-pl"' in detail
        b = await h.services.broadcasts.get(bid)
        assert b is not None
        form = {"due": b.due_at.isoformat(), "language": "pl", "text": changed}
        status, _ = await ck.post(http, h, f"/console/broadcasts/{bid}/translation", form, detail)
        assert status == 303
        status, detail = await ck.get(http, h, f"/console/broadcasts/{bid}?done=translated")
        assert "the English is as it was" in detail
        assert "translation edited (pl)" in detail, "in the history"
        assert await h.services.broadcasts.translations_of(bid) == {
            "pl": "Droga otwarta &amp; &lt;b&gt;"
        }
        b = await h.services.broadcasts.get(bid)
        assert b is not None and b.text == ENGLISH_TEXT, "the English as it was"
        calls = await h.press(OFFICER_ID, ob.Manage(bid).pack())
        assert "🌐 Also typed in: Polish" in calls[-1].text, "the chat's card too"

        # Refused: an empty text (remove is its own button), a language not offered, and a
        # page from before the broadcast was moved.
        status, page = await ck.post(
            http, h, f"/console/broadcasts/{bid}/translation", {**form, "text": " "}, detail
        )
        assert status == 400 and "or remove it" in page
        status, _ = await ck.post(
            http, h, f"/console/broadcasts/{bid}/translation", {**form, "language": "ro"}, detail
        )
        assert status == 400
        stale = {**form, "due": "2026-11-24T11:00:00+00:00"}
        status, page = await ck.post(
            http, h, f"/console/broadcasts/{bid}/translation", stale, detail
        )
        assert status == 409 and "could not be changed" in page

        remove = {"due": b.due_at.isoformat(), "language": "pl"}
        assert "Remove the Polish text" in detail
        # Removing asks first, as cancelling does: nothing is removed until the officer confirms,
        # and the save form cannot remove (an empty text is refused).
        status, _ = await ck.post(
            http, h, f"/console/broadcasts/{bid}/translation", {**remove, "remove": "1"}, detail
        )
        assert status == 400
        status, ask = await ck.post(
            http, h, f"/console/broadcasts/{bid}/translation/remove", remove, detail
        )
        assert status == 200 and "Nothing happens until you confirm." in ask
        assert "Confirm: remove the Polish text" in ask
        assert await h.services.broadcasts.translations_of(bid) != {}
        status, _ = await ck.post(
            http, h, f"/console/broadcasts/{bid}/translation/remove/confirm", remove, ask
        )
        assert status == 303
        status, detail = await ck.get(http, h, f"/console/broadcasts/{bid}")
        assert "Add a Polish text" in detail and "Remove the Polish text" not in detail
    assert await h.services.broadcasts.translations_of(bid) == {}
    audit = await h.rows(
        "SELECT action, actor_id, detail FROM broadcast_audit WHERE broadcast_id = ? ORDER BY id",
        (bid,),
    )
    assert [(r["action"], r["actor_id"], r["detail"]) for r in audit][-2:] == [
        ("change", OFFICER_ID, "translation edited (pl)"),
        ("change", OFFICER_ID, "translation removed (pl)"),
    ]
    # It goes out: the Polish reader gets the English now.
    h.clock.set(datetime(2026, 11, 24, 10, 0, tzinfo=LONDON))
    await deliver(h)
    assert h.api.texts(PL)[-1] == ENGLISH_TEXT == h.api.texts(EN)[-1]
    await close_harness(h)

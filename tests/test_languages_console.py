"""The console and languages, through the real Application and the console's HTTP client: how
many residents get a broadcast in which language (the chat preview's rules,
bot/services/languages.py `audience_languages`), on the new-broadcast confirm page and a
scheduled broadcast's page.

k is 5 (tests/conftest.py). The residents: Fishermead 5 English and 5 Polish readers, Woughton
6 and 5; later 3 English readers in Conniburrow (a part under k, so audiences.py hides
Fishermead's part with it: a broadcast to Fishermead alone shows no recipients figure).
"""

from __future__ import annotations

from bot.content import Content
from tests import consolekit as ck
from tests.conftest import OFFICER_ID, Harness, close_harness
from tests.test_delivery import add_residents
from tests.test_languages_sends import DRAFTS, ENGLISH_TEXT, POLISH_TEXT, polish

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

"""Languages through the real Application: the /start offer from Telegram's language_code, Polish
replies with English per key where the translation has none, /settings and typed switches,
command menus per language, a campaign broadcast in each resident's language (and the officer's
count per language), a survey answered in Polish that merges with English answers, Polish
danger words, and the multilingual answer to languages the bot does not speak.

The content is tests/content_small with the tiny Polish overlay of tests/content_pl (a draft:
offered only with languages.allow_drafts), so the shipped translation can change freely.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from bot import callback_data as cd
from bot import callback_officers as ob
from bot.content import Content, load_content
from bot.domain.broadcasts import fingerprint
from bot.render.text import campaign_message_html
from storage.model import Audience, AudienceKind, BroadcastKind, BroadcastSpec
from tests import builders as b
from tests.conftest import LONDON, OFFICER_ID, Harness, close_harness, small_content_dir
from tests.test_delivery import NO_QUIET, add_residents, harness
from tests.test_surveys import answers, last_question, tap

POLISH = Path(__file__).parent / "content_pl"
DRAFTS = NO_QUIET + "\nlanguages:\n  allow_drafts: true"
CHAT, OTHER = 4242, 4343


def polish_content_dir(target: Path) -> Path:
    """tests/content_small, the shipped English texts, and the Polish sample laid over them."""
    small_content_dir(target)
    for f in POLISH.iterdir():
        if f.is_dir():
            shutil.copytree(f, target / f.name, dirs_exist_ok=True)
        elif f.name != "README.md":
            shutil.copy(f, target / f.name)
    return target


@pytest.fixture(scope="module")
def polish(tmp_path_factory: pytest.TempPathFactory) -> Content:
    return load_content(polish_content_dir(tmp_path_factory.mktemp("pl") / "c"), LONDON)


def in_app(update: dict[str, Any], code: str) -> dict[str, Any]:
    """The update as Telegram sends it from an app set to language `code`."""
    for part in update.values():
        if isinstance(part, dict) and "from" in part:
            part["from"]["language_code"] = code
    return update


async def language_of(h: Harness, chat: int) -> str:
    (row,) = await h.rows("SELECT language FROM residents WHERE chat_id = ?", (chat,))
    return row["language"]


# ---------------------------------------------------------------- choosing a language


async def test_start_from_a_polish_app_asks_first_and_polski_answers_in_polish(tmp_path, polish):
    h = await harness(tmp_path, polish, DRAFTS)
    calls = await h.push(in_app(b.text_update(CHAT, "/start"), "pl"))
    assert calls[-1].text == ("Czy mam pisać po polsku?\nWould you like me to write in English?"), (
        "asked in both languages, nothing switched silently"
    )
    assert h.buttons(calls) == [
        ("Polski", cd.LanguageStart("pl").pack()),
        ("English", cd.LanguageStart("en").pack()),
    ]
    assert await language_of(h, CHAT) == "en"

    calls = await h.press_newest(CHAT, cd.LanguageStart("pl").pack())
    assert await language_of(h, CHAT) == "pl"
    sent = [c.text for c in calls if c.method == "sendMessage"]
    assert sent[0].startswith("👋 Witamy w <b>SaferMK</b>")
    # The area question has no Polish text in the sample: it falls back to English, per key.
    assert sent[-1] == polish.t("en").get("area.ask")

    calls = await h.send(CHAT, "/settings")
    assert "⚙️ <b>Twoje ustawienia</b>" in calls[-1].text
    assert "jeszcze nie wybrano" in calls[-1].text
    labels = [label for label, _ in h.buttons(calls)]
    assert "🌐 Język: Polski" in labels and "📍 Change area" in labels  # English fallback
    await close_harness(h)


async def test_switching_back_in_settings_and_by_typed_phrases(tmp_path, polish):
    h = await harness(tmp_path, polish, DRAFTS)
    await add_residents(h, [CHAT], nag="alpha")
    calls = await h.send(CHAT, "po polsku")
    assert calls[-1].text.startswith("Od teraz piszę po polsku")
    assert await language_of(h, CHAT) == "pl"

    calls = await h.press(CHAT, cd.LanguageMenu().pack())
    assert calls[-1].text == "W jakim języku mam pisać?"
    assert [d for _, d in h.buttons(calls)] == [
        cd.LanguageSet("pl").pack(),
        cd.LanguageSet("en").pack(),
    ]
    calls = await h.press(CHAT, cd.LanguageSet("en").pack())
    assert await language_of(h, CHAT) == "en"
    assert "From now on I write in English" in str(calls[0].params.get("text"))
    assert "⚙️ <b>Your settings</b>" in calls[-1].text, "the settings redrawn in English"

    calls = await h.send(CHAT, "Polski!")
    assert await language_of(h, CHAT) == "pl"
    calls = await h.send(CHAT, "in English please")
    assert await language_of(h, CHAT) == "en"
    assert calls[-1].text.startswith("From now on I write in English")
    await close_harness(h)


async def test_mydata_names_the_language_in_that_language(tmp_path, polish):
    h = await harness(tmp_path, polish, DRAFTS)
    await add_residents(h, [CHAT], nag="alpha")
    calls = await h.send(CHAT, "/mydata")
    assert any("English (en)" in (c.text or "") for c in calls)
    await h.send(CHAT, "po polsku")
    calls = await h.send(CHAT, "/mydata")
    assert any("Polski (pl)" in (c.text or "") for c in calls)
    await close_harness(h)


async def test_a_draft_is_not_offered_unless_the_config_allows_drafts(tmp_path, polish):
    h = await harness(tmp_path, polish)
    calls = await h.push(in_app(b.text_update(CHAT, "/start"), "pl"))
    assert not any(d and d.startswith("ls:") for _, d in h.buttons(calls))
    assert calls[0].text.startswith("👋 Welcome to <b>SaferMK</b>")
    menus = [c for c in h.api.calls if c.method == "setMyCommands"]
    assert all("language_code" not in c.params for c in menus)
    calls = await h.send(CHAT, "/settings")
    assert not any(d == cd.LanguageMenu().pack() for _, d in h.buttons(calls))
    # Polish not offered is a language the bot does not speak; words both languages use
    # ("menu", "ok") are still English.
    for text in ("kiedy jest następne spotkanie", "po polsku"):
        calls = await h.send(CHAT, text)
        assert "they answer in any language" in calls[-1].text
        assert "W nagłych wypadkach" not in calls[-1].text
        assert await language_of(h, CHAT) == "en"
    for text in ("menu", "ok"):
        calls = await h.send(CHAT, text)
        assert not any("any language" in c.text for c in calls), text
    await close_harness(h)


async def test_command_menu_per_language(tmp_path, polish):
    h = await harness(tmp_path, polish, DRAFTS)
    menus = {
        c.params.get("language_code"): c.params
        for c in h.api.sent("setMyCommands")
        if (c.params.get("scope") or {}).get("type") == "default"
    }
    assert set(menus) == {None, "pl"}
    assert "Start albo wybór okolicy" in str(menus["pl"]["commands"])
    assert "Start, or choose your area again" in str(menus[None]["commands"])
    # A command the sample does not translate keeps its English description.
    assert "What this bot can do" in str(menus["pl"]["commands"])
    await close_harness(h)


# ---------------------------------------------------------------- broadcasts and surveys


async def test_a_campaign_message_goes_to_each_resident_in_their_language(tmp_path, polish):
    h = await harness(tmp_path, polish, DRAFTS)
    await add_residents(h, [CHAT, OTHER], nag="alpha")
    await h.send(CHAT, "po polsku")
    campaign = polish.campaign_by_id["now-campaign"]
    reminder = next(m for m in campaign.messages if m.id == "reminder")
    text = campaign_message_html(polish.t("en"), campaign, reminder)
    spec = BroadcastSpec(
        kind=BroadcastKind.CAMPAIGN, text=text, audience=Audience(AudienceKind.ALL),
        send_at=h.clock.now(), ref=campaign.id, fingerprint=fingerprint(text),
    )  # fmt: skip
    await h.services.broadcasts.create(spec, h.clock.now())
    await h.services.delivery.run_due()
    await h.services.delivery.wait_idle()
    polish_got = h.api.texts(CHAT)[-1]
    assert "<b>Kampania teraz</b>" in polish_got and "Pamiętaj o pierwszej radzie." in polish_got
    assert h.api.texts(OTHER)[-1] == text
    await close_harness(h)


async def test_the_officer_sees_how_many_get_which_language_small_numbers_withheld(
    tmp_path, polish
):
    h = await harness(tmp_path, polish, DRAFTS)
    await add_residents(h, range(5000, 5007), nag="alpha")
    polish_readers = list(range(6000, 6002))
    await add_residents(h, polish_readers, nag="alpha")
    for chat in polish_readers:
        await h.send(chat, "po polsku")

    async def preview() -> str:
        await h.send(OFFICER_ID, "/broadcast")
        await h.press_newest(OFFICER_ID, ob.WizardCampaign("now-campaign", "reminder").pack())
        await h.press_newest(OFFICER_ID, ob.WizardAudience("all").pack())
        calls = await h.press_newest(OFFICER_ID, ob.WizardTime("now").pack())
        await h.press_newest(OFFICER_ID, ob.WizardAbandon().pack())
        return calls[-1].text

    assert "Languages: English, Polish (figures per language withheld" in await preview()
    more = list(range(6002, 6005))
    await add_residents(h, more, nag="alpha")
    for chat in more:
        await h.send(chat, "po polsku")
    assert "Languages: English 7, Polish 5." in await preview()
    await close_harness(h)


async def test_a_survey_answered_in_polish_merges_with_english_answers(tmp_path, polish):
    h = await harness(tmp_path, polish, DRAFTS)
    for chat in (CHAT, OTHER):
        await h.settle_in(chat, "alpha")
    await h.send(CHAT, "po polsku")
    await h.send(CHAT, "/start survey_mechanics")
    question = last_question(h, CHAT)
    assert "Wybierz jedno." in question.text and "Ankieta mechaniki" in question.text
    assert [label for label, _ in question.buttons][:3] == ["Jabłko", "Banan", "Wiśnia"]
    await tap(h, "Wiśnia", CHAT)  # jumps to the rating
    assert "Oceń to." in last_question(h, CHAT).text
    await h.send(OTHER, "/start survey_mechanics")
    assert "Pick one." in last_question(h, OTHER).text
    await tap(h, "Cherry", OTHER)
    assert (await answers(h))["pick"] == ["c", "c"], "stored by option id, whatever the language"
    await close_harness(h)


# ---------------------------------------------------------------- safeguarding and other languages


async def test_polish_danger_words_get_help_in_polish(tmp_path, polish):
    h = await harness(tmp_path, polish, DRAFTS)
    await add_residents(h, [CHAT, OTHER], nag="alpha")
    await h.send(CHAT, "po polsku")
    calls = await h.send(CHAT, "Mój sąsiad ma nóż i krzyczy")
    assert "Jeśli grozi ci niebezpieczeństwo teraz, dzwoń pod 999" in calls[0].text
    assert "Nie mogę przyjmować zgłoszeń" in calls[0].text
    assert len(calls) == 1, "the help is the answer: no fallback after it"
    # Someone who chose English but writes plainly Polish is read in Polish too, and helped
    # in the language they chose.
    calls = await h.send(OTHER, "sąsiad grozi mi")
    assert calls[0].text.startswith("🚨 <b>In danger right now? Call 999.</b>")
    # English danger words still work for a Polish reader (the help in Polish where the
    # translation has it: the sample translates only the emergency reply).
    calls = await h.send(CHAT, "he's got a knife")
    assert "Jeśli grozi ci niebezpieczeństwo teraz" in calls[0].text
    await close_harness(h)


OTHER_LANGUAGES = [
    "Bună ziua, când este următoarea întâlnire?",  # Romanian
    "Vecinul meu mă amenință cu un cuțit",  # Romanian, danger
    "Olá, quando é a próxima reunião do grupo?",  # Portuguese
    "O meu vizinho está a ameaçar-me com uma faca",  # Portuguese, danger
    "اگلی میٹنگ کب ہے؟",  # Urdu
    "میرا پڑوسی مجھے چاقو سے دھمکی دے رہا ہے",  # Urdu, danger
    "متى الاجتماع القادم؟",  # Arabic
    "جاري يهددني بسكين",  # Arabic, danger
    "ਅਗਲੀ ਮੀਟਿੰਗ ਕਦੋਂ ਹੈ?",  # Punjabi
    "ਮੇਰਾ ਗੁਆਂਢੀ ਮੈਨੂੰ ਚਾਕੂ ਨਾਲ ਧਮਕਾ ਰਿਹਾ ਹੈ",  # Punjabi, danger
]


@pytest.mark.parametrize("drafts", [False, True], ids=["english only", "with polish"])
async def test_other_languages_get_the_multilingual_answer_never_a_feature(
    tmp_path, polish, drafts
):
    h = await harness(tmp_path, polish, DRAFTS if drafts else NO_QUIET)
    await add_residents(h, [CHAT], nag="alpha")
    for text in OTHER_LANGUAGES:
        calls = await h.send(CHAT, text)
        (reply,) = [c.text for c in calls if c.method == "sendMessage"]
        assert "<b>999</b>: they answer in any language" in reply, text
        assert ("W nagłych wypadkach" in reply) is drafts, "said in every language it speaks"
        assert "didn't understand" not in reply and not h.buttons(calls), text
    # Asked for an area (someone new), foreign words are not a place that was not found.
    await h.send(OTHER, "/start")
    calls = await h.send(OTHER, "Vecinul meu mă amenință cu un cuțit")
    assert "any language" in calls[-1].text
    await close_harness(h)


async def test_english_with_foreign_names_is_still_english(tmp_path, polish):
    h = await harness(tmp_path, polish, DRAFTS)
    await add_residents(h, [CHAT], nag="alpha")
    for text in ("when is the next meeting? Krzysztof Wójcik asked me", "José said thanks"):
        calls = await h.send(CHAT, text)
        assert not any("any language" in c.text for c in calls), text
    # With no area, an unknown English sentence still gets the way to set one.
    calls = await h.send(OTHER, "what's the weather like tomorrow in Bletchley")
    assert "any language" not in calls[-1].text
    await close_harness(h)


# ---------------------------------------------------------------- the preview and check-content


async def test_the_preview_offers_drafts_under_a_banner(tmp_path):
    import aiohttp

    from tests.previewkit import start_preview

    preview = await start_preview(tmp_path, polish_content_dir(tmp_path / "c"))
    try:
        async with aiohttp.ClientSession() as http, http.get(preview.url + "/api/state") as resp:
            state = await resp.json()
        assert state["drafts"] == ["Polski (Polish)"]
        assert [x.code for x in preview.bot.services.offered()] == ["en", "pl"]
    finally:
        await preview.stop()


def test_check_content_reports_what_falls_back_to_english(tmp_path, capsys):
    from bot.cli import main

    folder = polish_content_dir(tmp_path / "c")
    assert main(["check-content", str(folder)]) == 0
    out = capsys.readouterr().out.splitlines()
    english = len(list(load_content(folder, LONDON).t("en").keys()))
    assert out[-1].startswith(
        f"pl (Polski, draft): 15 of {english} texts translated ({english - 15} in English);"
        " campaigns 1 of 3; nags 0 of 3; surveys 1 of 1; safety categories 1 of"
    )


@pytest.mark.parametrize(
    ("path", "old", "new", "problem"),
    [
        ("texts.pl.yaml", "📍 Okolica: <b>{area}</b>", "📍 Okolica: <b>{obszar}</b>",
         "settings.text: the placeholders must be those of English (missing {area}; unknown"
         " {obszar})"),
        ("texts.pl.yaml", "⚙️ <b>Twoje ustawienia</b>", "⚙️ <b>Twoje ustawienia",
         "settings.text: <b> is never closed"),
        ("texts.pl.yaml", "button.survey_no: Nie", "button.survey_no: " + "Nie" * 30,
         "button.survey_no: 90 characters, over Telegram's 64 for a button"),
        ("texts.pl.yaml", "settings.on: włączone", "settings.onn: włączone",
         "settings.onn: not a key of the English texts"),
        ("texts.pl.yaml", "status: draft", "status: half-done",
         "language: status 'half-done' must be draft or reviewed"),
        ("pl/campaigns.yaml", "now-campaign:", "no-campaign:",
         "'no-campaign': no such id in the English campaigns.yaml"),
        ("pl/surveys/mechanics.yaml", "c: Wiśnia", "d: Wiśnia",
         "'d': question pick has no such option"),
        ("pl/safety.yaml", "emergency:", "emergancy:",
         "'emergancy': no such category in content/safety.yaml"),
        ("pl/intents.yaml", "next_meeting:", "next_meetings:",
         "'next_meetings': no such intent in content/intents.yaml"),
    ],
)  # fmt: skip
def test_check_content_checks_each_translation_against_english(
    tmp_path, capsys, path, old, new, problem
):
    from bot.cli import main

    folder = polish_content_dir(tmp_path / "c")
    target = folder / path
    text = target.read_text(encoding="utf-8")
    assert old in text
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    assert main(["check-content", str(folder)]) == 1
    err = capsys.readouterr().err
    line = next((x for x in err.splitlines() if problem in x), None)
    assert line is not None, err
    assert line.startswith(f"{folder.name}/{path}:") or f"/{path}:" in line, line


def test_a_translation_may_copy_the_english_layout_of_lists_with_ids(tmp_path):
    folder = polish_content_dir(tmp_path / "c")
    (folder / "pl" / "surveys" / "mechanics.yaml").write_text(
        "title: Ankieta mechaniki\n"
        "questions:\n"
        "  - id: pick\n"
        "    text: Wybierz jedno.\n"
        "    options:\n"
        "      - {id: a, label: Jabłko}\n"
        "      - {id: c, label: Wiśnia}\n",
        encoding="utf-8",
    )
    (folder / "pl" / "campaigns.yaml").write_text(
        "campaigns:\n"
        "  - id: now-campaign\n"
        "    title: Kampania teraz\n"
        "    messages:\n"
        "      - {id: reminder, text: Pamiętaj o pierwszej radzie.}\n",
        encoding="utf-8",
    )
    pl = load_content(folder, LONDON).view("pl")
    pick = pl.survey_by_id["mechanics"].questions[0]
    assert [o.label for o in pick.options] == ["Jabłko", "Banana", "Wiśnia"]  # b: English
    campaign = pl.campaign_by_id["now-campaign"]
    assert campaign.title == "Kampania teraz" and campaign.tips[0] == "First tip"
    assert [m.text for m in campaign.messages] == [None, "Pamiętaj o pierwszej radzie."]

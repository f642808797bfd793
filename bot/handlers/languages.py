"""Languages: each resident's replies in the language they chose, and an honest answer in a
language the bot does not speak.

- Before any other handler (Group.LANGUAGE), the resident's stored language is chosen for every
  reply to this update (bot/plumbing/runtime.py; kept in memory, so no database read per
  update), and a
  message plainly in another language the bot speaks is read in that language (its danger
  words and plain words: bot/content/lexicons.py).
- /start offers a language the content has when Telegram says the person's app uses it
  ("Polski? / English?", never a silent switch: bot/handlers/start.py); /settings changes it;
  a message that is only a language's name or phrase ("po polsku", "in English please")
  switches too.
- A message in a language or script the bot does not speak (bot/domain/languages.py) gets the
  same short answer in every language it speaks: which ones, and that 999 answers in any
  language. Never "didn't understand", never a feature guessed from foreign words.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import TypeHandler

from bot import callback_data as cd
from bot.context import BotContext, Services
from bot.domain.words import words_of
from bot.features import Feature, Handler
from bot.handlers.common import (
    answer,
    chat_id,
    edit_or_send,
    now,
    on_button,
    pressed,
    reply,
    texts,
)
from bot.handlers.menu import settings_screen
from bot.handlers.registry import Group
from bot.handlers.safety import free_text
from bot.plumbing.runtime import use_language
from bot.render.keyboards import button
from storage.db import QUICK_BUSY_MS, DatabaseUnavailable

logger = logging.getLogger(__name__)

POLITE = frozenset({"please", "pls", "plz", "prosze", "proszę"})  # left out of a switch phrase


async def choose_language(update: Update, context: BotContext) -> None:
    """Answer this update in the resident's language; read plainly foreign words in theirs."""
    chat = update.effective_chat
    if chat is None or chat.type != "private":
        return
    s = context.services
    offered = {x.code for x in s.offered()}
    if len(offered) < 2:
        return  # English only: nothing to choose
    lang = s.languages.get(chat.id)
    if lang is None:
        try:
            with s.db.busy_timeout(QUICK_BUSY_MS):
                lang = await s.residents.language_of(chat.id) or "en"
        except DatabaseUnavailable:
            lang = "en"  # answered in English this once; read again next time
        else:
            s.languages.put(chat.id, lang)
    if lang not in offered:
        lang = "en"  # a language no longer offered (a draft the config stopped allowing)
    reading = None
    text = free_text(update)
    if text.strip():
        guess = s.guesser.guess(text)
        if guess.lang in offered and guess.clearly(guess.lang, than=lang):
            reading = guess.lang
    use_language(lang, reading)


async def set_language(update: Update, context: BotContext, lang: str) -> None:
    """Store the resident's language and answer the rest of this update in it."""
    s = context.services
    chat = chat_id(update)
    await s.residents.touch(chat, now(context))
    await s.residents.set_language(chat, lang, now(context))
    s.languages.put(chat, lang)
    use_language(lang)


def language_keyboard(
    services: Services, kind: type[cd.LanguageStart] | type[cd.LanguageSet], first: str = "en"
) -> InlineKeyboardMarkup:
    """One button per language offered, each in its own name, `first` first."""
    offered = sorted(services.offered(), key=lambda x: x.code != first)
    return InlineKeyboardMarkup([[button(x.name, kind(x.code)) for x in offered]])


async def on_language_menu(update: Update, context: BotContext) -> None:
    """/settings' language button: the languages to choose from, in the same message."""
    await answer(update)
    t = texts(context)
    keyboard = language_keyboard(context.services, cd.LanguageSet, t.lang)
    await edit_or_send(update, t.get("settings.choose_language"), keyboard)


async def on_language_set(update: Update, context: BotContext) -> None:
    """A language chosen in /settings: stored, said in it, and the settings redrawn in it."""
    data = pressed(update, cd.LanguageSet)
    s = context.services
    if data is None or data.lang not in {x.code for x in s.offered()}:
        await answer(update, texts(context).get("common.stale_button"))
        return
    await set_language(update, context, data.lang)
    t = texts(context)
    await answer(update, t.get("language.chosen"))
    text, keyboard = settings_screen(t, s, await s.residents.get(chat_id(update)))
    await edit_or_send(update, text, keyboard)


def switch_phrase(services: Services, text: str) -> str | None:
    """The language a whole message asks for ("po polsku", "English please"), if any."""
    words = [w for w in words_of(text) if w not in POLITE]
    if not words or len(words) > 5:
        return None
    said = " ".join(words)
    for x in services.offered():
        names = {x.name, x.english_name, *x.phrases}
        if said in {" ".join(words_of(n)) for n in names}:
            return x.code
    return None


async def switch_words(update: Update, context: BotContext, text: str) -> bool:
    """A typed switch of language; False when the text is not one."""
    lang = switch_phrase(context.services, text)
    if lang is None:
        return False
    await set_language(update, context, lang)
    await reply(update, texts(context).get("language.chosen"))
    return True


async def foreign_words(update: Update, context: BotContext, text: str) -> bool:
    """The multilingual answer to a message in a language the bot does not speak; False when
    the message is in one it speaks (or too short to tell)."""
    s = context.services
    guess = s.guesser.guess(text)
    offered = {x.code for x in s.offered()}
    # A language the content has but the bot does not offer (a draft) is one it does not speak,
    # when the message is plainly in it ("ok" or "menu" are English too).
    unoffered = guess.lang is not None and guess.lang not in offered
    if not guess.foreign and not (unoffered and guess.clearly(str(guess.lang), than="en")):
        return False
    await reply(update, foreign_answer(s))
    return True


def foreign_answer(services: Services) -> str:
    """Which languages the bot speaks and the 999 line, said in each of them."""
    offered = services.offered()
    names = ", ".join(x.name for x in offered)
    return "\n\n".join(services.texts(x.code).get("language.foreign", languages=names)
                       for x in offered)  # fmt: skip


def _handlers(services: Services) -> Sequence[Handler]:
    return (
        (TypeHandler(Update, choose_language), Group.LANGUAGE),
        (on_button(cd.LanguageMenu, on_language_menu), Group.FEATURES),
        (on_button(cd.LanguageSet, on_language_set), Group.FEATURES),
    )


FEATURE = Feature(name="languages", handlers=_handlers)

"""The officers' typed answers to the /broadcast wizard: a message text (with the officer's own
Telegram formatting kept as the bot's HTML; typed tags such as <b> are text, escaped, so
residents never see raw tags), a UK date and time, or part of a NAG's name to find it.
bot/handlers/officers.py receives every typed answer first and hands the wizard's on.
"""

from __future__ import annotations

import html
import logging
import re

from telegram import Message, Update
from telegram.ext import ApplicationHandlerStop

from bot.context import BotContext
from bot.handlers.common import message_text, officer_id, reply, texts
from bot.handlers.wizard_draft import MAX_AHEAD, MAX_TEXT, Draft, draft_of, parse_time
from bot.handlers.wizard_nags import nag_search
from bot.handlers.wizard_screens import ask_image, show_preview
from bot.render.text import e
from bot.telegram.htmlcheck import html_problem

logger = logging.getLogger(__name__)

_HREF = re.compile(r'<a href="([^"]*)">')


def _escaped_href(m: re.Match[str]) -> str:
    # python-telegram-bot writes a link's URL as is: a bare & in it is not valid HTML.
    return f'<a href="{html.escape(html.unescape(m.group(1)))}">'


def message_html(message: Message | None, raw: str) -> str:
    """The officer's message as the bot's HTML: Telegram's entities (bold, italic, underline,
    strike, code, pre, links, spoiler, blockquote) kept, everything else escaped. Plain text if
    the conversion would not be valid (never a message Telegram refuses)."""
    converted = message.text_html if message is not None and message.text else None
    if converted is not None:
        converted = _HREF.sub(_escaped_href, converted).strip()
        if converted and html_problem(converted) is None:
            return converted
        logger.warning("an officer's formatting could not be kept: sent as plain text")
    return e(raw.strip())


async def fits(
    update: Update, context: BotContext, raw: str, empty: str, language: str | None = None
) -> bool:
    """Whether a typed message is some text within Telegram's limit (else says what is wrong;
    `empty` is the question asked again for an empty one; `language` names the language of a
    translation in the answer to one too long)."""
    t = texts(context)
    if len(raw) > MAX_TEXT:
        if language is None:
            await reply(update, t.get("broadcast.too_long", length=len(raw), limit=MAX_TEXT))
        else:
            await reply(
                update,
                t.get(
                    "broadcast.translation_too_long",
                    language=e(language),
                    length=f"{len(raw):,}",
                    limit=f"{MAX_TEXT:,}",
                ),
            )
        return False
    if not raw.strip():
        await reply(update, empty)
        return False
    return True


async def _text_typed(update: Update, context: BotContext, draft: Draft, raw: str) -> None:
    t = texts(context)
    if await fits(update, context, raw, t.get("broadcast.type_text", limit=MAX_TEXT)):
        draft.text, draft.image = message_html(update.effective_message, raw), None
        draft.translations = {}  # translations of another text
        draft.ratings = False  # a typed message is most often a notice: ratings off unless chosen
        await ask_image(update, context, draft)


async def _translation_typed(update: Update, context: BotContext, draft: Draft, raw: str) -> None:
    """The typed text in another language: the same rules as the English, then the preview."""
    t = texts(context)
    lang = next((x for x in context.services.offered() if x.code == draft.translating), None)
    if lang is None:  # no longer offered (the config changed): back to the preview
        draft.translating = None
        await show_preview(update, context, draft)
        return
    again = t.get("broadcast.type_translation", language=e(lang.english_name), limit=MAX_TEXT)
    if await fits(update, context, raw, again):
        draft.translations[lang.code] = message_html(update.effective_message, raw)
        draft.translating = None
        await show_preview(update, context, draft)


async def on_officer_text(update: Update, context: BotContext) -> None:
    """An officer's typed message text, date or NAG search while the wizard waits for one
    (called by the officers' typed-answer handler, bot/handlers/officers.py)."""
    draft = draft_of(context)
    officer = officer_id(update, context)
    if draft is None or draft.step not in ("text", "time", "nags", "translation"):
        return  # not ours: the features' handlers see it as usual
    if officer is None:
        return  # not ours: the features' handlers see it as usual
    raw = message_text(update)
    if draft.step == "text":
        await _text_typed(update, context, draft, raw)
    elif draft.step == "translation":
        await _translation_typed(update, context, draft, raw)
    elif draft.step == "nags":
        await nag_search(update, context, draft, raw)
    else:
        at = parse_time(context, raw)
        if isinstance(at, str):
            await reply(update, texts(context).get(at, days=MAX_AHEAD.days))
        else:
            draft.send_now, draft.send_at = False, at
            await show_preview(update, context, draft)
    raise ApplicationHandlerStop

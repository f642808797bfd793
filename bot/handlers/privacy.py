"""/privacy, /mydata (everything stored about the person, readable and as a JSON file: the right
of access) and /forget (erase it all, after a confirm button).

/mydata and /forget know nothing of the features' data themselves: each feature that stores
something about a person declares its part (bot/features.py: Privacy), and these commands go
through every declared part in order. The resident's own row is this module's part.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup, InputFile, Update

from bot import callback_data as cd
from bot.content import Texts
from bot.content.keys import TextKey
from bot.context import BotContext, Services
from bot.features import Feature, Handler, Privacy
from bot.handlers.common import (
    answer,
    chat_id,
    edit_or_send,
    now,
    on_button,
    pressed,
    reply,
    require_chat,
    texts,
)
from bot.handlers.registry import Command, Group
from bot.handlers.stale import ask, moved_on, settle
from bot.render.keyboards import button
from bot.render.text import date_words, e, when
from bot.services import residents
from storage.residents import Resident

JSON_NAME = "my-data.json"
FEATURE_SECTION = "you"


# /privacy: a summary, then these pages in order (each one phone screen), edited in place.
PRIVACY_PAGES: tuple[TextKey, ...] = (
    "privacy.summary",
    "privacy.stored",
    "privacy.surveys",
    "privacy.rights",
)


def privacy_page(t: Texts, page: int) -> tuple[str, InlineKeyboardMarkup]:
    page = min(max(page, 0), len(PRIVACY_PAGES) - 1)
    buttons = []
    if page == 0:
        buttons.append((t.get("button.privacy_more"), 1))
    else:
        buttons.append((t.get("button.previous"), page - 1))
        if page < len(PRIVACY_PAGES) - 1:
            buttons.append((t.get("button.next"), page + 1))
    row = [button(label, cd.PrivacyPage(to)) for label, to in buttons]
    text = t.get(PRIVACY_PAGES[page])
    if page > 0:
        text = t.get("privacy.page", page=page, pages=len(PRIVACY_PAGES) - 1) + "\n" + text
    return text, InlineKeyboardMarkup([row])


async def privacy_command(update: Update, context: BotContext) -> None:
    """What is stored, why, for how long, and who to contact: a summary, "More detail" after."""
    text, keyboard = privacy_page(texts(context), 0)
    await reply(update, text, keyboard)


async def on_privacy_page(update: Update, context: BotContext) -> None:
    data = pressed(update, cd.PrivacyPage)
    await answer(update)
    text, keyboard = privacy_page(texts(context), data.page if data else 0)
    await edit_or_send(update, text, keyboard)


async def collect_everything(services: Services, chat_id: int) -> dict[str, Any]:
    """Every feature's data about this chat, by section (empty sections left out)."""
    parts = [
        (f.privacy.section, partial(f.privacy.collect, services))
        for f in services.features
        if f.privacy is not None
    ]
    return await residents.collect_everything(parts, chat_id)


async def mydata_command(update: Update, context: BotContext) -> None:
    """Send back everything stored about this person: readable, then the complete JSON file."""
    s = context.services
    t = texts(context)
    chat = require_chat(update)
    data = await collect_everything(s, chat.id)
    if not data:
        await reply(update, t.get("mydata.none"))
        return
    lines = [t.get("mydata.header")]
    parts = [f.privacy for f in s.features if f.privacy is not None]
    for part in sorted(parts, key=lambda p: p.section != FEATURE_SECTION):  # "you" first
        if part.section in data:
            lines.extend(part.describe(t, data[part.section], s.config.tz))
    lines.append(t.get("mydata.footer"))
    await reply(update, "\n".join(lines))
    payload = {
        "about": t.get("mydata.json_about"),
        "exported_at": now(context).isoformat(timespec="seconds"),
        **data,
    }
    body = json.dumps(payload, ensure_ascii=False, indent=2).encode("utf-8")
    await chat.send_document(
        InputFile(body, filename=JSON_NAME), caption=t.get("mydata.json_caption")
    )


async def forget_command(update: Update, context: BotContext) -> None:
    """Ask before deleting everything."""
    t = texts(context)
    keyboard = InlineKeyboardMarkup(
        [
            [
                button(t.get("button.forget_yes"), cd.Forget(True)),
                button(t.get("button.forget_no"), cd.Forget(False)),
            ]
        ]
    )
    await ask(update, context, "forget", t.get("forget.confirm"), keyboard)


async def forget_everything(services: Services, chat_id: int) -> None:
    """Every feature's erase, then the resident's row (whose deletion cascades to the rest)."""
    erasers = [
        partial(f.privacy.erase, services)
        for f in services.features
        if f.privacy is not None and f.privacy.erase is not None
    ]
    await residents.forget_everything(services.db, services.residents, erasers, chat_id)
    services.languages.forget(chat_id)


async def on_forget(update: Update, context: BotContext) -> None:
    """Yes or No under /forget's question, if it is still the current one."""
    if not settle(update, context, "forget"):
        await moved_on(update, context)  # a late Yes must not delete what came since
        return
    data = pressed(update, cd.Forget)
    t = texts(context)
    await answer(update)
    if data is None or not data.yes:
        await edit_or_send(update, t.get("forget.cancelled"))
        return
    await forget_everything(context.services, chat_id(update))
    await edit_or_send(update, t.get("forget.done"))


# ---------------------------------------------------------------- the resident's own row


async def _collect(services: Services, chat_id: int) -> dict[str, Any]:
    r = await services.residents.get(chat_id)
    return {} if r is None else residents.record(r, services.content.nag_by_id)


def _language_name(t: Texts, code: str) -> str:
    """The stored language as the resident reads it: its own name ("Polski (pl)") when the
    replies are in it (they are, unless the content no longer has it), else the code."""
    return f"{t.language.name} ({code})" if t.language.code == code else code


def _describe(t: Texts, d: dict[str, Any], tz: ZoneInfo) -> list[str]:
    yes, no = t.get("common.yes"), t.get("common.no")

    def in_words(value: str | None) -> str:
        return e(when(t, datetime.fromisoformat(value), tz)) if value else "—"

    last = d["last_used_day"] or d["first_used"][:10]
    pending = d.get("waiting_to_open")
    lines = [
        t.get("mydata.chat_id", value=d["chat_id"]),
        t.get("mydata.nag", value=e(d["area"]["name"] or d["area"]["id"] or "—")),
        t.get("mydata.language", value=e(_language_name(t, d["language"]))),
        t.get(
            "mydata.consent",
            value=yes if d["campaign_messages"] else no,
            at=in_words(d["campaign_messages_changed_at"]),
        ),
        t.get("mydata.reminders", value=yes if d["meeting_reminders"] else no),
        t.get("mydata.source", value=e(d["found_us_through"] or "—")),
        t.get("mydata.active", value=yes if d["can_receive_messages"] else no),
        t.get("mydata.created", value=in_words(d["first_used"])),
        t.get("mydata.last_seen", value=e(date_words(t, datetime.fromisoformat(last).date()))),
    ]
    if pending:
        lines.append(t.get("mydata.pending", value=e(pending)))
    return lines


def _handlers(services: Services) -> Sequence[Handler]:
    return (
        (on_button(cd.Forget, on_forget), Group.FEATURES),
        (on_button(cd.PrivacyPage, on_privacy_page), Group.FEATURES),
    )


FEATURE = Feature(
    name="privacy",
    commands=(
        Command("privacy", privacy_command),
        Command("mydata", mydata_command),
        Command("forget", forget_command),
    ),
    handlers=_handlers,
    intents={"privacy": privacy_command, "mydata": mydata_command, "forget": forget_command},
    privacy=Privacy(
        section=FEATURE_SECTION,
        tables=("residents",),
        collect=_collect,
        describe=_describe,
        erase=None,  # forget_everything deletes the row last, after every other part
    ),
)

__all__ = ["FEATURE", "Resident", "collect_everything", "forget_everything"]

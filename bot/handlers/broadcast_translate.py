"""A scheduled typed broadcast's text in another language, changed from its card in chat as the
console changes it (issue 23): "Change the Polish translation" shows what Polish readers get
now (or that they get the English) and asks for the new text, typed as in the /broadcast wizard
(the same limit, the officer's formatting kept as the bot's HTML, typed tags as text); the new
text is previewed exactly as they will see it, and only its Confirm saves it, through the
service the console uses (bot/services/broadcast_desk.py, which writes the audit row). Typing
again replaces the preview; Cancel changes nothing. "Remove" asks first, as the console does.

What is being typed lives in the officer's wizard draft (bot/handlers/wizard_draft.py, steps
retranslate and retranslate_confirm), so one typed answer is waited for at a time and a new
/broadcast or Change time takes its place. A Confirm counts only on the newest preview of the
draft it was drawn for, and acts only while the broadcast is still due when the officer saw it
and has not started; anything else has moved on and changes nothing. The officer's role is
checked on every press (buttons can be forwarded). Officers' text is their content: it is not
put through the residents' safeguarding check (bot/handlers/officers.py routes it first).
"""

from __future__ import annotations

import logging
from typing import TypeVar

from telegram import InlineKeyboardMarkup, Update

from bot import callback_officers as ob
from bot.content import Language, Texts
from bot.content.keys import TextKey
from bot.context import BotContext, Services
from bot.handlers.broadcast_cards import (
    card_view,
    epoch,
    from_epoch,
    refusal,
    typed_languages,
)
from bot.handlers.common import (
    answer,
    chat_id,
    edit_or_send,
    message_text,
    now,
    officer_id,
    pressed,
    reply,
    texts,
)
from bot.handlers.wizard_draft import MAX_TEXT, Draft, begin_draft, draft_of, end_draft, show
from bot.handlers.wizard_screens import send_version
from bot.handlers.wizard_typed import fits, message_html
from bot.render.keyboards import button
from bot.render.text import e, snippet
from bot.services import broadcast_desk as desk
from storage.broadcasts import Broadcast
from storage.model import BroadcastStatus

logger = logging.getLogger(__name__)

STEPS = frozenset({"retranslate", "retranslate_confirm"})
SNIPPET = 300  # characters of the text being removed, on its confirmation

Pressed = ob.EditTranslation | ob.RemoveTranslation


def editable(b: Broadcast) -> bool:
    """Whether `b`'s translations can still change (storage checks the same when saving)."""
    return b.status == BroadcastStatus.SCHEDULED and not b.materialised


def _language(s: Services, b: Broadcast, code: str) -> Language | None:
    return next((x for x in typed_languages(s, b) if x.code == code), None)


async def _pressed(
    update: Update, context: BotContext, kind: type[Pressed]
) -> tuple[Broadcast, Language] | None:
    """The broadcast and language of an officer's press on a card. A foreign or malformed press
    is answered as out of date; a broadcast that has started, ended or moved says why."""
    s, t = context.services, texts(context)
    data = pressed(update, kind)
    officer = officer_id(update, context)
    b = await s.broadcasts.get(data.broadcast) if data and officer else None
    lang = _language(s, b, data.lang) if b is not None and data is not None else None
    if b is None or lang is None:
        await answer(update, t.get("common.stale_button"))
        return None
    await answer(update)
    if not editable(b):
        await reply(update, await refusal(s, t, b.id))
        return None
    return b, lang


Confirmation = TypeVar("Confirmation", ob.ConfirmTranslation, ob.ConfirmRemoveTranslation)


async def _confirmed(
    update: Update, context: BotContext, kind: type[Confirmation]
) -> tuple[int, Confirmation] | None:
    """The officer and the data of a Confirm press; a foreign or malformed one is answered as
    out of date (None)."""
    officer = officer_id(update, context)
    data = pressed(update, kind)
    if officer is None or data is None:
        await answer(update, texts(context).get("common.stale_button"))
        return None
    return officer, data


async def _show_text(
    update: Update, context: BotContext, b: Broadcast, t: Texts, text: str
) -> None:
    """`text` as the readers of `t`'s language get it (picture and buttons as `b` has)."""
    await send_version(chat_id(update), context, b.image, b.ratings, text, t)


async def on_edit(update: Update, context: BotContext) -> None:
    """Change (or add) a translation: what its readers get now, then "type the new text"."""
    press = await _pressed(update, context, ob.EditTranslation)
    if press is None:
        return
    b, lang = press
    s, t = context.services, texts(context)
    current = (await s.broadcasts.translations_of(b.id)).get(lang.code)
    name = e(lang.english_name)
    draft = begin_draft(context, Draft(step="retranslate", edit_of=b.id, translating=lang.code))
    if current is not None:
        await reply(update, t.get("broadcast.preview_in", language=name))
        await _show_text(update, context, b, s.texts(lang.code), current)
    now_words = t.get(
        "broadcast.translation_above" if current is not None else "broadcast.translation_none",
        language=name,
    )
    ask = t.get("broadcast.ask_translation", id=b.id, language=name, limit=f"{MAX_TEXT:,}")
    back = InlineKeyboardMarkup([[button(t.get("broadcast.btn_back"), ob.Manage(b.id))]])
    await show(update, draft, f"{ask}\n\n{now_words}", back, edit=False)


async def on_typed(update: Update, context: BotContext, draft: Draft) -> None:
    """The new text typed: the wizard's checks, then the preview and Confirm / Cancel (typed
    again: a new preview in place of the last)."""
    s, t = context.services, texts(context)
    b = await s.broadcasts.get(draft.edit_of) if draft.edit_of is not None else None
    lang = _language(s, b, draft.translating or "") if b is not None else None
    if b is None or lang is None or not editable(b):
        end_draft(context)
        why = await refusal(s, t, b.id) if b is not None else t.get("common.moved_on")
        await reply(update, why)
        return
    name = e(lang.english_name)
    raw = message_text(update)
    again = t.get("broadcast.ask_translation", id=b.id, language=name, limit=f"{MAX_TEXT:,}")
    if not await fits(update, context, raw, again, lang.english_name):
        return  # still waiting for it
    draft.text = message_html(update.effective_message, raw)
    draft.step = "retranslate_confirm"
    await reply(update, t.get("broadcast.translation_preview", language=name))
    await _show_text(update, context, b, s.texts(lang.code), draft.text)
    had = lang.code in await s.broadcasts.translations_of(b.id)
    effect: TextKey = "broadcast.translation_replaces" if had else "broadcast.translation_adds"
    question = "\n".join(
        [
            t.get("broadcast.confirm_translation", id=b.id, language=name),
            t.get("broadcast.card_text", text=e(snippet(b.text or "", SNIPPET))),
            t.get(effect, language=name),
        ]
    )
    yes = t.get("broadcast.btn_yes_translation", language=lang.english_name)
    markup = InlineKeyboardMarkup(
        [
            [button(yes, ob.ConfirmTranslation(b.id, epoch(b.due_at), lang.code))],
            [button(t.get("broadcast.btn_change_nothing"), ob.Manage(b.id))],
        ]
    )
    await show(update, draft, question, markup, edit=False)


async def on_confirm(update: Update, context: BotContext) -> None:
    """Confirmed: save the previewed text (only the newest preview, only while still due)."""
    s, t = context.services, texts(context)
    confirmed = await _confirmed(update, context, ob.ConfirmTranslation)
    if confirmed is None:
        return
    officer, data = confirmed
    draft = draft_of(context)
    q = update.callback_query
    screen = q.message.message_id if q is not None and q.message is not None else None
    if (
        draft is None
        or draft.step != "retranslate_confirm"
        or (draft.edit_of, draft.translating) != (data.broadcast, data.lang)
        or draft.screen != screen
        or draft.text is None
    ):
        # (an older preview lost its buttons when the newer one was shown; this message may
        # be the card now, whose buttons stay)
        await answer(update, t.get("broadcast.moved_on"))
        return
    await answer(update)
    end_draft(context)
    b = await s.broadcasts.get(data.broadcast)
    due = from_epoch(data.due)
    if b is None or not await desk.edit_translation(
        s.db, b, data.lang, draft.text, officer, now(context), due
    ):
        await edit_or_send(update, await refusal(s, t, data.broadcast))
        return
    await _done(update, context, b.id, "broadcast.translation_saved", data.lang)


async def on_remove(update: Update, context: BotContext) -> None:
    """Remove a translation: says what its readers get instead, then asks to confirm."""
    press = await _pressed(update, context, ob.RemoveTranslation)
    if press is None:
        return
    b, lang = press
    s, t = context.services, texts(context)
    name = e(lang.english_name)
    current = (await s.broadcasts.translations_of(b.id)).get(lang.code)
    if current is None:
        await reply(update, t.get("broadcast.translation_gone", id=b.id, language=name))
        return
    text = "\n".join(
        [
            t.get("broadcast.confirm_remove_translation", id=b.id, language=name),
            t.get("broadcast.card_text", text=e(snippet(current, SNIPPET))),
            t.get("broadcast.remove_translation_effect", language=name),
        ]
    )
    data = ob.ConfirmRemoveTranslation(b.id, epoch(b.due_at), lang.code)
    markup = InlineKeyboardMarkup(
        [
            [button(t.get("broadcast.btn_yes_remove"), data)],
            [button(t.get("broadcast.btn_back"), ob.Manage(b.id))],
        ]
    )
    await edit_or_send(update, text, markup)


async def on_confirm_remove(update: Update, context: BotContext) -> None:
    """Confirmed: remove the translation (only while still due when the officer saw it)."""
    s, t = context.services, texts(context)
    confirmed = await _confirmed(update, context, ob.ConfirmRemoveTranslation)
    if confirmed is None:
        return
    officer, data = confirmed
    await answer(update)
    b = await s.broadcasts.get(data.broadcast)
    lang = _language(s, b, data.lang) if b is not None else None
    if b is None or lang is None or not editable(b):
        await edit_or_send(update, await refusal(s, t, data.broadcast))
        return
    if data.lang not in await s.broadcasts.translations_of(b.id):  # a second press
        gone = t.get("broadcast.translation_gone", id=b.id, language=e(lang.english_name))
        await edit_or_send(update, gone)
        return
    due = from_epoch(data.due)
    if not await desk.edit_translation(s.db, b, data.lang, None, officer, now(context), due):
        await edit_or_send(update, await refusal(s, t, data.broadcast))
        return
    await _done(update, context, b.id, "broadcast.translation_removed", data.lang)


async def _done(update: Update, context: BotContext, bid: int, key: TextKey, code: str) -> None:
    """What changed, above the broadcast's card as it is now (in place of the question)."""
    s, t = context.services, texts(context)
    b = await s.broadcasts.get(bid)
    names = {x.code: x.english_name for x in s.offered()}
    done = t.get(key, id=bid, language=e(names.get(code, code)))
    if b is None:
        await edit_or_send(update, done)
        return
    card, markup = await card_view(s, t, b)
    await edit_or_send(update, f"{done}\n\n{card}", markup)

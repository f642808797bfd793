"""The broadcast wizard's screens: the campaigns to pick from, the picture, audience and time
questions, and the preview exactly as residents will see it, with when they will actually get it
(quiet hours, by delivery's own rule), how many, how long, and any warning that a message was
written for another day. Each ask_* sets the draft's step it waits in.
"""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode

from bot import callback_officers as ob
from bot.content import Texts
from bot.content.keys import TextKey
from bot.context import BotContext
from bot.delivery import photo_source
from bot.domain import disclosure as dc
from bot.domain.broadcasts import pickable_campaigns, sends_image, written_for
from bot.handlers.common import chat_id, now, reply, texts
from bot.handlers.wizard_draft import Draft, show
from bot.render.keyboards import button, rating_keyboard
from bot.render.text import day_long, day_short, describe_audience, e, when_words
from bot.render.wizard import back_cancel, duration_words, message_snippet, protected_count
from bot.services import audiences as au
from bot.services.languages import LanguageCounts, audience_languages, campaign_translations
from bot.telegram.limits import MAX_CAPTION
from bot.telegram.pacing import estimate
from storage.model import AudienceKind


def campaign_list(context: BotContext) -> tuple[str, InlineKeyboardMarkup]:
    """Campaigns running now or starting soon (those over are left out), then "type a new one"."""
    t = texts(context)
    today = now(context).astimezone(context.services.config.tz).date()
    rows = []
    for campaign, (start, _) in pickable_campaigns(context.services.content.campaigns, today):
        if start <= today:
            label = t.get("broadcast.btn_campaign_now", title=campaign.title)
        else:
            day = day_short(t, start, today)
            label = t.get("broadcast.btn_campaign_soon", title=campaign.title, day=day)
        rows.append([button(label, ob.WizardPickCampaign(campaign.id))])
    rows.append([button(t.get("broadcast.btn_type_new"), ob.WizardTypeText())])
    rows.append([button(t.get("broadcast.btn_abandon"), ob.WizardAbandon())])
    return t.get("broadcast.choose_content"), InlineKeyboardMarkup(rows)


async def show_campaigns(update: Update, context: BotContext, draft: Draft, *, edit: bool) -> None:
    draft.step = "content"
    text, markup = campaign_list(context)
    await show(update, draft, text, markup, edit=edit)


async def ask_image(update: Update, context: BotContext, draft: Draft) -> None:
    """A typed message may carry a campaign's image (if the text fits an image caption)."""
    with_images = [c for c in context.services.content.campaigns if c.image]
    if not with_images or len(draft.text or "") > MAX_CAPTION:
        await ask_audience(update, context, draft)
        return
    draft.step = "image"
    t = texts(context)
    rows = [[button(t.get("broadcast.btn_no_image"), ob.WizardImage("-"))]]
    rows += [
        [button(t.get("broadcast.btn_image", title=c.title)[:60], ob.WizardImage(c.id))]
        for c in with_images
    ]
    rows.append(back_cancel(t, "content"))
    await show(
        update, draft, t.get("broadcast.choose_image"), InlineKeyboardMarkup(rows), edit=False
    )


async def ask_audience(update: Update, context: BotContext, draft: Draft) -> None:
    draft.step = "audience"
    t = texts(context)
    rows = [
        [button(t.get("broadcast.btn_all"), ob.WizardAudience(AudienceKind.ALL))],
        [button(t.get("broadcast.btn_nags"), ob.WizardAudience("nags"))],
    ]
    for survey in context.services.content.surveys:
        label = t.get("broadcast.btn_survey", title=survey.title)
        rows.append([button(label[:60], ob.WizardSurvey(survey.id))])
    rows.append(back_cancel(t, "content"))
    await show(update, draft, t.get("broadcast.choose_audience"), InlineKeyboardMarkup(rows))


def send_time(context: BotContext, draft: Draft) -> tuple[datetime, datetime]:
    """(planned, when residents get it): the time chosen (now for "now") and the same time
    moved past quiet hours unless urgent, by the rule delivery applies."""
    current = now(context)
    planned = current if draft.send_now or draft.send_at is None else draft.send_at
    return planned, context.services.broadcasting.send_time(max(planned, current), draft.urgent)


def written_for_warning(context: BotContext, draft: Draft, arrives: datetime) -> str | None:
    """A campaign message written for a day (its `on:`) that would go out on another day."""
    campaign = context.services.content.campaign_by_id.get(draft.campaign or "")
    msg = next((m for m in campaign.messages if m.id == draft.message), None) if campaign else None
    if campaign is None or msg is None:
        return None
    send_day = arrives.astimezone(context.services.config.tz).date()
    meant = written_for(campaign, msg, send_day)
    if meant is None or meant == send_day:
        return None
    t = texts(context)
    return t.get(
        "broadcast.written_for",
        day=day_long(t, meant, send_day),
        text=e(message_snippet(campaign, msg, 60)),
        send_day=day_long(t, send_day, send_day),
    )


def preview_keyboard(context: BotContext, draft: Draft) -> InlineKeyboardMarkup:
    t = texts(context)
    urgent = t.get("broadcast.btn_urgent_on" if draft.urgent else "broadcast.btn_urgent_off")
    ratings = t.get("broadcast.btn_ratings_on" if draft.ratings else "broadcast.btn_ratings_off")
    return InlineKeyboardMarkup(
        [
            [
                button(t.get("broadcast.btn_test"), ob.WizardTest()),
                button(t.get("broadcast.btn_confirm"), ob.WizardConfirm(False)),
            ],
            [
                button(urgent, ob.WizardUrgent()),
                button(ratings, ob.WizardRatings(not draft.ratings)),
            ],
            *translation_buttons(context, draft),
            back_cancel(t, "time"),
        ]
    )


def translation_buttons(context: BotContext, draft: Draft) -> list[list[InlineKeyboardButton]]:
    """A typed message: "Add a translation" (or change it) per other language the bot offers.
    A campaign message needs none: each language's content has its own."""
    if draft.campaign is not None:
        return []
    t = texts(context)
    rows = []
    for x in context.services.offered():
        if x.code == "en":
            continue
        key: TextKey = (
            "broadcast.btn_translation_change"
            if x.code in draft.translations
            else "broadcast.btn_translation_add"
        )
        rows.append([button(t.get(key, language=x.english_name), ob.WizardTranslate(x.code))])
    return rows


def translated(context: BotContext, draft: Draft) -> dict[str, str]:
    """{language: text} of the languages offered that get this message in their own words."""
    s = context.services
    offered = [x.code for x in s.offered() if x.code != "en"]
    if draft.campaign is not None:
        return campaign_translations(s.content_all, draft.text, draft.campaign, offered)
    return {x: v for x, v in draft.translations.items() if x in offered}


async def languages_note(context: BotContext, draft: Draft, total: int | None) -> str | None:
    """How many get it in which language (only when the bot offers more than English), beside
    the audience figure `total` as shown (bot/services/languages.py decides what may show)."""
    s = context.services
    k = s.config.settings.survey.min_count
    counts = await audience_languages(
        s.broadcasts, draft.audience, total, {"en", *translated(context, draft)}, s.offered(), k
    )
    return None if counts is None else languages_words(texts(context), counts, k)


def languages_words(t: Texts, counts: LanguageCounts, k: int) -> str | None:
    """ "Languages: English 40, Polish 12." (or withheld, or to the nearest k)."""
    if counts.withheld:
        names = ", ".join(e(x.english_name) for x in counts.withheld)
        why: TextKey = (
            "broadcast.languages_hidden" if counts.total_hidden else "broadcast.languages_withheld"
        )
        return t.get(why, names=names, min=k)
    if not counts.shown:
        return None
    figures = [
        t.get("broadcast.language_count", name=e(x.english_name), count=n) for x, n in counts.shown
    ]
    key: TextKey = "broadcast.languages_rounded" if counts.rounded else "broadcast.languages"
    return t.get(key, counts=", ".join(figures), min=k)


async def preview_summary(context: BotContext, draft: Draft) -> str:
    """Who gets it, how many, and when they actually get it; warnings last."""
    s = context.services
    t = texts(context)
    count = await s.broadcasts.count_audience(draft.audience)
    names = {n.id: n.name for n in s.content.nags}
    current, tz = now(context), s.config.tz
    planned, arrives = send_time(context, draft)
    at = t.get("broadcast.now") if draft.send_now else when_words(t, planned, tz, current)
    notes = []
    if arrives > max(planned, current):
        key: TextKey = "broadcast.quiet_now" if draft.send_now else "broadcast.quiet_later"
        notes.append(t.get(key, when=e(when_words(t, arrives, tz, current)), planned=e(at)))
    warning = written_for_warning(context, draft, arrives)
    if warning:
        notes.append(warning)
    k = s.config.settings.survey.min_count
    # As every audience figure (bot/services/audiences.py): the NAGs' protected parts.
    fig = await au.audience_figures(
        s.db, [n.id for n in s.content.nags], k, [draft.audience.survey]
    )
    shown = fig.audience(draft.audience)
    languages = await languages_note(context, draft, shown)
    if languages:
        notes.append(languages)
    b = s.config.settings.broadcast
    pace = estimate(
        count,
        rate=b.rate_per_second,
        paid=b.paid,
        paid_rate=b.paid_rate_per_second,
        stars_per_message=b.paid_stars_per_message,
    )
    if pace.paid:
        notes.append(
            t.get(
                "broadcast.paid_cost",
                rate=f"{b.paid_rate_per_second:,}",
                per=f"{b.paid_stars_per_message:g}",
                # The estimate and the bound: which sends Telegram counts as above the free
                # limit is not documented precisely, and an officer budgets for the most.
                stars=f"{pace.stars:,.0f}",
                most=f"{pace.stars_at_most:,.0f}",
            )
        )
    return t.get(
        "broadcast.preview_summary",
        count=protected_count(t, count, k, "broadcast.count_small")
        if shown is not None or dc.small(count, k)
        else t.get("broadcast.count_withheld"),
        duration=duration_words(t, pace.seconds),
        audience=describe_audience(t, draft.audience, names),
        when=e(at),
        urgent=t.get("broadcast.urgent_yes" if draft.urgent else "broadcast.urgent_no"),
        ratings=t.get("broadcast.ratings_yes" if draft.ratings else "broadcast.ratings_no"),
        notes="".join(f"\n\n{n}" for n in notes),
    )


async def show_preview(update: Update, context: BotContext, draft: Draft) -> None:
    """The message exactly as residents will see it, then the recipients and the buttons."""
    draft.step = "preview"
    t = texts(context)
    await reply(update, t.get("broadcast.preview_intro"))
    await send_as_resident_sees(chat_id(update), context, draft)
    summary = await preview_summary(context, draft)
    await show(update, draft, summary, preview_keyboard(context, draft), edit=False)


async def send_as_resident_sees(chat_id: int, context: BotContext, draft: Draft) -> None:
    """The message as residents will get it; a typed message's translations after it, each
    under a line saying who gets it, with its buttons in that language."""
    await send_version(
        chat_id, context, draft.image, draft.ratings, draft.text or "", texts(context)
    )
    if draft.campaign is not None:
        return
    t = texts(context)
    names = {x.code: x.english_name for x in context.services.offered()}
    for lang, text in sorted(draft.translations.items()):
        if lang in names:
            await reply_to(context, chat_id, t.get("broadcast.preview_in", language=names[lang]))
            own = context.services.texts(lang)
            await send_version(chat_id, context, draft.image, draft.ratings, text, own)


async def reply_to(context: BotContext, chat_id: int, text: str) -> None:
    await context.bot.send_message(chat_id, text, parse_mode=ParseMode.HTML)


async def send_version(
    chat_id: int,
    context: BotContext,
    image: str | None,
    ratings: bool,
    text: str,
    t: Texts,
) -> None:
    """One language's text as its readers get it: with the picture and the 👍/👎 buttons (in
    that language, `t`) the broadcast has."""
    # Broadcast id 0 never exists: pressing these preview buttons only says "no longer valid".
    markup = rating_keyboard(t, 0) if ratings else None
    if image and sends_image(image, text):
        await context.bot.send_photo(
            chat_id,
            photo_source(context.services, image),
            caption=text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
        )
        return
    await context.bot.send_message(chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup)

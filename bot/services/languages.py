"""Broadcasts in each resident's language: which text each language gets, and how many get it.

A campaign message is known by its English text: when a broadcast's text is exactly what a
campaign message renders to in English (the calendar's messages, and the wizard's unless the
officer typed their own), each other language the bot offers gets the same message rendered
from its own view of the content (content/<lang>/campaigns.yaml, English per field where it
has no translation). A typed message goes to the readers of each of its translations in
theirs (broadcast_texts), to everyone else as typed.

The /start language question is kept in the resident's row (residents.language_offer):
'<code>?<deep link>' while it waits for an answer, '<code>' once answered, so a restart
neither loses it nor asks it twice.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from bot.content import Content, Language
from bot.domain.disclosure import rounded, small
from bot.render.text import campaign_message_html
from storage.broadcasts import Broadcast, BroadcastStore
from storage.model import Audience, AudienceKind
from storage.residents import Resident, Residents

ASKED = "?"  # between the language offered and the deep link, while the question waits


async def ask_language(residents: Residents, resident: Resident, code: str, payload: str) -> bool:
    """Record that the resident is asked whether they want `code` (and the deep link they
    opened); False if they were asked before (never twice)."""
    if resident.language_offer is not None:
        return False
    return await residents.swap_language_offer(resident.chat_id, None, f"{code}{ASKED}{payload}")


async def language_answered(residents: Residents, chat_id: int) -> str | None:
    """The deep link the resident opened when the language question was asked ("" for none),
    taken once: None when the question was answered already ("" when it was never recorded:
    asked before the bot kept it)."""
    resident = await residents.get(chat_id)
    offer = resident.language_offer if resident is not None else None
    if offer is None or ASKED not in offer:
        return None if offer is not None else ""
    code, _, payload = offer.partition(ASKED)
    if not await residents.swap_language_offer(chat_id, offer, code):
        return None  # two presses at once: the other one carries on
    return payload


def campaign_translations(
    content: Content, text: str | None, campaign_id: str | None, langs: Iterable[str]
) -> dict[str, str]:
    """{language: text} for the languages whose rendering of this campaign message differs
    from English (empty when the text is not a campaign message as the content has it)."""
    en = content.view("en")
    campaign = en.campaign_by_id.get(campaign_id or "")
    if campaign is None or text is None:
        return {}
    for message in (None, *campaign.messages):
        if campaign_message_html(content.t("en"), campaign, message) != text:
            continue
        out = {}
        for lang in langs:
            view = content.view(lang)
            mine = view.campaign_by_id.get(campaign.id)
            if lang == "en" or mine is None:
                continue
            own = next((m for m in mine.messages if message and m.id == message.id), None)
            rendered = campaign_message_html(content.t(lang), mine, own)
            if rendered != text:
                out[lang] = rendered
        return out
    return {}


@dataclass(frozen=True)
class LanguageCounts:
    """Recipients per language as an officer may see them: every figure, or none (withheld)
    when one language has 1 to k-1 (it could be worked out from the others and the total)."""

    shown: tuple[tuple[Language, int], ...]
    withheld: tuple[Language, ...] = ()
    rounded: bool = False  # the figures are to the nearest multiple of k
    total_hidden: bool = False  # withheld because the audience figure is (they add up to it)


def language_counts(
    counts: Mapping[str, int], languages: Iterable[Language], min_count: int
) -> LanguageCounts:
    """The recipients per language; a language a resident chose that is no longer offered
    counts as English (they get English)."""
    offered = list(languages)
    codes = {x.code for x in offered}
    merged: dict[str, int] = {}
    for code, n in counts.items():
        key = code if code in codes else "en"
        merged[key] = merged.get(key, 0) + n
    present = [(x, merged[x.code]) for x in offered if merged.get(x.code)]
    if len(present) > 1 and any(small(n, min_count) for _, n in present):
        return LanguageCounts((), tuple(x for x, _ in present))
    return LanguageCounts(tuple(present))


async def audience_languages(
    store: BroadcastStore,
    audience: Audience,
    total: int | None,
    own: Collection[str],
    offered: Sequence[Language],
    k: int,
) -> LanguageCounts | None:
    """How many of a broadcast's audience now get it in which language, as an officer may see
    it beside the audience figure `total` as shown (None: not shown); None when the bot offers
    English only. A language without its own text (`own`) counts as English. The chat's preview
    and the console's broadcast pages both show this, so the rules are one:

    - withheld (languages named, no figures) when the audience figure is not shown, since the
      figures add up to it, or when a language has 1 to k-1 (`language_counts`);
    - exact for everyone who takes campaign messages; for any other audience (NAGs, a survey's
      residents, a meeting reminder's) rounded to the nearest multiple of k when more than one
      language is present, as filtered survey results are, so that a NAG's split subtracted from
      everyone's never gives a count from 1 to k-1.
    """
    if len(offered) < 2:
        return None
    by_text: dict[str, int] = {}
    for code, n in (await store.count_by_language(audience)).items():
        key = code if code in own else "en"
        by_text[key] = by_text.get(key, 0) + n
    counts = language_counts(by_text, offered, k)
    if total is None and counts.shown:
        return LanguageCounts((), tuple(x for x, _ in counts.shown), total_hidden=True)
    if audience.kind == AudienceKind.ALL or len(counts.shown) < 2:
        return counts
    return replace(counts, shown=tuple((x, rounded(n, k)) for x, n in counts.shown), rounded=True)


async def broadcast_translations(
    store: BroadcastStore, content: Content, b: Broadcast, langs: Collection[str]
) -> dict[str, str]:
    """{language: text} of these languages that get broadcast `b` in their own words: a
    campaign message as each language's content has it, else the translations stored with it."""
    stored = await store.translations_of(b.id)
    out = {x: v for x, v in stored.items() if x in langs}
    out.update(campaign_translations(content, b.text, b.ref, langs))
    return out

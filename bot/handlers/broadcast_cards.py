"""Broadcasts in words, for officers: a /scheduled line and page, a broadcast's card, when
residents get it (delivery's quiet-hours rule), the heads of confirmations, why a confirmation
changed nothing, and the audit trail (split from bot/handlers/officers.py). The figures come
from bot/services/officers.py.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callback_data as cd
from bot import callback_officers as ob
from bot.content import Language, Texts
from bot.content.keys import TextKey
from bot.context import Services
from bot.domain import disclosure as dc
from bot.render.keyboards import button
from bot.render.text import describe_audience, e, officer_name, snippet, when_short, when_words
from bot.services import audiences as au
from bot.services import officers as ro
from bot.services.languages import campaign_translations
from bot.services.officers import Reach
from storage.broadcasts import AuditRow, Broadcast
from storage.model import Audience, AudienceKind, AuditAction, BroadcastKind, BroadcastStatus

logger = logging.getLogger(__name__)

PER_ROW = 3  # "Manage #12" buttons side by side (short enough for a phone)

LIST_SNIPPET = 40  # characters of a message in a /scheduled line

CARD_SNIPPET = 160  # ... and on its card and confirmations

ENDED_KEYS: dict[str, TextKey] = {
    BroadcastStatus.DONE: "broadcast.refused_done",
    BroadcastStatus.CANCELLED: "broadcast.refused_cancelled",
    BroadcastStatus.EXPIRED: "broadcast.refused_expired",
}

STATUS_WORDS: dict[str, TextKey] = {
    BroadcastStatus.SCHEDULED: "broadcast.status_scheduled",
    BroadcastStatus.SENDING: "broadcast.status_sending",
    BroadcastStatus.DONE: "broadcast.status_done",
    BroadcastStatus.CANCELLED: "broadcast.status_cancelled",
    BroadcastStatus.EXPIRED: "broadcast.status_expired",
}

ACTION_WORDS: dict[str, TextKey] = {
    AuditAction.SCHEDULE: "broadcast.action_schedule",
    AuditAction.CANCEL: "broadcast.action_cancel",
    AuditAction.SEND_NOW: "broadcast.action_send_now",
    AuditAction.CHANGE: "broadcast.action_change",
    AuditAction.EXPIRE: "broadcast.action_expire",
}


def epoch(dt: datetime) -> int:
    """A time as whole Unix seconds (what a Confirm button carries; storage keeps seconds)."""
    return int(dt.timestamp())


def from_epoch(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


@dataclass(frozen=True)
class ShownReach(Reach):
    """A broadcast's reach with its figures as officers may see them (bot/services/audiences.py):
    an audience not yet written out as the audience rules allow; a written-out one's figures
    protected as parts and rounded to a multiple of k."""

    shown: au.ReachShown = au.ReachShown(None)


async def audience_figures(s: Services, broadcasts: Sequence[Broadcast]) -> au.AudienceFigures:
    """The audience figures of one view holding these broadcasts (worked out once)."""
    k = s.config.settings.survey.min_count
    surveys = {b.audience.survey for b in broadcasts}
    return await au.audience_figures(s.db, [n.id for n in s.content.nags], k, surveys)


def shown_reach(fig: au.AudienceFigures, b: Broadcast, r: Reach) -> ShownReach:
    return ShownReach(r.total, r.sent, r.remaining, fig.reach(b, r.total, r.sent, r.remaining))


async def reach(s: Services, b: Broadcast) -> ShownReach:
    fig = await audience_figures(s, [b])
    return shown_reach(fig, b, await ro.reach(s.broadcasts, b))


def short_audience(t: Texts, s: Services, audience: Audience) -> str:
    """A few words for a /scheduled line: "everyone", "Fishermead", "3 NAGs"."""
    nags = [e(n.short_name) for i in audience.nags if (n := s.content.nag_by_id.get(i))]
    if audience.kind in (AudienceKind.NAGS, AudienceKind.REMINDER):
        names = ", ".join(nags) if len(nags) <= 2 else t.get("broadcast.short_nags", n=len(nags))
        key: TextKey = (
            "broadcast.short_reminder"
            if audience.kind == AudienceKind.REMINDER
            else "broadcast.short_in"
        )
        return t.get(key, names=names)
    if audience.kind == AudienceKind.SURVEY:
        return t.get("broadcast.short_survey")
    if audience.kind == AudienceKind.PERSONAL:
        return t.get("broadcast.short_personal")
    return t.get("broadcast.short_all")


def message_words(t: Texts, b: Broadcast, limit: int) -> str:
    """The message in a few words (escaped)."""
    if b.kind == BroadcastKind.REMINDER:
        return t.get("broadcast.what_reminder")
    if b.kind == BroadcastKind.SURVEY_RESULTS:
        return t.get("broadcast.what_results")
    return e(snippet(b.text or "", limit))


def origin(t: Texts, s: Services, b: Broadcast) -> str:
    if b.kind == BroadcastKind.CAMPAIGN:
        return t.get("broadcast.origin_campaign")
    if b.kind == BroadcastKind.REMINDER:
        return t.get("broadcast.origin_reminder")
    if b.kind == BroadcastKind.SURVEY_RESULTS:
        return t.get("broadcast.origin_results")
    who = officer_name(t, s.roster.entry(b.created_by), b.created_by)
    return t.get("broadcast.origin_officer", who=who)


def nag_names(s: Services) -> dict[str, str]:
    return {n.id: n.name for n in s.content.nags}


def arrival_line(t: Texts, s: Services, planned: datetime, urgent: bool, current: datetime) -> str:
    """When residents get a broadcast planned for `planned`, by delivery's own rule: the time,
    or the quiet-hours line when it is held back (no quiet-hours words otherwise)."""
    tz = s.config.tz
    arrives = s.broadcasting.send_time(max(planned, current), urgent)
    if arrives > max(planned, current):
        return t.get("broadcast.quiet_gets_it", when=e(when_words(t, arrives, tz, current)))
    if planned <= current:
        return t.get("broadcast.gets_it_now")
    return t.get("broadcast.gets_it_at", when=e(when_words(t, planned, tz, current)))


@dataclass(frozen=True)
class ReachWords:
    """A broadcast's reach as officers may see it (bot/domain/disclosure.py): its total, and
    once it is going out how many have it and how many are still to go, as parts of the total
    (None: not shown, so that neither can be worked out from the other)."""

    total: str
    sent: str | None = None
    remaining: str | None = None


def reach_words(t: Texts, s: Services, b: Broadcast, r: Reach) -> ReachWords:
    k = s.config.settings.survey.min_count
    if isinstance(r, ShownReach):
        return _shown_words(t, b, r, k)

    def words(shown: int | None, raw: int) -> str:
        if shown is not None:
            return f"{shown:,}"
        small = dc.small(raw, k)
        return t.get("broadcast.count_small", k=k) if small else t.get("broadcast.count_withheld")

    if b.status != BroadcastStatus.SENDING:
        return ReachWords(words(dc.shown(r.total, k), r.total))
    p = dc.protect_parts(r.total, (r.sent, r.remaining), k)
    total = words(p.total, r.total)
    sent, remaining = p.parts
    if sent is None or remaining is None:
        return ReachWords(total)
    return ReachWords(total, f"{sent:,}", f"{remaining:,}")


def _shown_words(t: Texts, b: Broadcast, r: ShownReach, k: int) -> ReachWords:
    x = r.shown

    def words(shown: int | None) -> str:
        if shown is not None:
            # A written-out broadcast's figures are rounded: said so, with "≈".
            return f"≈{shown:,}" if x.rounded and shown else f"{shown:,}"
        return t.get("broadcast.count_small", k=k) if x.small else t.get("broadcast.count_withheld")

    total = words(x.total)
    if b.status != BroadcastStatus.SENDING or x.sent is None or x.remaining is None:
        return ReachWords(total)
    return ReachWords(total, words(x.sent), words(x.remaining))


def list_line(t: Texts, s: Services, b: Broadcast, r: Reach, current: datetime) -> str:
    what = message_words(t, b, LIST_SNIPPET)
    audience = short_audience(t, s, b.audience)
    w = reach_words(t, s, b, r)
    if b.status == BroadcastStatus.SENDING and w.sent is None:
        line = t.get(
            "broadcast.list_item_sending_hidden",
            id=b.id,
            what=what,
            audience=audience,
            total=w.total,
        )
    elif b.status == BroadcastStatus.SENDING:
        line = t.get(
            "broadcast.list_item_sending",
            id=b.id,
            what=what,
            audience=audience,
            sent=w.sent,
            total=w.total,
        )
    else:
        line = t.get(
            "broadcast.list_item",
            id=b.id,
            when=e(when_short(t, b.due_at, s.config.tz, current)),
            what=what,
            audience=audience,
            count=w.total,
        )
    if b.kind == BroadcastKind.OFFICER:
        # Who scheduled it, in short: "Sam" of "Sam (Safer Neighbourhood Team)".
        who = officer_name(t, s.roster.entry(b.created_by), b.created_by)
        line += t.get("broadcast.list_by", who=who.split(" (")[0])
    return line


async def list_view(s: Services, t: Texts, later: bool, page: int) -> tuple[str, Any]:
    """One page of /scheduled: a line per broadcast and a Manage button for each."""
    current = s.clock.now()
    listed = await ro.scheduled_page(s.broadcasts, current, later, page)
    if listed.empty:
        return t.get("broadcast.none_scheduled"), None
    page, pages = listed.page, listed.pages
    head: TextKey = "broadcast.later_head" if later else "broadcast.scheduled_head"
    lines = [t.get(head, count=listed.count)]
    fig = await audience_figures(s, [b for b, _ in listed.shown])
    lines += [list_line(t, s, b, shown_reach(fig, b, r), current) for b, r in listed.shown]
    if not later and listed.idle:
        lines.append(t.get("broadcast.idle_reminders", count=listed.idle))
    if pages > 1:
        lines.append(t.get("broadcast.list_page", page=page + 1, pages=pages))
    manage = [
        button(t.get("broadcast.btn_manage", id=b.id), ob.Manage(b.id)) for b, _ in listed.shown
    ]
    rows = [manage[i : i + PER_ROW] for i in range(0, len(manage), PER_ROW)]
    nav = []
    if page > 0:
        nav.append(button(t.get("broadcast.btn_prev"), ob.ScheduledList(later, page - 1)))
    if page + 1 < pages:
        nav.append(button(t.get("broadcast.btn_next"), ob.ScheduledList(later, page + 1)))
    if nav:
        rows.append(nav)
    if later:
        rows.append([button(t.get("broadcast.btn_back_soon"), ob.ScheduledList(False, 0))])
    elif listed.later_count:
        label = t.get("broadcast.btn_show_later", count=listed.later_count)
        rows.append([button(label, ob.ScheduledList(True, 0))])
    return "\n".join(lines), InlineKeyboardMarkup(rows) if rows else None


async def card_view(s: Services, t: Texts, b: Broadcast) -> tuple[str, InlineKeyboardMarkup]:
    """What the broadcast is, who gets it, when, and what can be done with it."""
    current = s.clock.now()
    w = reach_words(t, s, b, await reach(s, b))
    parts = [
        t.get("broadcast.card_head", id=b.id, origin=origin(t, s, b)),
        t.get("broadcast.card_text", text=message_words(t, b, CARD_SNIPPET)),
        t.get(
            "broadcast.card_audience",
            audience=describe_audience(t, b.audience, nag_names(s)),
            count=w.total,
        ),
    ]
    if b.kind == BroadcastKind.OFFICER:  # chosen per broadcast in the wizard
        key: TextKey = "broadcast.ratings_yes" if b.ratings else "broadcast.ratings_no"
        parts.append(t.get("broadcast.card_ratings", ratings=t.get(key)))
    stored = await s.broadcasts.translations_of(b.id) if b.kind == BroadcastKind.OFFICER else {}
    if stored:  # a typed text's translations (a language no longer offered: by its code)
        names = {x.code: x.english_name for x in s.offered()}
        own = [names.get(code, code) for code in sorted(stored)]
        parts.append(t.get("broadcast.card_translations", languages=e(", ".join(own))))
    back = [button(t.get("broadcast.btn_back_list"), ob.ScheduledList(False, 0))]
    if b.status == BroadcastStatus.SCHEDULED:
        parts.append(arrival_line(t, s, b.due_at, b.urgent, current))
        rows = [
            [
                button(t.get("broadcast.btn_send_now"), ob.SendNow(b.id)),
                button(t.get("broadcast.btn_change_time"), ob.Retime(b.id)),
            ],
            *translation_rows(t, s, b, stored),
            [button(t.get("broadcast.btn_cancel_it"), ob.CancelBroadcast(b.id))],
            back,
        ]
    elif b.status == BroadcastStatus.SENDING:
        parts.append(sending_line(t, s, w))
        rows = [[button(t.get("broadcast.btn_stop_rest"), ob.CancelBroadcast(b.id))], back]
    else:
        parts.append(t.get(ENDED_KEYS[b.status], id=b.id))
        rows = [back]
    return "\n".join(parts), InlineKeyboardMarkup(rows)


def typed_languages(s: Services, b: Broadcast) -> list[Language]:
    """The languages other than English an officer may type `b`'s text in: each one offered,
    unless `b` is a campaign message whose text that language's content gives."""
    if b.kind != BroadcastKind.OFFICER:
        return []
    others = [x for x in s.offered() if x.code != "en"]
    from_content = campaign_translations(s.content_all, b.text, b.ref, [x.code for x in others])
    return [x for x in others if x.code not in from_content]


def translation_rows(
    t: Texts, s: Services, b: Broadcast, stored: Mapping[str, str]
) -> list[list[InlineKeyboardButton]]:
    """A scheduled typed broadcast's texts in other languages, as the console changes them:
    Add (or Change) per language, and Remove where one was typed (each asks before acting)."""
    if b.status != BroadcastStatus.SCHEDULED or b.materialised:
        return []
    rows = []
    for x in typed_languages(s, b):
        have = x.code in stored
        key: TextKey = (
            "broadcast.btn_translation_change" if have else "broadcast.btn_translation_add"
        )
        rows.append([button(t.get(key, language=x.english_name), ob.EditTranslation(b.id, x.code))])
        if have:
            label = t.get("broadcast.btn_translation_remove", language=x.english_name)
            rows.append([button(label, ob.RemoveTranslation(b.id, x.code))])
    return rows


def sending_line(t: Texts, s: Services, w: ReachWords) -> str:
    """How far a broadcast going out has got (or that this is not shown)."""
    if w.sent is None:
        k = s.config.settings.survey.min_count
        return t.get("broadcast.card_sending_hidden", k=k)
    return t.get("broadcast.card_sending", sent=w.sent, remaining=w.remaining)


def confirm_keyboard(t: Texts, label: str, data: cd.CallbackData, bid: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[button(label, data)], [button(t.get("broadcast.btn_back"), ob.Manage(bid))]]
    )


def confirm_head(t: Texts, s: Services, b: Broadcast, key: TextKey, count: str | None) -> list[str]:
    """The first lines of every confirmation: what is asked, the text, and who gets it (with
    how many, as `reach_words` puts it, when `count` is given)."""
    audience = describe_audience(t, b.audience, nag_names(s))
    return [
        t.get(key, id=b.id),
        t.get("broadcast.card_text", text=message_words(t, b, CARD_SNIPPET)),
        t.get("broadcast.card_audience", audience=audience, count=count)
        if count is not None
        else t.get("broadcast.card_audience_only", audience=audience),
    ]


async def refusal(s: Services, t: Texts, bid: int) -> str:
    """Why a confirmation changed nothing: the broadcast's state now, in words."""
    b = await s.broadcasts.get(bid)
    if b is None:
        return t.get("common.stale_button")
    if b.status in ENDED_KEYS:
        return t.get(ENDED_KEYS[b.status], id=b.id)
    current = s.clock.now()
    if b.status == BroadcastStatus.SENDING or b.due_at <= current:
        return t.get("broadcast.refused_sending", id=b.id)
    when = e(when_words(t, b.due_at, s.config.tz, current))
    return t.get("broadcast.refused_moved", id=b.id, when=when)


def audit_trail(s: Services, t: Texts, rows: Sequence[AuditRow], current: datetime) -> str:
    """The broadcast's history: when, what and who (officers by their name in the config)."""
    lines = []
    for a in rows:
        action = action_words(t, s, a)
        when = e(when_words(t, a.at, s.config.tz, current))
        if a.actor_id is None:
            lines.append(t.get("broadcast.audit_line_auto", when=when, action=action))
            continue
        who = officer_name(t, s.roster.entry(a.actor_id), a.actor_id)
        lines.append(t.get("broadcast.audit_line", when=when, action=action, who=who))
    return "\n".join(lines)


# The details storage/broadcast_calendar.py writes for an officer's change of text.
CHANGED_TRANSLATION = re.compile(r"translation (edited|removed) \(([A-Za-z_-]+)\)")


def action_words(t: Texts, s: Services, a: AuditRow) -> str:
    """What an audit row did, in words: a change of text or of one translation said as such
    (a change is otherwise of the time)."""
    if a.action == AuditAction.CHANGE and a.detail:
        m = CHANGED_TRANSLATION.fullmatch(a.detail)
        if m is not None:
            names = {x.code: x.english_name for x in s.offered()}
            key: TextKey = (
                "broadcast.action_translation_edited"
                if m.group(1) == "edited"
                else "broadcast.action_translation_removed"
            )
            return t.get(key, language=e(names.get(m.group(2), m.group(2))))
        if a.detail.startswith("text edited"):
            return t.get("broadcast.action_text_edited")
    return t.get(ACTION_WORDS[a.action]) if a.action in ACTION_WORDS else e(a.action)

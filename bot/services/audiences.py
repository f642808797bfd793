"""How many residents a broadcast reaches, as officers may see it: the one place that decides
every audience and delivery figure of /scheduled, the group picker, the 24-hour notice, /report
and the console's Broadcasts and Reach pages, so that no combination of them gives a count
from 1 to k-1 (README.md, "Small numbers").

Audiences (broadcasts not yet written out):
- The parts. Residents taking campaign messages are split into one part per NAG and one for
  those in no NAG; residents taking meeting reminders likewise. `hide_among` (the survey
  results' rule for parts of a total) decides which parts may show; the Reach page's table of
  NAGs shows the same campaign figures, so the two are protected together (`protect_consent`):
  a part hidden in either is hidden in both, until neither changes.
- Everyone (campaign messages): shown when 0 or k or more.
- Chosen NAGs, or a meeting reminder's: the sum of their parts when every one of them shows, or
  the total less the parts left out when every one of those shows (either is worked out from
  figures already shown); otherwise not shown ("withheld"), whatever its size.
- Those who finished a survey: a part of everyone, with the rest as the other part.

Delivery figures (a broadcast written out: its recipients then, sent, still to go, blocked,
...) are a snapshot that another broadcast's could be subtracted from, so they are protected as
parts of their total and then rounded to the nearest multiple of k (`delivery`), as filtered
survey results are: two broadcasts' figures differ by a multiple of k, never by an exact count.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from bot.domain import disclosure as dc
from bot.domain.disclosure_table import Pos, TableView, protect_table
from storage.broadcasts import Broadcast, BroadcastStore
from storage.db import Database
from storage.model import Audience, AudienceKind
from storage.reach import ReachStore

Key = str | None  # a NAG id, or None: residents in no NAG
OTHER = dc.OTHER


@dataclass(frozen=True)
class Parts:
    """Raw parts (one per NAG in content order, then no NAG) and which may be shown."""

    raw: Mapping[Key, int]
    shown: Mapping[Key, int | None]

    @property
    def total(self) -> int:
        return sum(self.raw.values())

    def of(self, nags: Collection[str]) -> int | None:
        """The audience of these NAGs, if it can be shown (see the module's docstring)."""
        inside = [self.shown.get(n, 0) for n in nags]
        if None not in inside:
            return sum(v or 0 for v in inside)
        outside = [v for key, v in self.shown.items() if key not in nags]
        if None not in outside:
            return self.total - sum(v or 0 for v in outside)
        return None


def hide_parts(raw: Mapping[Key, int], k: int, also: Collection[Key] = ()) -> Parts:
    """Which parts of a total may be shown (disclosure.hide_among), `also` hidden anyway."""
    keys = list(raw)
    counts = [raw[x] for x in keys]
    hidden, ok = dc.hide_among(counts, k, {i for i, x in enumerate(keys) if x in also})
    if not ok and also:
        # hide_among weighs only the parts it chose; those hidden anyway count too.
        smalls = [counts[i] for i in hidden if dc.small(counts[i], k)]
        total = sum(counts[i] for i in hidden)
        ok = len(hidden) >= 2 and total >= k and dc.safe_parts(smalls, total, k)
    if not ok:
        hidden = frozenset(range(len(keys)))
    return Parts(raw, {x: None if i in hidden else raw[x] for i, x in enumerate(keys)})


def protect_consent(
    raw: Mapping[Key, int],
    labels: Sequence[str],
    cells: Sequence[Sequence[int]],
    taking: int,
    k: int,
) -> tuple[Parts, TableView]:
    """The campaign audience's parts and the Reach table of NAGs (rows `labels`: NAG ids, then
    OTHER for the rest; column `taking` holds each row's part of the same residents), protected
    together: a row's cell is hidden exactly when its parts are, until neither changes."""
    row = {x: (x if x in labels else OTHER) for x in raw}
    forced_parts: set[Key] = set()
    forced_cells: set[Pos] = set()
    public = [taking] if not dc.small(sum(raw.values()), k) else []
    while True:
        parts = hide_parts(raw, k, forced_parts)
        forced_cells |= {
            (labels.index(row[x]), taking)
            for x, v in parts.shown.items()
            if v is None and raw[x] and row[x] in labels
        }
        view = protect_table(cells, k, also=forced_cells, public=public)
        hidden_rows = {labels[i] for i, r in enumerate(view.cells) if r[taking] is None}
        more = {x for x in raw if row[x] in hidden_rows and raw[x]} - forced_parts
        if not more:
            return parts, view
        forced_parts |= more


@dataclass(frozen=True)
class ReachShown:
    """A broadcast's reach as it may be shown (None: not shown)."""

    total: int | None
    sent: int | None = None
    remaining: int | None = None
    small: bool = False  # the total is not shown because it is from 1 to k-1
    rounded: bool = False  # figures of a written-out broadcast: rounded to a multiple of k


@dataclass(frozen=True)
class AudienceFigures:
    """Every audience figure of one view, worked out once."""

    k: int
    consent: Parts
    reminders: Parts
    survey_counts: Mapping[str, int]  # survey id -> those of everyone who finished it

    def everyone(self) -> int | None:
        return dc.shown(self.consent.total, self.k)

    def nag_part(self, nag: str) -> int | None:
        return self.consent.shown.get(nag, 0)

    def audience(self, a: Audience) -> int | None:
        """A broadcast's audience now, as it may be shown (None: not shown)."""
        k = self.k
        if a.kind == AudienceKind.NAGS:
            return _whole(self.consent, a.nags, k)
        if a.kind == AudienceKind.REMINDER:
            return _whole(self.reminders, a.nags, k)
        if a.kind == AudienceKind.SURVEY:
            n = self.survey_counts.get(a.survey or "", 0)
            everyone = self.consent.total
            return dc.protect_parts(everyone, [n, everyone - n], k).parts[0]
        if a.kind == AudienceKind.PERSONAL:
            return 0
        return self.everyone()

    def reach(self, b: Broadcast, total: int, sent: int = 0, remaining: int = 0) -> ReachShown:
        """A broadcast's reach: its audience now until it is written out (`total`), then its
        recipients then (`sent` and `remaining`), protected and rounded (`delivery`)."""
        if not b.materialised:
            return ReachShown(self.audience(b.audience), small=dc.small(total, self.k))
        d = delivery((sent, remaining), self.k)
        return ReachShown(d.total, d.parts[0], d.parts[1], d.small, rounded=True)


def _whole(parts: Parts, nags: Collection[str], k: int) -> int | None:
    if dc.small(parts.total, k):
        return None
    return parts.of(nags)


@dataclass(frozen=True)
class Delivery:
    """A written-out broadcast's figures as shown: protected as parts of the total, then
    rounded to a multiple of k (None: not shown)."""

    total: int | None
    parts: tuple[int | None, ...]
    small: bool  # the total is from 1 to k-1


def delivery(parts: Sequence[int], k: int) -> Delivery:
    """A written-out broadcast's figures (recipients then, by outcome): see the docstring."""
    p = dc.protect_parts(sum(parts), list(parts), k)
    total = None if p.total is None else dc.rounded(p.total, k)
    return Delivery(
        total,
        tuple(None if x is None else dc.rounded(x, k) for x in p.parts),
        dc.small(sum(parts), k),
    )


async def audience_figures(
    db: Database, nag_order: Sequence[str], k: int, surveys: Collection[str | None] = ()
) -> AudienceFigures:
    """The figures of every audience in one view (the surveys' whose audiences it shows)."""
    store = BroadcastStore(db)
    labels, cells, raw = await consent_table(ReachStore(db), nag_order, k)
    consent, _ = protect_consent(raw, labels, cells, 0, k)
    reminders = hide_parts(_ordered(await store.reminder_parts(), nag_order), k)
    counts: dict[str, int] = {}
    for sid in {x for x in surveys if x is not None}:
        counts[sid] = await store.count_audience(Audience(AudienceKind.SURVEY, (), sid))
    return AudienceFigures(k, consent, reminders, counts)


def _ordered(raw: Mapping[Key, int], order: Sequence[str]) -> dict[Key, int]:
    """Parts in content order, then NAGs no longer in the content, then no NAG."""
    keys: list[Key] = [*order, *sorted(x for x in raw if x is not None and x not in order)]
    return {**{x: raw.get(x, 0) for x in keys}, None: raw.get(None, 0)}


# The Reach table's columns (storage.reach.NagStatuses), taking campaign messages first.
STATUSES = ("taking", "said_no", "not_answered", "blocked")


async def consent_table(
    store: ReachStore, order: Sequence[str], k: int
) -> tuple[list[str], list[list[int]], dict[Key, int]]:
    """The Reach table's rows (NAGs with k or more residents, then OTHER), its cells by
    STATUSES, and the campaign audience's raw parts, from one query."""
    raw_rows = await store.statuses()
    counts = {r.nag: (r.taking, r.said_no, r.not_answered, r.blocked) for r in raw_rows}
    totals = {nag: sum(c) for nag, c in counts.items()}
    shown = dc.shown_nags(totals, order, k)
    rest = [0] * len(STATUSES)
    for nag, c in counts.items():
        if nag not in shown:
            rest = [a + b for a, b in zip(rest, c, strict=True)]
    labels = [*shown, *([OTHER] if any(rest) else [])]
    cells = [list(counts[x]) for x in shown] + ([rest] if any(rest) else [])
    raw = _ordered({nag: c[0] for nag, c in counts.items()}, order)
    return labels, cells, raw

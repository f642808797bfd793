"""Content: load content/*.yaml into typed, frozen objects and report every problem as file:line.

One package, one loader per file: nags, campaigns, texts, surveys, the safeguarding lexicon and
the plain-language intents, all reporting through one collector (bot/content/base.py). The same
loader serves the bot at start-up, /reload, `safermk-bot check-content` and the tests. Imports
neither telegram nor SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.content.base import Collector, ContentError, Link, Problem
from bot.content.campaigns import Campaign, ScheduledMessage, load_campaigns
from bot.content.examples import Examples, load_examples
from bot.content.intents import INTENTS, load_intents
from bot.content.nags import Contact, MeetingRule, Nag, Venue, load_nags
from bot.content.readability import check_files
from bot.content.safety import load_safety
from bot.content.survey_loading import load_surveys
from bot.content.surveys import END, Condition, Jump, Option, Question, Survey
from bot.content.texts import Texts, load_texts
from bot.domain.safety import Lexicon

__all__ = [
    "END", "Campaign", "Condition", "Contact", "Content", "ContentError", "Jump", "Lexicon",
    "Link", "MeetingRule", "Nag", "Option", "Problem", "Question", "ScheduledMessage", "Survey",
    "Texts", "Venue", "load_content",
]  # fmt: skip


@dataclass(frozen=True)
class Content:
    nags: tuple[Nag, ...]
    campaigns: tuple[Campaign, ...]
    texts: dict[str, Texts]
    directory: Path
    surveys: tuple[Survey, ...]
    safety: Lexicon  # content/safety.yaml
    intents: Lexicon  # content/intents.yaml
    examples: Examples = Examples()  # content/examples/: what the understanding layer learns
    warnings: tuple[Problem, ...] = ()
    nag_by_id: dict[str, Nag] = field(default_factory=dict)
    campaign_by_id: dict[str, Campaign] = field(default_factory=dict)
    survey_by_id: dict[str, Survey] = field(default_factory=dict)

    def t(self, lang: str = "en") -> Texts:
        return self.texts.get(lang) or self.texts["en"]


def load_content(directory: Path, tz: ZoneInfo | None = None) -> Content:
    """Load and validate everything under `directory`; raise ContentError with every problem."""
    tz = tz or ZoneInfo("Europe/London")
    directory = Path(directory)
    col = Collector(directory)
    if not directory.is_dir():
        raise ContentError([Problem(str(directory), 1, "content folder not found")])
    nags = load_nags(col, directory / "nags.yaml", tz)
    # None when nags.yaml cannot be read: every NAG named elsewhere would look unknown.
    nag_ids = frozenset(n.id for n in nags) if col.readable(directory / "nags.yaml") else None
    campaigns = load_campaigns(col, directory / "campaigns.yaml", directory, nag_ids)
    texts = load_texts(col, directory)
    survey_dir = directory / "surveys"
    en = texts["en"]
    yes_no = (
        (en.get("button.survey_yes"), en.get("button.survey_no"))
        if "button.survey_yes" in en and "button.survey_no" in en
        else ("Yes", "No")
    )
    surveys = load_surveys(col, survey_dir, nag_ids, yes_no) if survey_dir.is_dir() else []
    survey_files = sorted(survey_dir.glob("*.yaml")) if survey_dir.is_dir() else []
    safety = load_safety(col, directory / "safety.yaml")
    intents = load_intents(col, directory / "intents.yaml")
    if safety is not None:
        known = {c.id for c in safety.categories}
        for c in campaigns:
            for topic in set(c.topics) - known:
                problem = f"campaign {c.id}: unknown topic {topic!r}"
                col.add(directory / "campaigns.yaml", 1, problem)
    # An unreadable safety.yaml is reported once: its topics are not checked against it then.
    topic_ids = {c.id for c in safety.categories} if safety else None
    examples = load_examples(col, directory, topic_ids, set(INTENTS))
    check_files(col, [directory / "campaigns.yaml", directory / "safety.yaml", *survey_files])
    if col.problems or safety is None or intents is None:
        raise ContentError(col.sorted_problems())
    # Intents share the safeguarding check's normalisation: its text-speak first.
    intents = replace(intents, aliases={**safety.aliases, **intents.aliases})
    return Content(
        nags=tuple(nags),
        campaigns=tuple(campaigns),
        texts=texts,
        directory=directory,
        surveys=tuple(surveys),
        safety=safety,
        intents=intents,
        examples=examples,
        warnings=tuple(sorted(col.warnings)),
        nag_by_id={n.id: n for n in nags},
        campaign_by_id={c.id: c for c in campaigns},
        survey_by_id={s.id: s for s in surveys},
    )

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
from bot.content.frames import frames_in, load_frames
from bot.content.intents import INTENTS, load_intents
from bot.content.languages import Language
from bot.content.lexicons import intents_in, safety_in
from bot.content.nags import Contact, MeetingRule, Nag, Venue, load_nags
from bot.content.overlays import overlay
from bot.content.readability import check_files
from bot.content.safety import load_safety
from bot.content.survey_loading import load_surveys
from bot.content.surveys import END, Condition, Jump, Option, Question, Survey
from bot.content.texts import Texts, load_texts
from bot.domain.frames import FrameWords
from bot.domain.safety import Lexicon

__all__ = [
    "END", "Campaign", "Condition", "Contact", "Content", "ContentError", "Jump", "Language",
    "Lexicon", "Link", "MeetingRule", "Nag", "Option", "Problem", "Question", "ScheduledMessage",
    "Survey", "Texts", "Venue", "load_content",
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
    frames: FrameWords = FrameWords()  # content/frames.yaml (and content/<lang>/frames.yaml)
    warnings: tuple[Problem, ...] = ()
    nag_by_id: dict[str, Nag] = field(default_factory=dict)
    campaign_by_id: dict[str, Campaign] = field(default_factory=dict)
    survey_by_id: dict[str, Survey] = field(default_factory=dict)
    lang: str = "en"  # the language of this view's campaigns, NAG cards, surveys and lexicons
    # Every language's view of the same content, English included (one dict, shared by all).
    views: dict[str, Content] = field(default_factory=dict, compare=False, repr=False)
    translated: dict[str, int] = field(default_factory=dict)  # of this view: what -> how many

    def t(self, lang: str = "en") -> Texts:
        return self.texts.get(lang) or self.texts["en"]

    def view(self, lang: str) -> Content:
        """The content in `lang` (English where it has no translation)."""
        return self.views.get(lang, self)

    def languages(self) -> list[Language]:
        """Every language the content has, English first."""
        return [self.texts[code].language for code in self.views]

    def language_report(self) -> list[str]:
        """A line per other language: how much is translated, the rest falls back to English."""
        en = self.t()
        total = len(list(en.keys()))
        lines = []
        for code, view in self.views.items():
            if code == "en":
                continue
            t = self.t(code)
            lang = t.language
            done = len(t.own & set(en.keys()))
            parts = [f"{done} of {total} texts translated ({total - done} in English)"]
            for what, n in (("campaigns", len(self.campaigns)), ("nags", len(self.nags)),
                            ("surveys", len(self.surveys))):  # fmt: skip
                parts.append(f"{what} {view.translated.get(what, 0)} of {n}")
            parts.append(f"safety categories {view.translated.get('safety', 0)} of"
                         f" {len(self.safety.categories)}")  # fmt: skip
            parts.append(f"intents {view.translated.get('intents', 0)} of"
                         f" {len(self.intents.categories)}")  # fmt: skip
            parts.append(f"{view.translated.get('examples', 0)} examples")
            by = f", reviewed by {lang.reviewed_by}" if lang.reviewed_by else ""
            lines.append(f"{code} ({lang.name}, {lang.status}{by}): " + "; ".join(parts))
        return lines


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
    frames = load_frames(col, directory / "frames.yaml")
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
    base = Content(
        nags=tuple(nags),
        campaigns=tuple(campaigns),
        texts=texts,
        directory=directory,
        surveys=tuple(surveys),
        safety=safety,
        intents=intents,
        examples=examples,
        frames=frames,
        warnings=tuple(sorted(col.warnings)),
        nag_by_id={n.id: n for n in nags},
        campaign_by_id={c.id: c for c in campaigns},
        survey_by_id={s.id: s for s in surveys},
    )
    base.views["en"] = base
    for lang in sorted(set(texts) - {"en"}):
        base.views[lang] = _view(col, base, lang)
    if col.problems:
        raise ContentError(col.sorted_problems())
    return base


def _view(col: Collector, base: Content, lang: str) -> Content:
    """The content in `lang`: content/<lang>/ laid over the English, per field."""
    folder = base.directory / lang
    t = base.t(lang)
    yes_no = (t.get("button.survey_yes"), t.get("button.survey_no")) if (
        "button.survey_yes" in t and "button.survey_no" in t) else ("Yes", "No")  # fmt: skip
    o = overlay(col, folder, base.campaigns, base.nags, base.surveys, yes_no)
    safety, n_safety = safety_in(col, folder, base.safety)
    intents, n_intents = intents_in(col, folder, base.intents)
    topic_ids = {c.id for c in base.safety.categories}
    own = load_examples(col, base.directory, topic_ids, set(INTENTS), folder="examples/" + lang)
    # Without examples of its own the language is read by the rules alone: a model trained on
    # English only would call every message in another language ordinary.
    examples = (
        Examples(base.examples.topics + own.topics, base.examples.intents + own.intents)
        if own.topics or own.intents
        else Examples()
    )
    counts = {**o.translated, "safety": n_safety, "intents": n_intents,
              "examples": len(own.topics) + len(own.intents)}  # fmt: skip
    return replace(
        base,
        campaigns=o.campaigns,
        nags=o.nags,
        surveys=o.surveys,
        safety=safety,
        intents=replace(intents, aliases={**safety.aliases, **intents.aliases}),
        examples=examples,
        frames=frames_in(col, folder, base.frames),
        nag_by_id={n.id: n for n in o.nags},
        campaign_by_id={c.id: c for c in o.campaigns},
        survey_by_id={s.id: s for s in o.surveys},
        lang=lang,
        views=base.views,
        translated=counts,
    )

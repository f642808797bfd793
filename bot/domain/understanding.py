"""Understanding a resident's free text: which help it needs, and which feature it asks for.

Pure. Two readers look at every message, and the measurements in bench/understanding.py decide
how their answers combine (bench/README.md §7 has the figures):

- the **rules** (bot/domain/safety.py over content/safety.yaml and content/intents.yaml): words,
  phrases and groups of words that editors list, for what must never be missed;
- the **model** (bot/domain/textmodel.py), trained at start-up on the labelled messages of
  content/examples/, which weighs every word and piece of a word by what the examples showed,
  and also what the rules found (so it learns how far to trust each rule: STACKED).

Topics (safeguarding). The model also sees the message's frames (bot/domain/frames.py: happening
now, in the past, asking for tips or information, an age; each language's words for them in
content/frames.yaml and content/<lang>/frames.yaml). When the model thinks a message
ordinary ("get in touch", "drugs" as a survey answer) and no phrase of the rules found immediate
danger, nothing is sent. Otherwise a topic the rules find is kept unless the model thinks it
unlikely, and a topic the rules miss is added when the model is confident of it ("he forced me
when I said no"; a lower bar when it would be the only help). The rules' 999 line found by a
phrase ("he's got a knife") stays unless the model gives it less than half a chance, nothing says
it is happening now, and other help is given, the message tells of the past or asks for
information, or the model thinks any danger unlikely ("this cough is killing me"). Found by one
word, it stays when the model also thinks it likely (not for a bike stolen last week). Asking for
tips ("how do I stop my shed getting broken into"), a rule's topic needs the model's backing; in
an opinion or a short list (survey answers, priorities: "our main worry is burglaries",
"vandalism and speeding"), so does a topic the rules found by one word (round 6). If
the model overrules every topic the rules found in a message it does not think ordinary, the
likeliest topic stays; and when the model is sure of danger, its likeliest topic is given even if
no rule matched: some help is the floor. Round 7: in a short list a phrase's topic needs the
model too, a second topic beside a likelier one found by one word needs SECOND_KEEP, and a
message with no help as a whole gets the help of each sentence holding a phrase, read alone.
The thresholds were chosen by cross-validation on content/examples/ (bench/thresholds.py,
bench/README.md §7).

Intents. The model's intent (it sees the rules' first match in content/intents.yaml as a hint),
or the rules' when the model is unsure; "none" or a place, and the caller tries an area search.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.domain.frames import FrameWords, frames_of, frames_settings
from bot.domain.intents import IntentRouter
from bot.domain.safety import Detector, Finding, Lexicon
from bot.domain.stored_models import ModelStore, canonical, load, save
from bot.domain.textmodel import (
    Example,
    LinearModel,
    PairScores,
    placenames,
    textmodel_settings,
)

NONE = "none"  # the model's label for "no intent"
DANGER = "any danger"  # the model's label for "some help is needed", beside each topic's
URGENT = "emergency"
KEEP_RULE_TOPIC = 0.5  # a topic the rules found stays unless the model scores it below this
KEEP_URGENT = 0.8  # the rules' 999 line found by one word stays beside other help from this
KEEP_LONE_URGENT = 0.5  # ... and as the only help, found by one word ("kill", "robbed"): below
# it the 999 line is dropped, and help for another topic is given only if the model backs one
ORDINARY = 0.4  # below this chance of danger, and no topic at SURE_NOT, the message is ordinary
SURE_NOT = 0.3
ADD_MODEL_TOPIC = 0.7  # a topic the rules missed is added from this score, beside other help;
ADD_LONE_TOPIC = 0.5  # as the only help, from this ("how many tablets would it take"; round 7)
VETO_URGENT = 0.5  # the 999 line found by a phrase ("kill me") may be dropped below this score
# (beside other help, for the past or a question, or when the model thinks danger unlikely:
CALM = 0.3  # ... its chance of any danger below this; see _rules_evidence)
ASKING_KEEP = 0.6  # asking for tips or information: a rule's topic needs this from the model
ASKING_LONE = True  # ... and so does a lone topic of the model's (round 8: "any tips to stop my
# car getting broken into on the drive" is not a road collision)
SURE_DANGER = 0.7  # no help chosen yet and the model this sure of danger: its likeliest topic
# (round 5, 2026-12-07: chosen by 5-fold cross-validation on content/examples/, which since
# this round include the held-out sets A-E; bench/thresholds.py, bench/README.md §7)
TAKE_MODEL_INTENT = 0.2
OUT_OF_SCOPE = "out_of_scope"
SURE_OUT_OF_SCOPE = 0.3
# The model's likeliest label "none" (it learns it from danger messages; a message with help
# is answered with the help): the next likeliest feature from this score, never one that changes
# what is kept or sent on a guess (round 5, cross-validated: bench/README.md §7)
NEXT_INTENT = 0.2
NOT_ON_A_GUESS = frozenset({"stop", "forget", "change_area", "subscribe"})
SURE_OF_A_CHANGE = 0.4  # ... and those need this much from the model ("<b>zzqx</b>": not "stop")
# Frames weighed as a request for tips is (round 6): an opinion or a survey answer ("our main
# worry is vandalism") names a topic without reporting it
LIKE_ASKING: tuple[str, ...] = ("opinion", "list")
# Round 7 (bench/README.md §7): in a short list, a topic found by a phrase needs the model's
# backing too ("hate crime and racism in schools": names, no story; "house on fire" keeps it);
LIST_GATES_PHRASES = True
# ... and a second topic beside a likelier one, found by a word not a phrase, needs this score
# (domestic abuse beside a child's own abuse by a parent: "im 15 and my dad hits me")
SECOND_KEEP = 0.7
# Other help beside it may veto a 999 phrase the model does not back (False: tried in round 7,
# 2.4 points fewer exactly right; bench/README.md §7)
VETO_BESIDE_HELP = True
# A message with no help as a whole: each sentence with a phrase of the rules is read on its own
# ("is the litter pick still on? a man keeps following me home"; round 7)
BY_SENTENCE = True
CLAUSE_WORDS = False  # ... or also with a word of theirs (round 8)
# Round 8: a short message starting "I" that holds a 999 phrase is a cry ("I am in danger", "i
# fear for my life"): its 999 line stays whatever the model says, as a whole-message cry's does
CRY_WORDS = 8  # 0: off
# ... and otherwise a 999 phrase as the only help, given less than this by the model, gives way
# to a topic the model is sure enough of to give alone (ADD_LONE_TOPIC: at 0.3, "someone keeps
# following me home" got Rape Crisis at 0.47): "my boss hits her and keeps her documents"
LONE_URGENT_GIVES_WAY = 0.2  # 0: off
_SENTENCE = re.compile(r"[.,?!;\n]+")  # sentences and clauses
STACKED = True  # the models also see what the rules found, and learn how far to trust it
JOKES = True  # ... the joke frame among them (round 8)
FRAMES = True  # ... and the message's frames (bot/domain/frames.py: now, past, asking, ages...)
MAX_TEXT = 500  # characters read (a long story is not read twice over)

# Trained models by what they were trained on: the tests and /reload build the same many times.
_TRAINED: dict[str, tuple[LinearModel | None, LinearModel | None]] = {}
KEEP_TRAINED = 4  # models kept in memory (the benchmark's cross-validation keeps more)
MODEL_VERSION = 4  # bump when features or training change, so stored models are not reused
# (4: laughing faces read as "lol", round 8)


@dataclass(frozen=True)
class Reading:
    """What one message is about: the help it needs (most urgent first) and the intent."""

    finding: Finding
    intent: str | None


@dataclass(frozen=True)
class Training:
    """Labelled examples as the models learn them (built by bot/context.py from content)."""

    topics: Sequence[tuple[str, frozenset[str], frozenset[str]]]  # text, need, fair
    intents: Sequence[tuple[str, str]]  # text, intent (or an area label)


class Understanding:
    def __init__(
        self,
        safety: Lexicon,
        intents: Lexicon,
        safety_names: Iterable[str],
        place_names: Iterable[str],
        training: Training,
        area_labels: Sequence[str] = (),
        store: ModelStore | None = None,
        frames: FrameWords | None = None,
    ) -> None:
        safety_names = tuple(safety_names)
        # The language's frame words (content/frames.yaml; none: no frames are found).
        self.frame_words = frames or FrameWords()
        self.safety = Detector(safety, safety_names)
        self.router = IntentRouter(intents, place_names)
        self._aliases = safety.aliases
        self._order = [c.id for c in safety.categories]
        self._area_labels = frozenset(area_labels)
        # The last few messages' words and rules' intent: the safeguarding check and the fallback,
        # a few awaits apart with up to 256 updates in flight between them, read the same text.
        self._recent: dict[str, tuple[str, ...]] = {}
        self._routed: dict[str, str | None] = {}
        self._base: dict[str, tuple[Any, int]] = {}
        self._found: dict[str, Finding] = {}
        # What the models depend on: the examples, both lexicons (the stacked hints), the names
        # masked and how the model is built and trained.
        key = hashlib.sha256(
            repr(
                (canonical(training.topics), training.intents, safety, intents, safety_names,
                 STACKED, FRAMES, JOKES, frames_settings(), self.frame_words, MODEL_VERSION,
                 textmodel_settings())
            ).encode()
        ).hexdigest()  # fmt: skip
        models = _TRAINED.get(key)
        if models is None and store is not None:
            models = load(store, key)
        if models is None:
            models = self._train(training)
            if store is not None:
                save(store, key, models)
        if key not in _TRAINED:
            if len(_TRAINED) >= KEEP_TRAINED:
                _TRAINED.pop(next(iter(_TRAINED)))
            _TRAINED[key] = models
        self.topic_model, self.intent_model = models
        self._pair = _scorer(models)

    def _train(self, training: Training) -> tuple[LinearModel | None, LinearModel | None]:
        """The topic and intent models, each None when there is nothing to learn it from."""
        topics = self._topic_model(training) if training.topics else None
        intents = self._intent_model(training) if training.intents else None
        return topics, intents

    def _topic_model(self, training: Training) -> LinearModel:
        topic_examples = [
            Example(
                self._words(text), need | ({DANGER} if need else set()), fair, self._hints(text)
            )
            for text, need, fair in training.topics
        ]
        # Every plain-words example is a message that needs no help.
        topic_examples += [
            Example(self._words(t), frozenset(), hints=self._hints(t)) for t, _ in training.intents
        ]
        return LinearModel.train([*self._order, DANGER], topic_examples)

    def _intent_model(self, training: Training) -> LinearModel:
        intent_examples = [
            Example(self._words(t), frozenset({i}), hints=self._intent_hints(t))
            for t, i in training.intents
        ]
        intent_examples += [
            Example(self._words(text), frozenset({NONE}), hints=self._intent_hints(text))
            for text, need, _ in training.topics
            if need
        ]
        labels = sorted({i for _, i in training.intents} | {NONE})
        return LinearModel.train(labels, intent_examples)

    def _words(self, text: str) -> tuple[str, ...]:
        """The message as the models read it (the last few kept: topics and intent both ask)."""
        words = self._recent.get(text)
        if words is None:
            tokens, _, masked = self.safety.read(text[:MAX_TEXT])  # as the check read it
            words = placenames(tokens, masked)
            _remember(self._recent, text, words)
        return words

    def _scores(self, which: int, text: str, hints: Sequence[str]) -> dict[str, float]:
        """Model `which`'s scores (0 topics, 1 intents), the message's words' part kept for the
        other model's call."""
        base = self._base.get(text)
        if base is None:
            base = self._pair.prepare(self._words(text))
            _remember(self._base, text, base)
        return self._pair.scores(which, base, hints)

    def _rules_intent(self, text: str) -> str | None:
        """The rules' first match (kept: the model's hint and the fallback both ask for it)."""
        if text in self._routed:
            return self._routed[text]
        found = self.router.route(text[:MAX_TEXT])
        _remember(self._routed, text, found)
        return found

    def _hints(self, text: str, found: Sequence[str] | None = None) -> tuple[str, ...]:
        """What the safeguarding rules found (`found`, when known) and the message's frames:
        features the topic model weighs (if STACKED, FRAMES)."""
        if found is None:
            found = self.safety.find(text[:MAX_TEXT]).categories if STACKED else ()
        return _stack(found, self.frames(text) if FRAMES else ())

    def frames(self, text: str) -> tuple[str, ...]:
        """How the message frames what it says (bot/domain/frames.py), as "frame now" etc."""
        found = frames_of(self._words(text[:MAX_TEXT]), self.frame_words)
        return tuple(f"frame {f}" for f in found if JOKES or f != "joke")

    def _intent_hints(self, text: str) -> tuple[str, ...]:
        if not STACKED:
            return ()
        found = self._rules_intent(text)
        return (found,) if found else ()

    # ------------------------------------------------------------ topics

    def rules_topics(self, text: str) -> tuple[str, ...]:
        return self.safety.find(text[:MAX_TEXT]).categories

    def model_topics(self, text: str) -> tuple[str, ...]:
        if self.topic_model is None:
            return ()
        scores = self.topic_model.scores(self._words(text), self._hints(text))
        return tuple(t for t in self._order if scores[t] >= 0.5)

    def topics(self, text: str) -> Finding:
        """The help a message needs, most urgent first (empty: none; the last few kept)."""
        text = text[:MAX_TEXT]
        known = self._found.get(text)
        if known is None:
            known = self._topics(text)
            _remember(self._found, text, known)
        return known

    def _topics(self, text: str) -> Finding:
        """The whole message's help; if none, that of each sentence holding a rules' phrase,
        read on its own (BY_SENTENCE: the rest can make the whole read as ordinary)."""
        whole = self._topics_of(text)
        parts = [p for p in _SENTENCE.split(text) if p.strip()] if BY_SENTENCE else []
        if whole or len(parts) < 2:
            return whole
        kept: set[str] = set()
        for part in parts:
            found = self.safety.find(part)
            if found.strong or (CLAUSE_WORDS and found.categories):
                kept.update(self._topics_of(part).categories)
        return Finding(tuple(t for t in self._order if t in kept))

    def _topics_of(self, text: str) -> Finding:
        finding = self.safety.find(text)
        found = finding.categories
        if self.topic_model is None:
            return finding
        frames = self.frames(text)
        scores = self._scores(0, text, _stack(found if STACKED else (), frames if FRAMES else ()))
        words = self._words(text)
        cry = URGENT in finding.strong and 0 < len(words) <= CRY_WORDS and words[0] == "i"
        cry = cry and "frame joke" not in frames
        urgent, found = self._rules_evidence(finding, frames, scores, cry)
        if not urgent and scores[DANGER] < ORDINARY and max(scores.values()) < SURE_NOT:
            return Finding()
        kept = {t for t in found if t != URGENT and scores[t] >= KEEP_RULE_TOPIC}
        kept |= {t for t in self._order if scores[t] >= ADD_MODEL_TOPIC}
        vetoed = False  # the rules' 999 line, found by one word, that the model does not back
        if urgent:
            kept.add(URGENT)
        elif URGENT in found:
            if scores[URGENT] >= (KEEP_URGENT if kept else KEEP_LONE_URGENT):
                kept.add(URGENT)
            else:
                vetoed = not kept
        if SECOND_KEEP and len(kept - {URGENT}) > 1:
            first = max(kept - {URGENT}, key=scores.__getitem__)
            kept = {
                t for t in kept
                if t in (URGENT, first) or t in finding.strong or scores[t] >= SECOND_KEEP
            }  # fmt: skip
        if found and not kept:  # not ordinary, and the rules saw danger: the likeliest help
            likeliest = max(self._order, key=scores.__getitem__)
            if scores[likeliest] >= SURE_NOT and not (vetoed and likeliest == URGENT):
                kept.add(likeliest)
            elif not (vetoed and set(found) == {URGENT}):
                kept.add(max(found, key=scores.__getitem__))
        likeliest = max(self._order, key=scores.__getitem__)
        lone = ASKING_KEEP if ASKING_LONE and "frame asking" in frames else ADD_LONE_TOPIC
        if not kept and (scores[likeliest] >= lone or scores[DANGER] >= SURE_DANGER):
            kept.add(likeliest)  # the model is sure of one topic, or of danger: some help
        if kept == {URGENT} and not (cry or finding.whole or "frame now" in frames):
            other = max((t for t in self._order if t != URGENT), key=scores.__getitem__)
            if scores[URGENT] < LONE_URGENT_GIVES_WAY and scores[other] >= ADD_LONE_TOPIC:
                kept = {other}
        return Finding(tuple(t for t in self._order if t in kept))

    def _rules_evidence(
        self, finding: Finding, frames: Sequence[str], scores: dict[str, float], cry: bool = False
    ) -> tuple[bool, tuple[str, ...]]:
        """Whether the rules' 999 line stays whatever the model says, and the rules' topics the
        decision weighs. The 999 line found by a phrase ("he's got a knife") stays when the
        message says it is happening now or is a whole-message cry ("help"), or when the model
        gives it at least VETO_URGENT, or when a short message starting "I" holds it (`cry`:
        "I am in danger"). Otherwise it is weighed as one word's would be when other
        help is given ("my wife hits me but who would believe a man": domestic abuse), when the
        message tells of the past or asks for information ("was someone stabbed here in the
        90s"), or (since round 5, with plain cries such as "I am in danger" among the examples)
        when the model thinks any danger unlikely ("this cough is killing me"). A message the
        model thinks may be danger keeps the phrase: "someone keeps following me home". Asking
        for tips or information ("how do I stop my shed getting broken into"), a rule's topic
        needs the model's backing; in an opinion or a short list (LIKE_ASKING), a topic found by
        one word does ("our main worry is burglaries"), one found by a phrase does not ("my
        priority is getting away from my boyfriend, he beats me")."""
        now = "frame now" in frames
        tips = "frame asking" in frames
        # an opinion or a list (LIKE_ASKING): only what one word found needs the model's backing
        # ("burglaries" in "our main worry is burglaries"; not "he beats me" in "my priority is
        # getting away from my boyfriend, he beats me")
        like = any(f"frame {f}" in frames for f in LIKE_ASKING)
        found = finding.categories
        urgent = URGENT in finding.strong
        if urgent and not (finding.whole or now or cry) and scores[URGENT] < VETO_URGENT:
            other_help = VETO_BESIDE_HELP and any(
                scores[t] >= (KEEP_RULE_TOPIC if t in found else ADD_MODEL_TOPIC)
                for t in self._order
                if t != URGENT
            )
            calm = scores[DANGER] < CALM  # "this cough is killing me"
            reason = "frame past" in frames or tips or calm
            urgent = not (other_help or reason)  # if dropped, weighed as one word's would be
        gate_all = tips or (LIST_GATES_PHRASES and "frame list" in frames)
        if (tips or like) and not now:
            found = tuple(
                t for t in found
                if scores[t] >= ASKING_KEEP or (not gate_all and t in finding.strong)
            )  # fmt: skip
        return urgent, found

    def reply(self, finding: Finding) -> str:
        return self.safety.reply(finding)

    # ------------------------------------------------------------ intents

    def rules_intent(self, text: str) -> str | None:
        return self.router.route(text[:MAX_TEXT])

    def model_intent(self, text: str) -> str | None:
        label, _ = self._best_intent(text)
        return None if label in (NONE, *self._area_labels) else label

    def _best_intent(self, text: str) -> tuple[str, float]:
        if self.intent_model is None:
            return NONE, 0.0
        scores = self._scores(1, text, self._intent_hints(text))
        label = max(scores, key=scores.__getitem__)
        if label == NONE:  # a danger word the check did not act on: the likeliest feature
            others = [k for k in scores if k != NONE and k not in NOT_ON_A_GUESS]
            best = max(others, key=scores.__getitem__, default=NONE)
            if best != NONE and scores[best] >= NEXT_INTENT:
                label = best
        return label, scores[label]

    def intent(self, text: str) -> str | None:
        """The feature a message asks for, or None (then it may be an area). The model decides,
        seeing what the rules found (cross-validated, it routed more messages right than the
        rules or either-when-confident); without examples, the rules alone."""
        label, score = self._best_intent(text)
        bar = (
            SURE_OUT_OF_SCOPE if label == OUT_OF_SCOPE
            else SURE_OF_A_CHANGE if label in NOT_ON_A_GUESS
            else TAKE_MODEL_INTENT
        )  # fmt: skip
        if score < bar:
            # Unsure (or no examples): the rules' first match. "Not something I can help with"
            # needs more certainty than a feature: gibberish is "not understood".
            return self._rules_intent(text)
        return None if label in (NONE, *self._area_labels) else label

    def understand(self, text: str) -> Reading:
        return Reading(self.topics(text), self.intent(text))

    # ------------------------------------------------------------ for editors

    def explain_topics(self, text: str) -> list[tuple[str, str]]:
        """(topic, why) for each topic found: the rule that matched and what the model said."""
        text = text[:MAX_TEXT]
        rules = dict(self.safety.explain(text))
        words = self._words(text)
        if self.topic_model is None:
            return [(t, f"rule '{rule}'") for t, rule in rules.items()]
        scores = self.topic_model.scores(words, self._hints(text))
        out = []
        for t in self.topics(text).categories:
            why = [f"rule '{rules[t]}'"] if t in rules else []
            clues = ", ".join(self.topic_model.strongest(words, t, hints=self._hints(text)))
            why.append(f"examples {scores[t]:.0%}" + (f" ({clues})" if clues else ""))
            out.append((t, "; ".join(why)))
        for t, rule in rules.items():
            if t not in dict(out):
                out.append((f"not {t}", f"rule '{rule}' overruled: examples {scores[t]:.0%}"))
        return out

    def explain_intent(self, text: str) -> tuple[str | None, str]:
        """The intent a message routes to, and what decided it (the model or a rule)."""
        label, score = self._best_intent(text)
        rule = self.router.explain(text[:MAX_TEXT])
        ruled = f"rule '{rule[0][1]}' of {rule[0][0]}" if rule else "no rule matched"
        if self.intent(text) != self.model_intent(text) or self.intent_model is None:
            return self.router.route(text[:MAX_TEXT]), f"{ruled} (examples unsure: {score:.0%})"
        intent = None if label in (NONE, *self._area_labels) else label
        clues = ", ".join(
            self.intent_model.strongest(self._words(text), label, hints=self._intent_hints(text))
        )
        return intent, f"examples {score:.0%} for {label}" + (f" ({clues})" if clues else "") + (
            f"; {ruled}"
        )


def _stack(found: Sequence[str], frames: Sequence[str]) -> tuple[str, ...]:
    """The topic model's hints, in training and in use alike: the rules' topics, the frames.
    (Round 7 also tried each pair of them as a hint: no better, bench/README.md §7.)"""
    return (*found, *frames)


_SCORERS: dict[tuple[int, int], tuple[Any, PairScores]] = {}


def _scorer(models: tuple[LinearModel | None, LinearModel | None]) -> PairScores:
    """One table of both models' weights (built once per trained pair: /reload and the tests
    make the same Understanding many times)."""
    key = (id(models[0]), id(models[1]))
    known = _SCORERS.get(key)
    if known is None or known[0] is not models:
        if len(_SCORERS) >= 4:
            _SCORERS.pop(next(iter(_SCORERS)))
        known = (models, PairScores(models))
        _SCORERS[key] = known
    return known[1]


RECENT = 512  # messages whose words and rules' intent are kept (in memory, oldest first out)


def _remember(memo: dict[str, Any], text: str, value: Any) -> None:
    if len(memo) >= RECENT:
        del memo[next(iter(memo))]
    memo[text] = value

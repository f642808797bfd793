"""Plain-language intents: which feature a resident's ordinary words ask for ("when's the next
meeting?" -> next_meeting), with the safeguarding check's normalisation and matching rules.

Pure. The lexicon is content/intents.yaml; the first intent in it that matches wins. Place names
are masked (as in the safeguarding check), so "when is the Fishermead meeting" routes like "when
is the meeting"; the caller can still search the text for the place.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.domain.safety import Detector, Lexicon


class IntentRouter:
    def __init__(self, lexicon: Lexicon, place_names: Iterable[str] = ()) -> None:
        self._detector = Detector(lexicon, place_names)

    def route(self, text: str) -> str | None:
        """The intent id a message asks for, or None (then it may be an area or not understood)."""
        found = self._detector.find(text).categories
        return found[0] if found else None

    def explain(self, text: str) -> list[tuple[str, str]]:
        return self._detector.explain(text)

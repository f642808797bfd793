"""Recognise messages that mention danger or a crime, so the bot can signpost 999/101."""

from __future__ import annotations

import re


class DangerDetector:
    """Matches whole words or phrases from a content-supplied, comma-separated list."""

    def __init__(self, keywords: str) -> None:
        words = [w.strip().lower() for w in keywords.split(",") if w.strip()]
        words.sort(key=len, reverse=True)
        self._re = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b", re.I)

    def mentions_danger(self, text: str) -> bool:
        return bool(self._re.search(text))

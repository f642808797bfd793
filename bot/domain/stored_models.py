"""Trained models kept between starts: where (a ModelStore: bot/modelstore.py gives a folder),
as bytes (numpy's .npz, no pickle), and the examples in a form whose key does not change from
one process to the next. Pure: the store does the I/O."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.domain.textmodel import LinearModel


class ModelStore(Protocol):
    """Where trained models are kept between starts (bot/context.py gives a folder)."""

    def get(self, key: str) -> bytes | None: ...

    def put(self, key: str, data: bytes) -> None: ...


def save(
    store: ModelStore, key: str, models: tuple[LinearModel | None, LinearModel | None]
) -> None:
    topics, intents = models
    if topics is not None and intents is not None:
        store.put(key, LinearModel.dump_pair(topics, intents))


def load(store: ModelStore, key: str) -> tuple[LinearModel | None, LinearModel | None] | None:
    data = store.get(key)
    if data is None:
        return None
    try:
        return LinearModel.load_pair(data)
    except (ValueError, KeyError, OSError):  # damaged or from another version: train again
        return None


def canonical(topics: Sequence[tuple[str, frozenset[str], frozenset[str]]]) -> list[object]:
    """The examples with their labels sorted: a set's order changes from one process to the next
    (string hashing), and a stored model's key must not."""
    return [(text, sorted(need), sorted(fair)) for text, need, fair in topics]

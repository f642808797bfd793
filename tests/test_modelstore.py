"""Trained models kept between starts (bot/modelstore.py): the same answers from a stored
model, a new model for changed content, and a damaged or unwritable store costs only training."""

from __future__ import annotations

from pathlib import Path

from bot.content import Content
from bot.content.examples import Examples
from bot.context import understanding_for
from bot.domain import understanding as u
from bot.modelstore import FolderStore

SAMPLES = ["he forced me when I said no", "fraud tips", "add to calendar", "Drugs", "hiya"]


def _answers(x: u.Understanding) -> list[object]:
    return [(x.topics(t).categories, x.intent(t)) for t in SAMPLES]


def test_a_stored_model_answers_as_the_trained_one(tmp_path: Path, content: Content):
    store = FolderStore(tmp_path / "models")
    u._TRAINED.clear()
    trained = understanding_for(content, store=store)
    files = list((tmp_path / "models").glob("*.npz"))
    assert len(files) == 1 and files[0].stat().st_mode & 0o077 == 0, "one private file"
    u._TRAINED.clear()
    loaded = understanding_for(content, store=store)
    assert _answers(loaded) == _answers(trained)


def test_other_examples_get_their_own_model(tmp_path: Path, content: Content):
    store = FolderStore(tmp_path / "models")
    u._TRAINED.clear()
    understanding_for(content, store=store)
    fewer = Examples(content.examples.topics[:200], content.examples.intents[:200])
    understanding_for(content, fewer, store=store)
    assert len(list((tmp_path / "models").glob("*.npz"))) == 2


def test_a_damaged_or_unwritable_store_only_means_training(tmp_path: Path, content: Content):
    store = FolderStore(tmp_path / "models")
    u._TRAINED.clear()
    first = understanding_for(content, store=store)
    for f in (tmp_path / "models").glob("*.npz"):
        f.write_bytes(b"not a model")
    u._TRAINED.clear()
    assert _answers(understanding_for(content, store=store)) == _answers(first)
    (tmp_path / "file").write_text("x")
    u._TRAINED.clear()
    blocked = FolderStore(tmp_path / "file" / "models")  # a folder inside a file: cannot be made
    assert _answers(understanding_for(content, store=blocked)) == _answers(first)


def test_the_stored_model_is_found_again_by_another_process(tmp_path: Path):
    """The key does not depend on the process (a set's order changes with string hashing)."""
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    code = (
        "from pathlib import Path; from bot.content import load_content; "
        "from bot.context import understanding_for; from bot.modelstore import default_store; "
        f"understanding_for(load_content(Path({str(ROOT / 'content')!r})), store=default_store())"
    )
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "SAFERMK_MODEL_CACHE": str(tmp_path)}
        # a hang detector, not a measurement: the first process trains from cold, which took over
        # two minutes once on a loaded machine
        subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=600)
    assert len(list(tmp_path.glob("*.npz"))) == 1

"""check-content's plain-English warnings: a text over one phone screen or with a sentence over
20 words is reported with its file and line, as a warning (the content still loads)."""

from __future__ import annotations

from pathlib import Path

from bot.cli import main
from bot.content import load_content
from bot.content.readability import longest_sentence, visible
from tests.conftest import LONDON, small_content_dir


def test_visible_text_drops_tags_and_counts_placeholders_as_typical_values():
    assert visible("<b>Hi</b> {name} &amp; you") == "Hi xxxxxxxxxxxx & you"


def test_the_longest_sentence_is_counted_per_sentence_and_per_line():
    words, start = longest_sentence("One two. " + "word " * 21 + "end.\nShort line")
    assert words == 22 and start.startswith("word word")
    assert longest_sentence("a\nb c")[0] == 2


def test_long_texts_and_sentences_are_warnings_with_file_and_line(tmp_path: Path, capsys):
    folder = small_content_dir(tmp_path / "content")
    texts = folder / "texts.en.yaml"
    lines = texts.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("menu.thanks:"))
    lines[at] = "menu.thanks: " + "Thanks. " * 80  # 639 characters in short sentences
    hello = next(i for i, line in enumerate(lines) if line.startswith("menu.hello:"))
    lines[hello] = "menu.hello: " + " ".join(["word"] * 25) + "."
    texts.write_text("\n".join(lines) + "\n", encoding="utf-8")
    content = load_content(folder, LONDON)  # still valid: these are warnings
    warnings = [str(w) for w in content.warnings]
    assert any(f"texts.en.yaml:{at + 1}: menu.thanks is 639 characters" in w for w in warnings)
    assert any(
        f"texts.en.yaml:{hello + 1}: menu.hello has a sentence of 25 words" in w for w in warnings
    )
    code = main(["check-content", str(folder)])
    assert code == 0
    assert "menu.thanks is 639 characters" in capsys.readouterr().err


def test_the_shipped_resident_texts_have_no_readability_warning():
    content = load_content(Path(__file__).resolve().parent.parent / "content", LONDON)
    mine = [w for w in content.warnings if w.file.endswith("texts.en.yaml")]
    assert not mine, "\n".join(map(str, mine))

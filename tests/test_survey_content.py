"""Survey YAML validation: the shipped surveys load; broken ones are reported as file:line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot import callback_data as cd
from bot.content import Content, ContentError, load_content
from bot.domain import surveys as dom
from tests.conftest import LONDON, ROOT

GOOD_HEAD = """\
id: broken
title: Broken survey
intro: Hello
privacy: Anonymous
thanks: Thanks
opens: 2026-11-01
closes: 2027-03-31
"""


def problems_for(tmp_path: Path, body: str, head: str = GOOD_HEAD) -> list[str]:
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content, dirs_exist_ok=True)
    (content / "surveys" / "broken.yaml").write_text(head + body, encoding="utf-8")
    with pytest.raises(ContentError) as err:
        load_content(content, LONDON)
    return [str(p) for p in err.value.problems]


def test_shipped_surveys_load_with_the_required_shape(content: Content):
    surveys = {s.id: s for s in content.surveys}
    assert set(surveys) == {"community-safety", "nag-priorities", "partnership-review"}
    cs = surveys["community-safety"]
    assert 8 <= len(cs.questions) <= 11
    assert {q.type for q in cs.questions} >= {
        "rating",
        "multi",
        "yesno",
        "single",
        "text",
        "number",
    }
    assert any(q.jumps for q in cs.questions) and any(q.show_if for q in cs.questions)
    assert cs.anonymous and not cs.repeatable and cs.audience == "everyone"
    top = surveys["nag-priorities"].question("top3")
    assert top is not None and top.type == "top" and top.pick == 3
    labels = {o.label for o in top.options}
    assert {
        "Anti-social behaviour",
        "Burglary",
        "Vehicle crime",
        "Speeding",
        "Drugs",
        "Fly-tipping",
    } <= labels
    pr = surveys["partnership-review"]
    assert pr.audience == "link"
    texts = [q.text for q in pr.questions]
    assert "How is SaferMK working generally in your view?" in texts
    assert "How does SaferMK help your organisation?" in texts
    assert "What can SaferMK do differently?" in texts
    for s in surveys.values():
        assert dom.status(s, s.opens) == "open" and s.closes.year == 2027


def test_unknown_goto_and_loop_and_unreachable(tmp_path: Path):
    body = """\
questions:
  - id: a
    type: yesno
    text: A?
    next:
      - if: "yes"
        goto: nowhere
  - id: b
    type: yesno
    text: B?
    next: a
  - id: c
    type: yesno
    text: C?
    next: end
  - id: d
    type: yesno
    text: D?
"""
    out = problems_for(tmp_path, body)
    assert (
        "content/surveys/broken.yaml:14: goto 'nowhere': there is no question with that id" in out
    )
    assert (
        "content/surveys/broken.yaml:18: goto 'a' goes back to an earlier question: that makes a loop"
        in out
    )
    assert "content/surveys/broken.yaml:23: question 'd' can never be reached" in out


def test_impossible_limits(tmp_path: Path):
    body = """\
questions:
  - id: m
    type: multi
    text: Pick
    min: 3
    max: 2
    options:
      - {id: x, label: X}
      - {id: y, label: Y}
  - id: n
    type: number
    text: How many?
    min: 10
    max: 5
  - id: t
    type: top
    text: Top
    pick: 4
    options:
      - {id: x, label: X}
      - {id: y, label: Y}
  - id: s
    type: single
    text: One option only
    options:
      - {id: x, label: X}
"""
    out = problems_for(tmp_path, body)
    f = "content/surveys/broken.yaml"
    assert f"{f}:13: max (2) is below min (3): nobody could answer" in out
    assert f"{f}:12: min (3) is more than the 2 options" in out
    assert f"{f}:21: max (5) must be more than min (10)" in out
    assert f"{f}:25: pick 4 of 2 options is impossible" in out
    assert f"{f}:32: a single question needs at least two options" in out


def test_labels_and_button_data_over_telegrams_limits(tmp_path: Path):
    long_label = "L" * 70
    body = f"""\
questions:
  - id: a_question_id_long_name
    type: single
    text: Q
    options:
      - {{id: fine, label: {long_label}}}
      - {{id: an_option_id_long, label: Y}}
"""
    out = problems_for(tmp_path, body)
    f = "content/surveys/broken.yaml"
    assert f"{f}:13: label is over 60 characters" in out
    # Buttons carry the response, its step and the option (not the question): the longest
    # response number, step and option id the validator allows still fit in 64 bytes.
    assert not any("button data" in line for line in out)
    longest = cd.SurveyToggle(10**12, 10**6, "o" * 24).pack()
    assert len(longest.encode()) <= 64


def test_conditions_must_refer_to_earlier_questions_and_possible_answers(tmp_path: Path):
    body = """\
questions:
  - id: a
    type: rating
    text: A?
    scale: 1-5
  - id: b
    type: text
    text: B?
    show_if: {question: c, equals: "yes"}
  - id: c
    type: yesno
    text: C?
    show_if: {question: a, equals: 7}
  - id: d
    type: text
    text: D?
    show_if: {question: ghost, equals: x}
  - id: e
    type: yesno
    text: E?
    show_if: {question: c, at_most: 2}
"""
    out = problems_for(tmp_path, body)
    f = "content/surveys/broken.yaml"
    assert f"{f}:16: a question can only depend on an earlier question's answer" in out
    assert f"{f}:20: '7' is not a possible answer to 'a'" in out
    assert f"{f}:24: show_if refers to unknown question 'ghost'" in out
    assert f"{f}:28: at_least/at_most only apply to rating and number questions" in out


def test_survey_level_problems(tmp_path: Path):
    head = """\
id: broken
title: Broken survey
intro: Hello
privacy: Anonymous
thanks: Thanks
opens: 2027-03-01
closes: 2026-11-01
audience: nags
nags: [fishermead, atlantis]
anonymous: true
changeable: true
colour: blue
"""
    body = """\
questions:
  - id: a
    type: yesno
    text: A?
    scale: 1-5
"""
    out = problems_for(tmp_path, body, head)
    f = "content/surveys/broken.yaml"
    assert f"{f}:12: colour: unknown key (check the spelling)" in out
    # The pydantic stage stops at the unknown key; fix it and the rest is reported.
    out = problems_for(tmp_path, body, head.replace("colour: blue\n", ""))
    assert f"{f}:7: closes before it opens" in out
    assert f"{f}:9: unknown NAG 'atlantis' (not in nags.yaml)" in out
    assert any(p.startswith(f"{f}:11: an anonymous survey can't allow changing") for p in out)
    assert f"{f}:16: scale: does not apply to a yesno question" in out


def test_duplicate_survey_and_question_ids(tmp_path: Path):
    head = GOOD_HEAD.replace("id: broken", "id: community-safety")
    body = """\
questions:
  - id: a
    type: yesno
    text: A?
  - id: a
    type: yesno
    text: A again?
"""
    out = problems_for(tmp_path, body, head)
    f = "content/surveys/broken.yaml"
    assert f"{f}:12: question id 'a' is used twice" in out
    assert any("survey id 'community-safety' is also used in" in p for p in out)


def test_yaml_syntax_error_has_a_line(tmp_path: Path):
    out = problems_for(tmp_path, "questions:\n  - id: [unclosed\n")
    assert out == [
        "content/surveys/broken.yaml:9: a [ or { opened here is never closed (or a comma is missing)"
    ]


def test_too_many_conditions_on_a_multiple_choice_question_are_refused(tmp_path):
    # Each follow-up shown for one option: 11 conditions on one question, 2 ** 11 combinations
    # for the progress count on every question shown.
    options = "".join(f"      - {{id: o{k}, label: Option {k}}}\n" for k in range(11))
    follow = "".join(
        f"  - id: f{k}\n    type: text\n    text: Tell us more about {k}?\n"
        f"    show_if: {{question: worries, equals: o{k}}}\n"
        for k in range(11)
    )
    body = (
        "questions:\n  - id: worries\n    type: multi\n    text: Which worry you?\n"
        "    min: 1\n    max: 3\n    options:\n" + options + follow
    )
    out = problems_for(tmp_path, body)
    assert (
        "content/surveys/broken.yaml:9: 11 rules and show_if depend on question 'worries';"
        " at most 10 for a 'multi' question (split it into questions)" in out
    ), out

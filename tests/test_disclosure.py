"""Small-number suppression can't be got round. Each test plays an attacker against what the bot
actually shows (the /results messages, the CSV files, the command-line export) and checks that
no count from 1 to 4 (the threshold is 5) can be read or worked out:

* the header of a filtered view ("3 completed responses" for one NAG, "1" from a date);
* the CSV of a small filter (one row per response);
* a hidden figure worked out from its total ("9 answered, Yes 7, No fewer than 5");
* the whole survey minus one NAG (or minus every NAG shown), and one start date minus another.

The rules themselves are checked exhaustively on small tables (every table up to a size, with
the attacker knowing the rules), and on seeded random surveys for every view there is.
"""

from __future__ import annotations

import collections
import concurrent.futures
import csv
import itertools
import random
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.cli import main as real_cli_main
from bot.content.surveys import Option, Question, Survey
from bot.domain import disclosure as dc
from tests.conftest import OFFICER_ID, Harness, write_config
from tests.test_surveys import CS

K = 5  # survey.min_count in the test config
FM, OL, WO = "fishermead", "olney", "woughton"


def answers(contact: str = "no", worries: tuple[str, ...] = ("asb",), day: str = "4") -> dict:
    a: dict = {
        "safe_day": (day,),
        "safe_dark": ("3",),
        "worries": worries,
        "contact": (contact,),
        "hear": ("telegram",),
        "years": ("10",),
        "anything_else": None,
    }
    if contact == "yes":
        a["contact_how"] = ("officer",)
        a["contact_rating"] = ("7",)
    else:
        a["know_nag"] = ("no",)
    return a


async def seed(h: Harness, rows: list[tuple[str, str, dict]]) -> None:
    await h.services.surveys.insert_completed(CS, rows)


def cli_main(argv: list[str]) -> int:
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(real_cli_main, argv).result()


# ---------------------------------------------------------------- reading what the bot shows


@dataclass(frozen=True)
class Figure:
    """A figure as an attacker reads it: the range its true value must lie in."""

    lo: int
    hi: int


@dataclass
class Shown:
    """One /results message, read back into figures (None: shown as not available)."""

    figures: dict[tuple, Figure | None]
    rounded: bool
    text: str


def read(text: str) -> Shown:
    rounded = "rounded to the nearest 5" in text
    slack = K // 2 if rounded else 0

    def fig(v: str) -> Figure:
        return Figure(max(0, int(v) - slack), int(v) + slack)

    out: dict[tuple, Figure | None] = {}
    m = re.search(r"(\d+) completed responses", text)
    assert m, text
    out[("completed",)] = fig(m.group(1))
    n = None
    for line in text.split("\n"):
        if m := re.match(r"<i>No figures to show .*:</i> (.+)$", line):
            for listed in m.group(1).split("; "):  # questions showing no figure at all
                out[("answered", int(listed.split(".")[0]))] = None
        elif m := re.match(r"<b>(\d+)\. .*</b> \((\d+) answered\)$", line):
            n = int(m.group(1))
            out[("answered", n)] = fig(m.group(2))
        elif m := re.match(r"<b>(\d+)\. .*</b>: ", line):
            n = int(m.group(1))
            out[("answered", n)] = None
        elif n is not None and (m := re.match(r"  (.+?): (\d+) \(\d+%\)$", line)):
            out[("cell", n, m.group(1))] = fig(m.group(2))
        elif n is not None and (
            m := re.match(r"  (?:Fewer than \d+|Withheld, so that [^:]*): (.+)$", line)
        ):
            for label in m.group(1).split("; "):  # the hidden options, listed together
                out[("cell", n, label)] = None
    return Shown(out, rounded, text)


async def results(h: Harness, *args: str) -> Shown | None:
    """The summary of `/results community-safety *args` (every part of it), or None when
    refused."""
    calls = await h.send(OFFICER_ID, " ".join(["/results", CS, *args]))
    summary = []
    for c in calls:
        if c.method != "sendMessage":
            break
        summary.append(c.text)
    text = "\n".join(summary)
    if "can't be shown" in text:
        return None
    return read(text)


def pinned_small(lo: int, hi: int) -> bool:
    """The attacker's range for a count is one value from 1 to K-1: the count is disclosed."""
    lo = max(lo, 0)
    return lo == hi and 1 <= lo < K


SUM_QUESTIONS = {1, 2, 5, 6, 7, 8}  # single choice, yes/no, rating: options add up to answered


def assert_nothing_small_within(view: Shown) -> None:
    """Header and figures from 1 to 4 are never shown (0 is); nothing hidden follows from a
    total."""
    for key, f in view.figures.items():
        if f is not None and not view.rounded:
            assert f.lo >= K or f.hi == 0, (key, view.text)
    completed = view.figures[("completed",)]
    assert completed is not None
    for n in SUM_QUESTIONS:
        answered = view.figures.get(("answered", n))
        if answered is None:
            continue
        # Skipped (or not asked): completed minus answered.
        assert not pinned_small(completed.lo - answered.hi, completed.hi - answered.lo), n
        cells = {k: f for k, f in view.figures.items() if k[0] == "cell" and k[1] == n}
        hidden = [k for k, f in cells.items() if f is None]
        if len(hidden) == 1:
            shown = [f for f in cells.values() if f is not None]
            lo = answered.lo - sum(f.hi for f in shown)
            hi = answered.hi - sum(f.lo for f in shown)
            assert not pinned_small(lo, hi), (n, hidden, view.text)


def assert_difference_not_small(big: Shown, parts: list[Shown]) -> None:
    """`big` minus the sum of `parts` (views of groups inside it) never gives a count 1-4."""
    for key, f in big.figures.items():
        if f is None or any(p.figures.get(key) is None for p in parts):
            continue
        lo = f.lo - sum(p.figures[key].hi for p in parts)  # type: ignore[union-attr]
        hi = f.hi - sum(p.figures[key].lo for p in parts)  # type: ignore[union-attr]
        assert not pinned_small(lo, hi), (key, lo, hi, big.text, [p.text for p in parts])


# ---------------------------------------------------------------- attack: the header


async def test_header_of_a_small_nag_or_date_is_never_shown(harness: Harness):
    rows = [(FM, "2026-11-04", answers())] * 12 + [(WO, "2026-11-11", answers())] * 3
    rows += [(FM, "2026-11-18", answers("yes"))]  # the only response from the week of 16 Nov
    await seed(harness, rows)
    calls = await harness.send(OFFICER_ID, f"/results {CS} {WO}")
    assert "can't be shown" in calls[-1].text and "3 completed" not in calls[-1].text
    assert not [c for c in calls if c.method in ("sendDocument", "sendPhoto")]
    # One response since the 16th: the start moves back to a week that keeps groups at 5+.
    view = await results(harness, "2026-11-18")
    assert view is not None
    assert "1 completed" not in view.text
    assert "You asked for the week of 16 November 2026" in view.text
    assert_nothing_small_within(view)


# ---------------------------------------------------------------- attack: the CSV


async def test_csv_of_a_small_filter_is_refused_in_chat_and_on_the_command_line(
    harness: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    rows = [(FM, "2026-11-04", answers())] * 12 + [(WO, "2026-11-11", answers("yes"))] * 3
    rows += [(FM, "2026-11-18", answers("yes", ("burglary",)))]
    await seed(harness, rows)
    calls = await harness.send(OFFICER_ID, f"/results {CS} {WO}")
    assert not [c for c in calls if c.method == "sendDocument"]
    cfg = write_config(tmp_path)
    out = tmp_path / "out.csv"
    capsys.readouterr()
    assert cli_main(["--config", str(cfg), "export", CS, "--out", str(out), "--nag", WO]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "fewer than 5" in err and not out.exists()
    # A start date that would select the one response of the last week moves back instead.
    argv = ["--config", str(cfg), "export", CS, "--out", str(out), "--since", "2026-11-18"]
    assert cli_main(argv) == 0
    assert "nearest start" in capsys.readouterr().out
    rows_out = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows_out) == 16
    # In the whole export no NAG or period holds fewer than 5 rows: Woughton's 3 rows carry no
    # NAG (and Fishermead's neither: with Woughton alone left over, it would give it away).
    groups = collections.Counter((r["nag"], r["from_week"]) for r in rows_out)
    assert all(n >= K for n in groups.values()), groups


# ---------------------------------------------------------------- attack: derivation from total


async def test_a_hidden_figure_cannot_be_worked_out_from_its_total(harness: Harness):
    # 9 answered the contact question: Yes 7, No 2. Showing Yes would give No away.
    rows = [(FM, "2026-11-04", answers("yes"))] * 7 + [(FM, "2026-11-04", answers("no"))] * 2
    await seed(harness, rows)
    view = await results(harness)
    assert view is not None
    # Neither Yes nor No is shown (Yes is withheld, No is under 5): the question is listed
    # among those with no figure to show, and none of its figures can be read.
    assert view.figures[("answered", 5)] is None
    assert not [f for key, f in view.figures.items() if key[:2] == ("cell", 5) and f is not None]
    assert not re.search(r"\n<b>5\. ", view.text), "question 5 has no lines of its own"
    assert_nothing_small_within(view)
    # 7 answered "how were you last in contact" of 9 who finished: 2 weren't asked. Showing
    # "7 answered" would count them (and give away the No above).
    assert view.figures[("answered", 6)] is None


# ---------------------------------------------------------------- attack: whole minus one NAG


async def test_whole_survey_minus_one_nag_gives_no_small_count(harness: Harness):
    # Fishermead: contact Yes 9 of 12, burglary 9. Olney: Yes 3 of 12, burglary 3.
    rows = [(FM, "2026-11-04", answers("yes", ("burglary",)))] * 9
    rows += [(FM, "2026-11-04", answers("no"))] * 3
    rows += [(OL, "2026-11-04", answers("yes", ("burglary",)))] * 3
    rows += [(OL, "2026-11-04", answers("no"))] * 9
    await seed(harness, rows)
    whole = await results(harness)
    assert whole is not None
    views = [v for v in [await results(harness, FM), await results(harness, OL)] if v]
    assert views, "both NAGs have 12 responses: they can be shown"
    for v in [whole, *views]:
        assert_nothing_small_within(v)
    for v in views:
        assert_difference_not_small(whole, [v])
    assert_difference_not_small(whole, views)


async def test_whole_survey_minus_every_nag_shown_gives_no_small_nag(harness: Harness):
    # Fishermead 10, Olney 10, Woughton 3: showing both big NAGs would leave Woughton's 3.
    rows = [(FM, "2026-11-04", answers("yes"))] * 10 + [(OL, "2026-11-04", answers())] * 10
    rows += [(WO, "2026-11-04", answers("yes", ("burglary",)))] * 3
    await seed(harness, rows)
    whole = await results(harness)
    assert whole is not None
    views = [v for nag in (FM, OL, WO) if (v := await results(harness, nag))]
    assert len(views) == 1, "one more NAG is withheld so Woughton can't be worked out"
    assert "Olney" in views[0].text, "the first in nags.yaml order (Fishermead) is withheld"
    assert_difference_not_small(whole, views)


# ---------------------------------------------------------------- attack: two start dates


async def test_two_start_dates_give_no_small_count(harness: Harness, tmp_path: Path):
    # Six responses in the week of 2 Nov, ONE in the week of 9 Nov, six in the week of 16 Nov.
    rows = [(FM, "2026-11-03", answers())] * 6
    rows += [(FM, "2026-11-10", answers("yes", ("burglary",), day="1"))]
    rows += [(FM, "2026-11-17", answers())] * 6
    await seed(harness, rows)
    whole = await results(harness)
    dates = ["2026-11-02", "2026-11-09", "2026-11-16"]
    views = [await results(harness, d) for d in dates]
    shown = [v for v in views if v is not None]
    assert shown
    for v in shown:
        assert_nothing_small_within(v)
    assert whole is not None
    for earlier, later in itertools.combinations([whole, *shown], 2):
        assert_difference_not_small(earlier, [later])
    # The same with the CSV: no two exports differ by 1 to 4 rows.
    cfg = write_config(tmp_path)
    sizes = []
    for d in ["", *dates]:
        out = tmp_path / f"out{d}.csv"
        argv = ["--config", str(cfg), "export", CS, "--out", str(out)]
        assert cli_main(argv + (["--since", d] if d else [])) == 0
        sizes.append(len(list(csv.DictReader(out.open(encoding="utf-8")))))
    for a, b in itertools.combinations(sizes, 2):
        assert abs(a - b) == 0 or abs(a - b) >= K, sizes


# ---------------------------------------------------------------- the rules, exhaustively


def _question(n: int, typ: str = "single", pick: int = 0) -> Question:
    options = tuple(Option(f"o{i}", f"O{i}") for i in range(n))
    return Question(id="q", type=typ, text="Q", options=options, pick=pick or 3)


def _published(q: Question, counts: tuple[int, ...], completed: int) -> tuple:
    t = dc.Tally(
        completed=completed,
        answered={"q": sum(counts) // (q.pick if q.type == "top" else 1)},
        values={"q": {f"o{i}": c for i, c in enumerate(counts)}},
    )
    r = dc.question_result(q, t, dc.hide_in_question(q, t, K), K)
    return (completed, r.answered, tuple((c.count, c.small) for c in r.cells))


@pytest.mark.parametrize(
    ("options", "most", "skips"), [(2, 14, 7), (3, 12, 6), (4, 9, 2)], ids=["2", "3", "4"]
)
def test_within_a_question_no_hidden_count_is_ever_pinned(options: int, most: int, skips: int):
    """Every table of `options` counts up to `most`, with up to `skips` who didn't answer: an
    attacker who knows the rules lists every table giving the same output; a hidden count from 1
    to 4 must not be the same in all of them (tables near the edge of the list are left out:
    their alternatives were cut off by the list, not by the rules)."""
    q = _question(options)
    same: dict[tuple, list[tuple[tuple[int, ...], int]]] = collections.defaultdict(list)
    for counts in itertools.product(range(most + 1), repeat=options):
        for skipped in range(skips + 1):
            same[_published(q, counts, sum(counts) + skipped)].append((counts, skipped))
    for out, tables in same.items():
        for counts, skipped in tables:
            if max(counts) > most - K or skipped > skips - K + 1:
                continue
            for i, c in enumerate(counts):
                if 1 <= c < K:
                    assert len({t[0][i] for t in tables}) > 1, (counts, skipped, out)
            if 1 <= skipped < K and out[1] is not None:
                assert len({s for _, s in tables}) > 1, (counts, skipped, out)


def test_top_n_totals_do_not_pin_a_hidden_count():
    """'Pick your top 2 of 4': the options add up to twice the number answering."""
    q = _question(4, "top", pick=2)
    same: dict[tuple, list[tuple[tuple[int, ...], int]]] = collections.defaultdict(list)
    for counts in itertools.product(range(11), repeat=4):
        total = sum(counts)
        if total % 2 or max(counts) > total // 2:
            continue  # no set of answers gives these counts
        for skipped in range(3):
            same[_published(q, counts, total // 2 + skipped)].append((counts, skipped))
    for out, tables in same.items():
        for counts, _ in tables:
            if max(counts) > 10 - K:
                continue
            n = sum(counts) // 2
            for i, c in enumerate(counts):
                if 1 <= c < K or 1 <= n - c < K:
                    assert len({t[0][i] for t in tables}) > 1, (counts, out)


def test_multiple_choice_hides_those_who_did_not_pick_an_option_too():
    """Multiple choice: each option is a yes/no of its own; 'all but 2 picked it' is a 2."""
    q = _question(3, "multi")
    for n in range(K, 3 * K):
        for counts in itertools.product(range(n + 1), repeat=3):
            t = dc.Tally(n, {"q": n}, {"q": {f"o{i}": c for i, c in enumerate(counts)}})
            r = dc.question_result(q, t, dc.hide_in_question(q, t, K), K)
            for c in r.cells:
                if c.count is not None:
                    assert not (1 <= c.count < K or 1 <= n - c.count < K), (n, counts)


def test_zero_is_shown_and_six_identical_answers_show_their_figures():
    q = _question(3)
    t = dc.Tally(6, {"q": 6}, {"q": {"o0": 6}})
    r = dc.question_result(q, t, dc.hide_in_question(q, t, K), K)
    assert [c.count for c in r.cells] == [6, 0, 0] and r.answered == 6


@pytest.mark.parametrize("parts", [2, 3])
def test_a_total_and_its_parts_never_give_a_small_part_away(parts: int):
    """`protect_parts` (the survey list's started and completed, delivery reports): every table
    of parts up to 12, the attacker knowing the rules and seeing the total and the parts shown."""
    same: dict[tuple, list[tuple[int, ...]]] = collections.defaultdict(list)
    for counts in itertools.product(range(13), repeat=parts):
        p = dc.protect_parts(sum(counts), counts, K)
        for v in (p.total, *p.parts):
            assert v is None or not 1 <= v < K, (counts, p)
        same[(p.total, p.parts)].append(counts)
    for tables in same.values():
        for counts in tables:
            if max(counts) > 12 - K:
                continue
            for i, c in enumerate(counts):
                if 1 <= c < K:
                    assert len({t[i] for t in tables}) > 1, (counts, tables[:5])


def _survey() -> Survey:
    return Survey(
        id="s",
        title="S",
        intro="",
        privacy="",
        thanks="",
        opens=None,  # type: ignore[arg-type]
        closes=None,  # type: ignore[arg-type]
        audience="everyone",
        nags=(),
        anonymous=True,
        repeatable=False,
        changeable=False,
        questions=(
            Question(id="yn", type="yesno", text="Y?"),
            _question(3),
        ),
    )


def _random_blocks(rng: random.Random, nags: list[str], weeks: list[str]) -> dict:
    blocks: dict[tuple[str | None, str], dc.Tally] = {}
    for nag in [*nags, None]:
        for w in weeks:
            n = rng.choice([0, 0, 1, 2, 3, 5, 6, 9, 14])
            if not n:
                continue
            t = dc.Tally(completed=n)
            yes = rng.randint(0, n)
            t.values["yn"] = {"yes": yes, "no": n - yes}
            t.answered["yn"] = n
            answered = n - rng.choice([0, 0, 1, 3])
            if answered > 0:
                a = rng.randint(0, answered)
                b = rng.randint(0, answered - a)
                t.values["q"] = {"o0": a, "o1": b, "o2": answered - a - b}
                t.answered["q"] = answered
            blocks[(nag, w)] = t
    return blocks


@pytest.mark.parametrize("seed", range(40))
def test_every_view_of_random_surveys_keeps_groups_and_differences_at_five(seed: int):
    rng = random.Random(seed)
    nags = ["a", "b", "c", "d"][: rng.randint(1, 4)]
    weeks = ["2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23"][: rng.randint(1, 4)]
    blocks = _random_blocks(rng, nags, weeks)
    if not blocks:
        return
    s = _survey()
    groups = dc.group(blocks, nags, K)
    # Rule 1: every piece (one NAG, or the rest, between two allowed starts) is 0 or 5+.
    for pieces in groups.pieces.values():
        assert all(p.completed == 0 or p.completed >= K for p in pieces)
    levels = {i: dc.protect_level(s, groups, i, K) for i in range(len(groups.starts))}
    views = {(nag, i): v for i, level in levels.items() for nag, v in level.items()}

    def shown(view: dc.ViewResult, qid: str, value: str | None) -> bool:
        r = view.result(qid)
        assert r is not None
        if r.answered is None:
            return False
        return value is None or any(c.value == value and c.count is not None for c in r.cells)

    figures = [("yn", None), ("yn", "yes"), ("yn", "no"), ("q", None)]
    figures += [("q", f"o{i}") for i in range(3)]
    for (nag, i), v in views.items():
        # Rule 3: no figure shown in two nested views differs by 1 to 4.
        for (nag2, j), w in views.items():
            if j > i or (nag2 is not None and nag2 != nag) or (nag2, j) == (nag, i):
                continue
            assert abs(w.tally.completed - v.tally.completed) not in range(1, K)
            for qid, value in figures:
                if shown(v, qid, value) and shown(w, qid, value):
                    d = w.tally.count(qid, value) - v.tally.count(qid, value)
                    assert d == 0 or d >= K, (seed, nag, i, nag2, j, qid, value)
    # Rule 3: the whole (all NAGs from a start) minus the NAGs shown leaves 0 or 5+.
    for level in levels.values():
        parent = level[None]
        for qid, value in figures:
            if not shown(parent, qid, value):
                continue
            kids = [v for n, v in level.items() if n is not None and shown(v, qid, value)]
            rest = parent.tally.count(qid, value) - sum(v.tally.count(qid, value) for v in kids)
            assert rest == 0 or rest >= K, (seed, qid, value)


def test_rounding_is_to_the_nearest_multiple():
    assert [dc.rounded(n, 5) for n in (5, 7, 8, 12, 13)] == [5, 5, 10, 10, 15]
    assert dc.rounded(7, 1) == 7

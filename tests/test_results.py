"""Officer results: arithmetic, small-number suppression, per-NAG top three, charts, CSV (in chat
and from the command line), officer-only access, and "you said, we did" composition."""

from __future__ import annotations

import concurrent.futures
import csv
import io
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.charts import bar_chart
from bot.cli import main as real_cli_main
from bot.content import Content
from bot.domain import disclosure as dc
from bot.domain.surveys import pseudonym
from bot.handlers.results import compose_you_said_we_did
from bot.services import export as ex
from tests.conftest import ADMIN_ID, LONDON, OFFICER_ID, Harness, write_config
from tests.test_surveys import CS, SECRET, answer_safety_yes_route

RESIDENT = 424243


def survey(content: Content, sid: str):
    return next(s for s in content.surveys if s.id == sid)


def safety_answers(day: int, dark: int, worries: tuple[str, ...], contact: str) -> dict:
    a: dict = {
        "safe_day": (str(day),),
        "safe_dark": (str(dark),),
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


async def seed_safety(h: Harness) -> None:
    """12 responses in Fishermead in the week of 9 November; in the week of 16 November 3 in
    Woughton and 2 in Olney (each below the threshold of 5, together 5)."""
    rows = []
    for i in range(12):
        worries = ("asb", "drugs") if i < 9 else ("burglary",)
        rows.append(
            (
                "fishermead",
                "2026-11-13",
                safety_answers(4, 2 if i < 6 else 3, worries, "yes" if i < 7 else "no"),
            )
        )
    for _ in range(3):
        rows.append(("woughton", "2026-11-22", safety_answers(5, 5, ("speeding",), "no")))
    for _ in range(2):
        rows.append(("olney", "2026-11-18", safety_answers(5, 5, ("speeding",), "no")))
    await h.services.surveys.insert_completed(CS, rows)


# ---------------------------------------------------------------- domain arithmetic


def test_summarise_counts_percentages_and_suppression(content: Content):
    s = survey(content, CS)
    answered = {"safe_day": 20, "worries": 20, "years": 4, "contact": 20, "hear": 17}
    values = {
        "safe_day": {"1": 2, "4": 8, "5": 10},
        "worries": {"asb": 15, "drugs": 6, "burglary": 4},
        "years": {"3": 2, "10": 2},
        "contact": {"yes": 5, "no": 15},
        "hear": {"telegram": 17},
    }
    res = {r.question.id: r for r in dc.summarise(s, answered, values, 5, completed=20)}
    cells = {c.label: c for c in res["safe_day"].cells}
    assert cells["5"].count == 10 and cells["5"].percent == 50.0
    assert cells["1"].count is None and cells["1"].small, "2 < 5 is withheld"
    assert cells["3"].count == 0 and not cells["3"].small, "0 is a count: nobody, shown"
    # With an option from 1 to 4 hidden, the next one of 5 or more in the list is withheld too:
    # shown, 8 would give away 20 - 10 - 8 = 2.
    assert cells["4"].count is None and not cells["4"].small
    assert res["safe_day"].mean is None, "an average would give the hidden figures away"
    worries = {c.label: c for c in res["worries"].cells}
    assert worries["Anti-social behaviour"].percent == 75.0
    assert worries["Burglary"].count is None and worries["Burglary"].small
    # Multiple choice: options don't add up to a total, so nothing else need be withheld.
    assert worries["Drug dealing or drug use"].count == 6
    assert res["years"].answered is None, "a question answered by fewer than 5 is withheld"
    assert res["unsafe_why"].answered == 0, "nobody answered it: 0 is shown"
    yes = {c.label: c.count for c in res["contact"].cells}
    assert yes == {"Yes": 5, "No": 15}
    # 3 of the 20 who finished didn't answer "hear": its answered count would count them.
    assert res["hear"].answered is None and not res["hear"].small


def test_number_mean_and_median_from_counts(content: Content):
    s = survey(content, CS)
    res = {
        r.question.id: r
        for r in dc.summarise(s, {"years": 6}, {"years": {"1": 1, "2": 2, "10": 3}}, 5)
    }
    assert res["years"].mean == pytest.approx((1 + 4 + 30) / 6)
    assert res["years"].median == 6.0  # middle of 2 and 10


def _groups(blocks: dict) -> dc.Groups:
    tallies = {}
    for key, (n, values, ranks) in blocks.items():
        answered = {q: n for q in values}
        tallies[key] = dc.Tally(n, answered, values, ranks)
    return dc.group(tallies, ["fishermead", "woughton", "olney"], 5)


def test_top_three_ranks_by_count_with_ties_by_average_rank(content: Content):
    s = survey(content, "nag-priorities")
    q = s.question("top3")
    assert q is not None
    week = "2026-11-16"
    counts = {o.id: 5 for o in q.options}  # everything at 5 or more: nothing withheld
    fm = {**counts, "drugs": 9, "burglary": 7, "asb": 7}
    fm_ranks = {"drugs": 0, "burglary": 3, "asb": 10}
    ol = {**counts, "speeding": 9}
    groups = _groups(
        {
            ("fishermead", week): (sum(fm.values()) // 3 + 1, {"top3": fm}, {"top3": fm_ranks}),
            ("olney", week): (sum(ol.values()) // 3 + 1, {"top3": ol}, {"top3": {}}),
        }
    )
    level = dc.protect_level(s, groups, 0, 5)
    top = dc.top_three(q, level["fishermead"])
    # asb and burglary tie on 7: burglary was ranked higher on average, so it comes first.
    assert [c.label for c in top] == ["Drugs", "Burglary", "Anti-social behaviour"]
    assert [c.count for c in top] == [10, 5, 5], "a NAG's figures are rounded to 5"


def test_one_count_shows_zero_and_k_or_more_only():
    assert [dc.shown(n, 5) for n in range(7)] == [0, None, None, None, None, 5, 6]


def test_csv_cells_are_safe_from_spreadsheet_formulas():
    assert ex.safe_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert ex.safe_cell("-5") == "-5" and ex.safe_cell("@x") == "'@x"


def test_chart_is_a_real_png():
    png = bar_chart("How safe?", ["Yes", "No", "Maybe"], [10, None, 7])
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000


# ---------------------------------------------------------------- storage aggregation


async def test_counts_by_sql_filter_by_nag_and_date(harness: Harness):
    await seed_safety(harness)
    store = harness.services.surveys
    all_ = await store.counts(CS)
    assert all_.completed == 17
    assert all_.values["worries"] == {"asb": 9, "drugs": 9, "burglary": 3, "speeding": 5}
    assert all_.answered["anything_else"] == 0 if "anything_else" in all_.answered else True
    fm = await store.counts(CS, "fishermead")
    assert fm.completed == 12 and fm.values["contact"] == {"yes": 7, "no": 5}
    recent = await store.counts(CS, since="2026-11-21")
    assert recent.completed == 5, "the whole week of 16 November"


# ---------------------------------------------------------------- officer commands


async def test_results_is_officer_only(harness: Harness):
    calls = await harness.send(RESIDENT, "/results")
    assert "don't know that command" in calls[-1].text
    calls = await harness.send(RESIDENT, f"/results {CS}")
    assert "don't know that command" in calls[-1].text
    calls = await harness.press(RESIDENT, f"rs:{CS}")
    assert not harness.api.sent("sendDocument") and not harness.api.sent("sendPhoto")
    calls = await harness.send(ADMIN_ID, "/results")
    assert "Survey results" in calls[-1].text


async def test_results_list_shows_completion_rate_and_status(harness: Harness):
    await answer_safety_yes_route(harness, RESIDENT)
    await harness.settle_in(RESIDENT + 1)
    await harness.send(RESIDENT + 1, f"/start survey_{CS}")  # started, not finished
    calls = await harness.send(OFFICER_ID, "/results")
    text = calls[-1].text
    assert "Community safety survey" in text
    # 2 started, 1 completed: neither is shown (nor a rate, which would link them).
    assert "Started: not shown; completed: not shown" in text and "completion" not in text
    assert "open until 31 March 2027" in text
    assert ("Community safety survey 2026/27", f"rs:{CS}") in calls[-1].buttons


def summary_of(calls: list) -> str:
    """Every part of a /results summary: the text messages before the charts."""
    parts = []
    for c in calls:
        if c.method != "sendMessage":
            break
        parts.append(c.text)
    return "\n".join(parts)


async def test_results_summary_charts_and_csv(harness: Harness):
    await seed_safety(harness)
    calls = await harness.send(ADMIN_ID, f"/results {CS}")
    summary = summary_of(calls)
    assert "17 completed responses" in summary and "rounded" not in summary
    assert "Anti-social behaviour: 9 (53%)" in summary
    # 0 is a count (nobody), shown; only Burglary (3) is hidden, and in a multiple choice
    # question nothing else need be (its options don't add up to a total).
    assert "  Vehicle crime: 0 (0%)" in summary and "Fewer than 5: Burglary\n" in summary
    assert "Speeding and road safety: 5 (29%)" in summary
    # unsafe_why: nobody answered it, and that is a figure too.
    assert "What makes them feel unsafe after dark</b> (0 answered)" in summary
    assert "No figures to show" not in summary
    fm = harness.services.content.nag_by_id["fishermead"].name.replace("&", "&amp;")
    assert fm not in summary
    albums = [c for c in calls if c.method == "sendMediaGroup"]
    assert len(albums) == 1 and not [c for c in calls if c.method == "sendPhoto"]
    assert albums[0].files and all(f[1].startswith(b"\x89PNG") for f in albums[0].files.values())
    docs = [c for c in calls if c.method == "sendDocument"]
    assert len(docs) == 1
    name, data = docs[0].files["document"]
    assert name == f"{CS}.csv"
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    assert "one row per completed response (for admins only" in rows.pop(0)[0]
    s = survey(harness.services.content, CS)
    assert rows[0] == ["response", "nag", "from_week", *(q.id for q in s.questions)]
    assert len(rows) == 18 and len({len(r) for r in rows}) == 1
    # Rows come in random order (anonymous responses have random ids), so find them by content.
    records = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    asb = [r for r in records if r["worries"] == "Anti-social behaviour; Drug dealing or drug use"]
    assert len(asb) == 9 and {r["nag"] for r in asb} == {"fishermead"}
    # Woughton (3) and Olney (2) can't be shown: their rows carry no NAG. Each period holds 5+.
    assert sorted(r["nag"] for r in records).count("") == 5
    assert {(r["nag"], r["from_week"]) for r in records} == {
        ("fishermead", "2026-11-09"),
        ("", "2026-11-16"),
    }
    assert {r["anything_else"] for r in records} == {""}


async def test_results_filtered_by_nag_and_date(harness: Harness):
    await seed_safety(harness)
    calls = await harness.send(OFFICER_ID, f"/results {CS} woughton")
    name = harness.services.content.nag_by_id["woughton"].name.replace("&", "&amp;")
    assert f"Results for {name} can't be shown. It has fewer than 5 responses" in calls[-1].text
    assert len(calls) == 1, "no figures, no charts, no CSV"
    calls = await harness.send(OFFICER_ID, f"/results {CS} fishermead")
    fm = harness.services.content.nag_by_id["fishermead"].name.replace("&", "&amp;")
    text = summary_of(calls)
    assert f"Area: {fm}" in text and "10 completed responses" in text, "12, rounded to 5"
    assert "rounded to the nearest 5" in text
    # 9 of 12 picked it: 3 did not, so it is withheld (and Drugs, 9 too).
    assert "be worked out: Anti-social behaviour; Drug dealing or drug use" in text
    assert "Yes: 5 (50%)" in text, "7 of 12, rounded"
    calls = await harness.send(ADMIN_ID, f"/results {CS} fishermead")
    docs = [c for c in calls if c.method == "sendDocument"]
    rows = list(csv.reader(io.StringIO(docs[0].files["document"][1].decode())))[1:]
    assert len(rows) == 13 and {r[1] for r in rows[1:]} == {"fishermead"}
    # Any day of a week starts from that week's Monday.
    calls = await harness.send(OFFICER_ID, f"/results {CS} 2026-11-21")
    assert "From the week of 16 November 2026" in calls[0].text and "5 completed" in calls[0].text
    docs = [c for c in calls if c.method == "sendDocument"]
    assert docs[0].files["document"][0] == f"{CS}-from-2026-11-16-tables.csv"
    calls = await harness.send(OFFICER_ID, f"/results {CS} fishermead 2026-11-21")
    assert "can't be shown: it has fewer than 5 completed responses" in calls[-1].text
    calls = await harness.send(OFFICER_ID, f"/results {CS} nowhere")
    assert "didn't understand" in calls[-1].text
    calls = await harness.send(OFFICER_ID, "/results no-such")
    assert "don't know the survey" in calls[-1].text


async def test_priorities_results_show_each_nags_top_three(harness: Harness):
    rows = []
    for _ in range(4):
        rows.append(
            ("fishermead", "2026-11-20", {"top3": ("drugs", "asb", "burglary"), "other": None})
        )
    for _ in range(6):
        rows.append(
            ("fishermead", "2026-11-21", {"top3": ("asb", "drugs", "speeding"), "other": None})
        )
    for _ in range(10):
        rows.append(
            ("woughton", "2026-11-20", {"top3": ("speeding", "drugs", "asb"), "other": None})
        )
    for _ in range(2):
        rows.append(("olney", "2026-11-20", {"top3": ("scams", "drugs", "asb"), "other": None}))
    for _ in range(3):
        rows.append(("cmk", "2026-11-20", {"top3": ("parking", "drugs", "asb"), "other": None}))
    await harness.services.surveys.insert_completed("nag-priorities", rows)
    calls = await harness.send(OFFICER_ID, "/results nag-priorities")
    text = calls[0].text
    assert "Top three priorities identified by the community" in text
    fm = harness.services.content.nag_by_id["fishermead"].name.replace("&", "&amp;")
    wo = harness.services.content.nag_by_id["woughton"].name.replace("&", "&amp;")
    # Fishermead: asb and drugs both 10; asb was ranked higher on average. Speeding (6 of 10)
    # is withheld: 4 did not pick it. Drugs too: the next of 5 or more after Burglary (4), so
    # Burglary can't be worked out from the total of picks (3 each).
    assert (
        f"<b>{fm}</b> (10 responses): 1. Anti-social behaviour (10); 2. Drugs (withheld);"
        " 3. Speeding (withheld)" in text
    )
    assert f"<b>{wo}</b> (10 responses): 1. Speeding (withheld); 2. Drugs (10);" in text
    # Olney (2) and CMK (3) are not named: together they are 5, shown only as the rest.
    assert "Olney" not in text and "Central Milton Keynes" not in text
    assert "<b>Other NAGs</b>: not shown" in text


async def test_no_chat_id_in_results_or_exports(harness: Harness):
    for chat in range(RESIDENT, RESIDENT + 5):
        await answer_safety_yes_route(harness, chat)
    calls = await harness.send(OFFICER_ID, f"/results {CS}")
    doc = [c for c in calls if c.method == "sendDocument"][0].files["document"][1].decode()
    everything = doc + " ".join(c.text for c in calls)
    for chat in range(RESIDENT, RESIDENT + 5):
        assert str(chat) not in everything
        assert pseudonym(SECRET, chat) not in everything
    assert "no responses" in doc.split("\n")[0], "officers get the tables, never a response"
    assert "Poor lighting on the redway" not in doc
    calls = await harness.send(ADMIN_ID, f"/results {CS}")
    doc = [c for c in calls if c.method == "sendDocument"][0].files["document"][1].decode()
    for chat in range(RESIDENT, RESIDENT + 5):
        assert str(chat) not in doc and pseudonym(SECRET, chat) not in doc
    assert doc.count("\n") == 7, "what the file holds, the header, 5 responses"
    assert "Poor lighting on the redway" in doc


# ---------------------------------------------------------------- command-line export


async def test_cli_export_streams_csv_with_filters(
    harness: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    await seed_safety(harness)
    cfg = write_config(tmp_path)

    def cli_main(argv: list[str]) -> int:
        # The CLI runs its own event loop, as it does from a shell.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            return pool.submit(real_cli_main, argv).result()

    out = tmp_path / "out.csv"
    assert cli_main(["--config", str(cfg), "export", CS, "--out", str(out)]) == 0
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert len(rows) == 18 and rows[0][:3] == ["response", "nag", "from_week"]
    assert [r[0] for r in rows[1:]] == [str(i) for i in range(1, 18)]
    assert "one row per completed response" in capsys.readouterr().out, "says what it holds"
    argv = ["--config", str(cfg), "export", CS, "--out", str(out)]
    assert cli_main([*argv, "--nag", "fishermead"]) == 0
    assert len(list(csv.reader(out.open()))) == 13
    assert cli_main([*argv, "--since", "2026-11-21"]) == 0
    assert len(list(csv.reader(out.open()))) == 6
    capsys.readouterr()
    out.unlink()
    assert cli_main([*argv, "--nag", "woughton"]) == 3
    assert "fewer than 5" in capsys.readouterr().err and not out.exists()
    assert cli_main(["--config", str(cfg), "export", "nope", "--out", str(out)]) == 2
    assert cli_main([*argv, "--since", "yesterday"]) == 2


# ---------------------------------------------------------------- "you said, we did"


async def _resident(h: Harness, chat: int, nag: str, consent: bool) -> None:
    now = h.clock.now()
    await h.services.residents.touch(chat, now)
    await h.services.residents.set_nag(chat, nag, now)
    await h.services.residents.set_consent(chat, consent, now)


async def test_you_said_we_did_goes_to_opted_in_participants_with_their_nags_results(
    harness: Harness,
):
    await seed_safety(harness)  # 12 fishermead, 3 woughton, 2 olney responses
    store = harness.services.surveys
    participants = {
        1001: ("fishermead", True),
        1002: ("woughton", True),
        1003: ("fishermead", False),
    }
    for chat, (nag, consent) in participants.items():
        await _resident(harness, chat, nag, consent)
        await harness.db.execute(
            "INSERT INTO survey_completions (survey_id, respondent) VALUES (?, ?)",
            (CS, pseudonym(SECRET, chat)),
        )
    await _resident(harness, 1004, "fishermead", True)  # opted in, did not take part
    now = datetime(2027, 4, 1, 9, 0, tzinfo=LONDON)
    out = dict(await compose_you_said_we_did(harness.services, CS, now))
    assert set(out) == {1001, 1002}
    fm = harness.services.content.nag_by_id["fishermead"].name.replace("&", "&amp;")
    assert f"people in {fm} told us" in out[1001]
    # Fishermead's own view, as officers see it: 7 of 12 said Yes, both rounded to 5; 9 of 12
    # picked anti-social behaviour, withheld because 3 did not.
    assert "Yes 50%" in out[1001] and "Anti-social behaviour" not in out[1001]
    assert " 0%" not in out[1001], "options nobody picked are not listed as top answers"
    # Woughton has 3 responses (< 5): that resident gets the Milton Keynes-wide figures instead.
    assert "people in Milton Keynes told us" in out[1002]
    assert "Anti-social behaviour 53%" in out[1002]
    assert "Burglary" not in out[1001], "3 of 12 is under the threshold and not shown"
    assert await store.mark_results_sent(CS, now) is True
    assert await store.mark_results_sent(CS, now) is False
    assert await compose_you_said_we_did(harness.services, CS, now) == []


async def test_closed_survey_results_go_out_once_through_the_outbox(harness: Harness):
    from bot.handlers.results import send_closed_survey_results

    await seed_safety(harness)
    for chat, nag in ((1001, "fishermead"), (1002, "woughton")):
        await _resident(harness, chat, nag, True)
        await harness.db.execute(
            "INSERT INTO survey_completions (survey_id, respondent) VALUES (?, ?)",
            (CS, pseudonym(SECRET, chat)),
        )
    # Still open: nothing is queued.
    assert await send_closed_survey_results(harness.services, harness.clock.now()) == []
    survey = next(s for s in harness.services.content.surveys if s.id == CS)
    after_close = datetime.combine(survey.closes, datetime.min.time(), tzinfo=LONDON).replace(
        hour=10
    ) + timedelta(days=1)
    harness.clock.set(after_close)
    assert CS in await send_closed_survey_results(harness.services, harness.clock.now())
    rows = await harness.rows("SELECT chat_id FROM outbox ORDER BY chat_id")
    assert [r["chat_id"] for r in rows] == [1001, 1002]
    delivery = harness.services.delivery
    delivery.use_virtual_time()
    await delivery.run_due()
    sent = {c.chat_id: c.text for c in harness.api.sent("sendMessage") if c.chat_id in (1001, 1002)}
    assert "told us" in sent[1001] and "told us" in sent[1002]
    # A restart or the next morning's check never queues them again.
    assert await send_closed_survey_results(harness.services, harness.clock.now()) == []
    assert len(await harness.rows("SELECT * FROM outbox")) == 2

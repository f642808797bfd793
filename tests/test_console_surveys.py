"""The console's Surveys page through real HTTP: figures with 6 identical responses, a filtered
view under k refused with a sentence, the CSV files (tables for officers, responses for admins
only), and no count from 1 to k-1 anywhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content import Content
from tests import consolekit as ck
from tests.conftest import ADMIN_ID, OFFICER_ID, close_harness
from tests.test_console import small_numbers
from tests.test_results import CS, safety_answers, seed_safety


@pytest.fixture
async def h(tmp_path: Path, content: Content):
    harness = await ck.console_harness(tmp_path, content)
    yield harness
    await close_harness(harness)


async def six_identical(h) -> None:
    answers = safety_answers(4, 2, ("asb",), "yes")
    await h.services.surveys.insert_completed(CS, [("fishermead", "2026-11-13", answers)] * 6)


# Main's disclosure rules still treat an option nobody picked (0) as a small number, so with 6
# identical responses every question is withheld; results22 (issue 22) makes a 0 a count. The
# console shows what the results service gives: remove this mark once that lands.
async def test_six_identical_responses_show_figures_and_a_chart(h):
    await six_identical(h)
    async with ck.client() as http:
        await ck.sign_in(h, http, OFFICER_ID)
        status, page = await ck.get(http, h, f"/console/surveys/{CS}")
    assert status == 200
    assert "6 completed responses" in page
    assert "6 (100%)" in page  # everyone chose the same worry: shown, with a chart
    assert "<svg" in page and 'role="img"' in page and "<desc" in page
    assert small_numbers(page) == []


async def test_a_filtered_view_under_k_is_refused_with_a_sentence(h):
    await seed_safety(h)  # 12 in Fishermead, 3 in Woughton, 2 in Olney
    async with ck.client() as http:
        await ck.sign_in(h, http, OFFICER_ID)
        status, page = await ck.get(http, h, f"/console/surveys/{CS}?nag=woughton")
        assert status == 200
        assert "can&#x27;t be shown on their own" in page
        assert "Questions</h2>" not in page
        status, whole = await ck.get(http, h, f"/console/surveys/{CS}")
        assert "17 completed responses" in whole and small_numbers(whole) == []
        assert "<svg" in whole and "<desc" in whole  # charts, with their text alternative
        status, csv = await ck.get(http, h, f"/console/surveys/{CS}/tables.csv?nag=woughton")
        assert status == 403


async def test_tables_csv_for_officers_responses_for_admins_only(h):
    await seed_safety(h)
    async with ck.client() as http:
        await ck.sign_in(h, http, OFFICER_ID)
        status, csv = await ck.get(http, h, f"/console/surveys/{CS}/tables.csv")
        assert status == 200 and "one row per question and option" in csv.splitlines()[0]
        assert "question,question_id,option,count,percent,hidden" in csv
        status, _ = await ck.get(http, h, f"/console/surveys/{CS}/responses.csv")
        assert status == 403
        status, page = await ck.get(http, h, f"/console/surveys/{CS}")
        assert "responses.csv" not in page
    async with ck.client() as http:
        await ck.sign_in(h, http, ADMIN_ID)
        status, csv = await ck.get(http, h, f"/console/surveys/{CS}/responses.csv")
        assert status == 200 and "one row per completed response" in csv.splitlines()[0]
        assert len(csv.strip().splitlines()) == 2 + 17
    rows = await h.rows("SELECT actor_id, detail FROM console_audit WHERE action = 'download'")
    assert [r["actor_id"] for r in rows] == [OFFICER_ID, ADMIN_ID]


async def test_survey_list_hides_small_counts(h):
    await h.services.surveys.insert_completed(
        CS, [("fishermead", "2026-11-13", safety_answers(4, 2, ("asb",), "yes"))] * 3
    )
    async with ck.client() as http:
        await ck.sign_in(h, http, OFFICER_ID)
        status, page = await ck.get(http, h, "/console/surveys")
    assert status == 200 and "fewer than 5" in page and small_numbers(page) == []


async def test_survey_list_says_where_you_said_we_did_stands(h):
    async with ck.client() as http:
        await ck.sign_in(h, http, OFFICER_ID)
        _, before = await ck.get(http, h, "/console/surveys")
        await h.services.surveys.mark_results_sent(CS, h.clock.now())
        _, after = await ck.get(http, h, "/console/surveys")
    assert "You said, we did" in before
    assert before.count("Results sent to participants") == 0
    assert after.count("Results sent to participants") == 1

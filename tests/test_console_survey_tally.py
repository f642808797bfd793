"""The survey results' running tally (migration 013) always equals what grouping every answer
of complete responses gives, through the real chat flows: an anonymous survey finished, a
changeable one finished, reopened, changed and finished again, a survey stopped half-way, and
/forget; and the console's results, read from it, filter by NAG and start week exactly."""

from __future__ import annotations

from bot import callback_data as cd
from tests import consolekit as ck
from tests.conftest import OFFICER_ID, Harness, close_harness
from tests.test_results import CS, safety_answers
from tests.test_surveys import CHAT, answer_safety_yes_route, begin, data_for, tap

WEEK = "date(r.completed_on, 'weekday 0', '-6 days')"


async def grouped(h: Harness) -> tuple[set[tuple], set[tuple]]:
    """What the tally should hold, by grouping every answer (zero rows left out)."""
    totals = await h.rows(
        f"SELECT survey_id, COALESCE(nag_id, '') AS nag, {WEEK} AS week, COUNT(*) AS n"
        " FROM survey_responses r WHERE status = 'complete' GROUP BY 1, 2, 3"
    )
    values = await h.rows(
        f"SELECT r.survey_id, COALESCE(r.nag_id, '') AS nag, {WEEK} AS week, a.question_id,"
        " a.value, COUNT(*) AS n, SUM(a.rank = 0) AS firsts, SUM(a.rank) AS ranks"
        " FROM survey_responses r JOIN survey_answers a ON a.response_id = r.id"
        " WHERE r.status = 'complete' AND a.value IS NOT NULL GROUP BY 1, 2, 3, 4, 5"
    )
    return {tuple(r.values()) for r in totals}, {tuple(r.values()) for r in values}


async def tallied(h: Harness) -> tuple[set[tuple], set[tuple]]:
    totals = await h.rows(
        "SELECT survey_id, nag, week, completed FROM survey_tally_totals WHERE completed != 0"
    )
    values = await h.rows(
        "SELECT survey_id, nag, week, question_id, value, n, firsts, ranks FROM survey_tally"
        " WHERE n != 0 OR firsts != 0 OR ranks != 0"
    )
    return {tuple(r.values()) for r in totals}, {tuple(r.values()) for r in values}


async def assert_tally(h: Harness) -> None:
    assert await tallied(h) == await grouped(h)


async def answer_review(h: Harness, org: str, rating: str) -> None:
    for text in (org, "Well"):
        await h.send(CHAT, text)
    await tap(h, rating)
    for text in ("Joint tasking", "Share data sooner"):
        await h.send(CHAT, text)


async def test_tally_follows_every_chat_flow(harness: Harness):
    h = harness
    await answer_safety_yes_route(h)  # anonymous: moved to a new row on completion
    await assert_tally(h)
    await begin(h, "partnership-review")
    await answer_review(h, "Thames Valley Police", "4")
    await assert_tally(h)
    calls = await begin(h, "partnership-review")
    await h.press(CHAT, data_for(calls[-1], "✏️ Change my answers"))  # reopened: not counted
    await assert_tally(h)
    await answer_review(h, "MK City Council", "5")
    await assert_tally(h)
    assert ("partnership-review", "working_rating", "5") in {
        (r[0], r[3], r[4]) for r in (await tallied(h))[1]
    }
    await begin(h, "nag-priorities")  # in progress, then stopped: never counted
    await tap(h, "Drugs")
    await h.send(CHAT, "stop")
    await assert_tally(h)
    await h.send(CHAT, "/forget")  # the linkable response goes, the anonymous one stays
    await h.press_newest(CHAT, cd.Forget(True).pack())
    await assert_tally(h)
    totals, _ = await tallied(h)
    assert {t[0] for t in totals} == {CS}


async def test_results_from_the_tally_filter_by_nag_and_week_exactly(tmp_path, content):
    h = await ck.console_harness(tmp_path, content)
    try:
        fm = [("fishermead", "2026-11-02", safety_answers(4, 2, ("asb",), "yes"))] * 6
        later = [("fishermead", "2026-11-11", safety_answers(2, 1, ("drugs",), "no"))] * 5
        wt = [("woughton", "2026-11-12", safety_answers(5, 5, ("asb",), "yes"))] * 5
        await h.services.surveys.insert_completed(CS, fm + later + wt)
        await assert_tally(h)
        store = h.services.surveys
        whole = await store.counts(CS)
        assert whole.completed == 16 and whole.values["safe_day"] == {"4": 6, "2": 5, "5": 5}
        one = await store.counts(CS, "fishermead", "2026-11-10")  # the week of 9 November
        assert one.completed == 5 and one.values["safe_day"] == {"2": 5}
        assert (await store.counts(CS, "woughton")).completed == 5
        blocks = await store.blocks(CS, answers=False)
        assert {k: c.completed for k, c in blocks.items()} == {
            ("fishermead", "2026-11-02"): 6,
            ("fishermead", "2026-11-09"): 5,
            ("woughton", "2026-11-09"): 5,
        }
        async with ck.client() as http:
            await ck.sign_in(h, http, OFFICER_ID)
            status, page = await ck.get(http, h, f"/console/surveys/{CS}?nag=fishermead")
        assert status == 200 and "10 completed responses" in page  # 11, rounded to 5s
    finally:
        await close_harness(h)

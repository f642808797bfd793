"""A broadcast to "residents who took a given survey", matched through pseudonyms in SQL."""

from __future__ import annotations

from bot import callback_officers as ob
from bot.domain.surveys import pseudonym
from storage.model import Audience
from tests.conftest import OFFICER_ID, TEST_SECRET, close_harness
from tests.test_delivery import add_residents, broadcast_sends, harness, officer_broadcast

SECRET = TEST_SECRET  # survey.secret in tests/conftest.py


async def test_only_consenting_participants_receive_it(tmp_path, content):
    h = await harness(tmp_path, content)
    took_part = await add_residents(h, range(100, 106))
    others = await add_residents(h, range(200, 204))
    declined = await add_residents(h, [300], consent=0)
    for chat in [*took_part, *declined]:
        await h.db.execute(
            "INSERT INTO survey_completions (survey_id, respondent) VALUES (?, ?)",
            ("community-safety", pseudonym(SECRET, chat)),
        )
    # The survey tables hold no chat ids, only pseudonyms.
    rows = await h.rows("SELECT respondent FROM survey_completions")
    assert all(str(c) != r["respondent"] for r in rows for c in took_part)

    audience = Audience("survey", survey="community-safety")
    assert await h.services.broadcasts.count_audience(audience) == len(took_part)
    await officer_broadcast(h, "Thank you for taking part", audience=audience)
    await h.services.delivery.run_due()
    sent = broadcast_sends(h, "Thank you for taking part")
    assert sorted(sent) == took_part
    assert not set(sent) & set(others) and 300 not in sent
    await close_harness(h)


async def test_wizard_offers_each_survey_as_an_audience(tmp_path, content):
    h = await harness(tmp_path, content)
    await h.send(OFFICER_ID, "/broadcast")
    calls = await h.press(OFFICER_ID, ob.WizardTypeText().pack())
    await h.send(OFFICER_ID, "Results evening at the library")
    calls = await h.press(OFFICER_ID, ob.WizardImage("-").pack())  # no picture
    labels = [label for label, _ in h.buttons(calls)]
    assert any("Took the survey: Community safety survey" in label for label in labels)
    await close_harness(h)

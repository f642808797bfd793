"""The officers' console in Chromium (Debian's, driven by Playwright as in
tests/test_preview_browser.py): the admin signs in from the preview's chat with /console, then
every page is loaded and checked: no console errors or CSP violations, axe-core's WCAG A/AA
rules (tests/vendor/axe-core, evaluated in the page by Playwright, never served), our own
checks (labels, alt text, heading order, lang, landmarks, a skip link first), no sideways
scrolling at phone width, and the keyboard alone reaches the navigation.

Screenshots go to the test's folder; with SAFERMK_DOCS_SCREENSHOT=1 also to docs/console-*.png.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.preview.main import Preview
from bot.services import access
from bot.services.safeguarding import iso_week
from storage.model import Audience, AudienceKind, BroadcastKind, BroadcastSpec
from tests.conftest import ROOT
from tests.previewkit import start_preview
from tests.test_preview_browser import browser  # noqa: F401 - the shared Chromium fixture
from tests.test_results import CS, safety_answers

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.slow]

ADMIN = 900002
AXE = ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"
PAGES = [
    ("home", "/console/", "Home"),
    ("surveys", "/console/surveys", "Surveys"),
    ("survey", f"/console/surveys/{CS}", "Community safety survey"),
    ("survey-refused", f"/console/surveys/{CS}?nag=olney", "Community safety survey"),
    ("reach", "/console/reach", "Reach"),
    ("broadcasts", "/console/broadcasts", "Broadcasts"),
    ("broadcast", "/console/broadcasts/BID", "Broadcast #"),
    ("broadcast-new", "/console/broadcasts/new", "New broadcast"),
    ("broadcast-ratings", "/console/broadcasts/ratings", "Campaign ratings"),
    ("safeguarding", "/console/safeguarding", "Safeguarding"),
    ("people", "/console/people", "People"),
    ("audit", "/console/audit", "Audit log"),
]

# Our own checks, beside axe: every control labelled, images with alt, headings in order, one
# h1, the page's language, landmarks, and the skip link as the first thing the keyboard meets.
OWN_CHECKS = """() => {
  const problems = [];
  if (!document.documentElement.lang) problems.push("no lang on <html>");
  for (const c of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
    const named = c.labels.length || c.getAttribute("aria-label") || c.getAttribute("aria-labelledby");
    if (!named) problems.push("unlabelled control " + (c.name || c.id));
  }
  for (const img of document.querySelectorAll("img")) if (!img.hasAttribute("alt")) problems.push("img without alt");
  for (const svg of document.querySelectorAll("svg[role=img]")) {
    if (!svg.getAttribute("aria-labelledby") && !svg.getAttribute("aria-label")) problems.push("svg without a name");
  }
  const levels = [...document.querySelectorAll("h1,h2,h3,h4,h5,h6")].map(h => +h.tagName[1]);
  if (levels.filter(l => l === 1).length !== 1) problems.push("not exactly one h1");
  levels.reduce((prev, l) => { if (l > prev + 1) problems.push("heading skips from h" + prev + " to h" + l); return l; }, 0);
  for (const sel of ["header", "nav", "main"]) if (!document.querySelector(sel)) problems.push("no <" + sel + ">");
  const first = document.querySelector("a[href], button, input, select");
  if (!first || !first.classList.contains("skip")) problems.push("the skip link is not first");
  return problems;
}"""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def preview(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Preview]:
    p = await start_preview(tmp_path_factory.mktemp("console"), ROOT / "content")
    s = p.bot.services
    rows = [("fishermead", "2026-11-13", safety_answers(4, 2 if i < 6 else 3, ("asb",), "yes"))
            for i in range(12)]  # fmt: skip
    rows += [("olney", "2026-11-18", safety_answers(5, 5, ("speeding",), "no"))] * 2
    await s.surveys.insert_completed(CS, rows)
    week = iso_week(s.clock.now().date())
    for n, category in ((3, "crime_asb"), (9, "fraud_scam"), (6, "domestic_abuse")):
        for _ in range(n):
            await s.safety_counts.add(week, [category])
    # An officer invited through the console (People shows their role and the changes).
    await s.console.add_officer(700001, "officer", "Sam (Safer Neighbourhood Team)", ADMIN,
                                s.clock.now())  # fmt: skip
    await access.reload_roster(s.console, s.roster)
    await seed_reach_and_a_broadcast(p)
    yield p
    await p.stop()


async def seed_reach_and_a_broadcast(p: Preview) -> None:
    """Residents for the Reach page (NAGs, months, sources) and an officer's broadcast for
    tomorrow evening (its page is PAGES' "broadcast")."""
    s = p.bot.services
    rows = []
    for i in range(60):
        nag = ("fishermead", "woughton", "olney")[i % 3] if i < 57 else "bletchley_central"
        month = ("2026-09", "2026-10", "2026-11")[i % 3 if i % 4 else 2]
        source = "qr:fishermead" if i % 5 == 0 else None
        at = f"{month}-12T10:00:00+00:00"
        rows.append((800000 + i, nag, int(i % 7 != 0), at, int(i % 11 != 0), source, at, at))
    async with s.db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO residents (chat_id, nag_id, consent, consent_at, active, source,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    tomorrow = s.clock.now() + timedelta(days=1)
    spec = BroadcastSpec(
        kind=BroadcastKind.OFFICER, text="Bike marking at Saxon Gate tomorrow, 10:00 to 14:00.",
        audience=Audience(AudienceKind.NAGS, nags=("fishermead",)),
        send_at=tomorrow.replace(hour=18, minute=30), created_by=ADMIN,
    )  # fmt: skip
    created = await s.broadcasting.create(spec)
    global BROADCAST
    BROADCAST = created.broadcast.id  # type: ignore[union-attr]


BROADCAST = 0


async def sign_in_from_the_chat(chromium: Any, preview: Preview) -> tuple[Any, Any]:
    """The admin's tab in the preview: /console, open the link, press Sign in."""
    from playwright.async_api import expect

    context = await chromium.new_context(viewport={"width": 1280, "height": 900})
    chat = await context.new_page()
    await chat.goto(preview.url)
    await expect(chat.locator("body")).to_have_attribute("data-ready", "true")
    await chat.locator(f"#tab-{ADMIN}").click()
    links = chat.locator(f"#log-{ADMIN} a", has_text="/console/signin/")
    await chat.locator(f"#log-{ADMIN}").wait_for()
    before = await links.count()  # links from an earlier sign-in are used up
    box = chat.locator(f"#input-{ADMIN}")
    await box.fill("/console")
    await box.press("Enter")
    await expect(links).to_have_count(before + 1)
    link = links.last
    async with context.expect_page() as opened:
        await link.click()
    console = await opened.value
    await expect(console.get_by_role("button", name="Sign in to the console")).to_be_visible()
    await console.get_by_role("button", name="Sign in to the console").click()
    await expect(console.locator("h1")).to_have_text("Home")
    return context, console


async def check_page(page: Any, name: str, tmp_path: Path) -> None:
    own = await page.evaluate(OWN_CHECKS)
    assert own == [], f"{name}: {own}"
    await page.evaluate(AXE.read_text(encoding="utf-8"))
    result = await page.evaluate(
        "() => axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
    )
    violations = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]
    assert violations == [], f"{name}: axe found {violations}"
    await page.screenshot(path=str(tmp_path / f"console-{name}.png"), full_page=True)
    if os.environ.get("SAFERMK_DOCS_SCREENSHOT"):
        await page.screenshot(path=str(ROOT / "docs" / f"console-{name}.png"), full_page=True)


async def test_every_page_in_chromium(
    browser: Any,  # noqa: F811 - the fixture imported above
    preview: Preview,
    tmp_path: Path,
) -> None:
    from playwright.async_api import expect

    context, page = await sign_in_from_the_chat(browser, preview)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    base = preview.console_url.removesuffix("/console/")  # type: ignore[union-attr]
    for name, path, title in PAGES:
        await page.goto(base + path.replace("BID", str(BROADCAST)))
        await expect(page.locator("h1")).to_contain_text(title)
        await check_page(page, name, tmp_path)
    await page.goto(base + f"/console/surveys/{CS}")
    await expect(page.locator("svg.chart").first).to_be_visible()
    assert errors == [], f"console errors or CSP violations: {errors}"
    await context.close()


async def test_phone_width_and_keyboard_only(
    browser: Any,  # noqa: F811
    preview: Preview,
    tmp_path: Path,
) -> None:
    from playwright.async_api import expect

    context, page = await sign_in_from_the_chat(browser, preview)
    await page.set_viewport_size({"width": 400, "height": 800})
    base = preview.console_url.removesuffix("/console/")  # type: ignore[union-attr]
    for name, path, _ in PAGES:
        await page.goto(base + path.replace("BID", str(BROADCAST)))
        wide = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert wide <= 0, f"{name} scrolls sideways by {wide}px at 400px wide"
    await page.goto(base + "/console/")
    await page.screenshot(path=str(tmp_path / "console-phone.png"), full_page=True)
    if os.environ.get("SAFERMK_DOCS_SCREENSHOT"):
        await page.screenshot(path=str(ROOT / "docs" / "console-phone.png"), full_page=True)
    await page.keyboard.press("Tab")
    await expect(page.locator(":focus")).to_have_text("Skip to the content")
    await page.keyboard.press("Enter")
    await page.keyboard.press("Tab")
    for _ in range(12):  # on through the navigation to Surveys, with the keyboard alone
        if await page.evaluate("document.activeElement.textContent") == "Surveys":
            break
        await page.keyboard.press("Tab")
    await page.goto(base + "/console/")
    await page.keyboard.press("Tab")  # the skip link
    await page.keyboard.press("Tab")  # the brand link
    await page.keyboard.press("Tab")  # Home
    await page.keyboard.press("Tab")  # Surveys
    await expect(page.locator(":focus")).to_have_text("Surveys")
    await page.keyboard.press("Enter")
    await expect(page.locator("h1")).to_have_text("Surveys")
    await context.close()

"""Walk every view officers have of counts, on databases seeded with counts from 0 to k+2, and
fail on any number from 1 to k-1 shown, or any pair of shown numbers whose difference is one.

The views are in `VIEWS`: each is an async function that drives the real Application as an
officer would (commands and the buttons they bring) and returns what was shown, as text: the
chat's /results, /safety, /report, /scheduled (list, cards, confirmations and their buttons'
labels) and the 24-hour notice; and the officers' console, signed in as an officer, each page
(Home, Surveys and each survey with its tables CSV, Reach, Broadcasts, one broadcast and its
ratings, Safeguarding) as its visible text.

What counts as a number: every integer left once the known non-counts are taken out (dates and
times, ids in <code>, "#12", list numbers "3.", percentages, averages, option labels, and the
wording "from 1 to under 5" itself). Pairs: within a line that holds a total and its parts
("started ... completed", "(10 responses): ... (5)"), and between a question's or a view's total
and the figures under it.
"""

from __future__ import annotations

import csv
import html as htmllib
import io
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from bot import callback_data as cd
from bot import callback_officers as ob
from bot.content import Content
from storage.model import Audience, AudienceKind
from storage.survey_types import RS
from tests import consolekit as ck
from tests.conftest import OFFICER_ID, Harness, close_harness
from tests.test_delivery import NO_QUIET, add_residents, harness, officer_broadcast
from tests.test_results import safety_answers
from tests.test_surveys import CS

K = 5  # survey.min_count in the test config
PRIORITIES = "nag-priorities"
WEEKS = ("2026-11-09", "2026-11-16")
MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December"
    "|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)


@dataclass(frozen=True)
class Shown:
    """One thing a view showed: where it came from, and its text (HTML, or a CSV file)."""

    where: str
    text: str
    csv: bool = False
    html: str = ""  # a console page as served, for its tables


View = Callable[[Harness, dict[str, int]], Awaitable[list[Shown]]]


# ---------------------------------------------------------------- seeding


async def seed(h: Harness, n: int) -> dict[str, int]:
    """Counts from 0 to k+2 everywhere: `n` responses alike in Fishermead, about half as many
    others in Woughton, one more in Olney when `n` is odd, n // 3 started and not finished; the
    same shape for the priorities survey, /safety and one broadcast with its ratings."""
    rows = [("fishermead", "2026-11-13", safety_answers(4, 2, ("asb",), "no"))] * n
    rows += [("woughton", "2026-11-18", safety_answers(2, 3, ("drugs",), "yes"))] * ((n + 1) // 2)
    if n % 2:
        rows.append(("olney", "2026-11-19", safety_answers(5, 5, ("asb", "burglary"), "no")))
    await h.services.surveys.insert_completed(CS, rows)
    for i in range(n // 3):
        await h.db.execute(
            "INSERT INTO survey_responses (id, survey_id, respondent, nag_id, status, step,"
            " started_on, updated_at) VALUES (?, ?, ?, 'fishermead', ?, 1, ?, ?)",
            (900_000 + i, CS, f"walk-{i}", RS.OPEN, "2026-11-16", "2026-11-16"),
        )
    top = [("fishermead", "2026-11-13", {"top3": ("asb", "drugs", "burglary"), "other": None})]
    top += [("woughton", "2026-11-18", {"top3": ("speeding", "drugs", "asb"), "other": None})]
    await h.services.surveys.insert_completed(PRIORITIES, top * n)
    week = h.clock.now().astimezone(h.services.config.tz).date().isocalendar()
    this_week = f"{week[0]}-W{week[1]:02d}"
    for _ in range(n):
        await h.services.safety_counts.add(this_week, ("domestic_abuse",))
    for _ in range((n + 2) // 3):
        await h.services.safety_counts.add(this_week, ("fraud_scam",))
    residents = list(range(7000, 7000 + n + 1))
    await add_residents(h, residents)
    bid = await officer_broadcast(h, "Walk the views")
    await h.services.delivery.run_due()
    for i, chat in enumerate(residents[: n // 2 + 1]):
        await h.press(chat, cd.Rate(bid, i % 3 != 0).pack())
    return {"broadcast": bid}


# ---------------------------------------------------------------- the views


def _shown(where: str, calls: list) -> list[Shown]:  # noqa: ANN001 - Call from the double
    out = []
    for c in calls:
        if c.method == "sendDocument":
            name, data = c.files["document"]
            out.append(Shown(f"{where} [{name}]", data.decode("utf-8"), csv=True))
        elif c.text:
            out.append(Shown(where, c.text))
        for media in c.params.get("media") or []:
            if isinstance(media, dict) and media.get("caption"):
                out.append(Shown(f"{where} [album]", str(media["caption"])))
    return out


async def results_list(h: Harness, seeded: dict[str, int]) -> list[Shown]:
    """/results, then every survey button it brings."""
    calls = await h.send(OFFICER_ID, "/results")
    out = _shown("/results", calls)
    for _, data in h.buttons(calls):
        if data and data.startswith(ob.Results.prefix):
            out += _shown(f"/results button {data}", await h.press(OFFICER_ID, data))
    return out


async def survey_views(h: Harness, seeded: dict[str, int]) -> list[Shown]:
    """Each survey whole, by each NAG, and from each seeded week (alone and with a NAG)."""
    out = []
    nags = [n.id for n in h.services.content.nags]
    for survey in (CS, PRIORITIES):
        for args in ["", *nags, *WEEKS, *(f"fishermead {w}" for w in WEEKS)]:
            command = f"/results {survey} {args}".strip()
            out += _shown(command, await h.send(OFFICER_ID, command))
    return out


async def safety_view(h: Harness, seeded: dict[str, int]) -> list[Shown]:
    return _shown("/safety", await h.send(OFFICER_ID, "/safety"))


async def report_view(h: Harness, seeded: dict[str, int]) -> list[Shown]:
    command = f"/report {seeded['broadcast']}"
    return _shown(command, await h.send(OFFICER_ID, command))


def _with_labels(where: str, calls: list) -> list[Shown]:  # noqa: ANN001 - Call from the double
    """What `_shown` reads, and the buttons' labels ("Yes, send it to 40")."""
    labels = [label for label, _ in Harness.buttons(calls)]
    return _shown(where, calls) + ([Shown(f"{where} [buttons]", "\n".join(labels))] * bool(labels))


async def scheduled_views(h: Harness, seeded: dict[str, int]) -> list[Shown]:
    """/scheduled with a small audience: a broadcast to a NAG of 3 residents, one to every
    other NAG (everyone less those 3), one to everyone, one going out (2 of everyone have it);
    each card from its Manage button, and the
    confirmations its Send now and Cancel buttons bring."""
    await add_residents(h, range(8000, 8003), nag="woughton")
    later = h.clock.now() + timedelta(days=2)
    await officer_broadcast(
        h, "Three in Woughton", audience=Audience(AudienceKind.NAGS, ("woughton",)), send_at=later
    )
    # Everyone but Woughton's 3: the n + 1 residents of the NAG `seed` put them in.
    others = tuple(n.id for n in h.services.content.nags if n.id != "woughton")
    await officer_broadcast(
        h, "All but Woughton", audience=Audience(AudienceKind.NAGS, others), send_at=later
    )
    await officer_broadcast(h, "Everyone later", send_at=later)
    going = await officer_broadcast(h, "Going out", send_at=later)
    store = h.services.broadcasts
    b = await store.get(going)
    await store.materialise(b, h.clock.now())
    for chat in (8000, 8001):
        await store.mark_sent(going, chat, 1, h.clock.now())
    calls = await h.send(OFFICER_ID, "/scheduled")
    out = _with_labels("/scheduled", calls)
    more = ob.ScheduledList(False, 1).pack()
    if more in [data for _, data in h.buttons(calls)]:
        second = await h.press(OFFICER_ID, more)
        out += _with_labels("/scheduled page 2", second)
        calls = [*calls, *second]
    for _, data in h.buttons(calls):
        if not (data and data.startswith(f"{ob.Manage.prefix}:")):
            continue
        card = await h.press(OFFICER_ID, data)
        out += _with_labels(f"/scheduled {data}", card)
        for _, then in h.buttons(card):
            if then and then.startswith((f"{ob.SendNow.prefix}:", f"{ob.CancelBroadcast.prefix}:")):
                out += _with_labels(f"/scheduled {data} {then}", await h.press(OFFICER_ID, then))
    return out


async def notice_view(h: Harness, seeded: dict[str, int]) -> list[Shown]:
    """The officers' 24-hour notice of an automatic campaign message, to everyone (k+3 or
    fewer residents); last, as it moves the clock a day on."""
    launch = await h.services.broadcasts.get_by_key("campaign:sixteen-days:2026:launch")
    assert launch is not None
    before = len(h.api.calls)
    h.clock.set(launch.due_at - timedelta(hours=23))
    assert await h.services.broadcasting.send_notices()
    return _shown("24-hour notice", h.api.calls[before:])


CONSOLE_PAGES = (
    "/",
    "/surveys",
    f"/surveys/{CS}",
    f"/surveys/{PRIORITIES}",
    "/reach",
    "/broadcasts",
    "/broadcasts/{broadcast}",
    "/broadcasts/ratings",
    "/safeguarding",
)


NOT_COUNTS_HTML = [
    r'<dd class="not-people">[^<]*</dd>',  # "Surveys open now"
    r'<span class="day">\d+</span>',  # the calendar's days
    r'<th scope="row">\d+</th>',  # a rating's options: "1" to "5"
]


def page_text(html: str) -> str:
    """What a page shows: its body without scripts and styles, one line per block, tags kept
    for the reader to drop (as the chat's HTML), entities decoded."""
    body = html.split("<body", 1)[-1]
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.DOTALL)
    for not_a_count in NOT_COUNTS_HTML:
        body = re.sub(not_a_count, " ", body)
    body = re.sub(r"<(?:/?(?:p|li|tr|h\d|div|section|dd|dt|br|table|ul|ol)\b)[^>]*>", "\n", body)
    return "\n".join(" ".join(x.split()) for x in htmllib.unescape(body).split("\n") if x.strip())


async def console_pages(h: Harness, seeded: dict[str, int]) -> list[Shown]:
    """The officers' console, signed in as an officer: each page, and the tables CSV."""
    out = []
    async with ck.client() as http:
        await ck.sign_in(h, http, OFFICER_ID)
        for path in CONSOLE_PAGES:
            status, html = await ck.get(http, h, "/console" + path.format(**seeded))
            assert status == 200, f"{path}: {status}"
            out.append(Shown(f"console {path}", page_text(html), html=html))
        for survey in (CS, PRIORITIES):
            status, data = await ck.get(http, h, f"/console/surveys/{survey}/tables.csv")
            if status == 200:
                out.append(Shown(f"console {survey} tables.csv", data, csv=True))
    return out


# The hook: every view officers have of counts. Console pages are added here.
VIEWS: list[View] = [
    results_list,
    survey_views,
    safety_view,
    report_view,
    console_pages,
    scheduled_views,
    notice_view,
]


# ---------------------------------------------------------------- reading numbers back

NOT_COUNTS = [
    r"<code>.*?</code>",
    r"<[^>]+>",
    r"\d{4}-\d{2}-\d{2}",
    r"\d{4}/\d{2}",
    rf"\b\d{{1,2}} (?:{MONTHS})\b(?: \d{{4}})?",
    r"\b\d{1,2}:\d{2}\b",
    r"#\d+",
    r"\d+(?:\.\d+)?%",
    r"from 1 to under \d+",
    r"from 1 to \d+ show",
    r"Page \d+ of \d+",
    r"(?:^|(?<=; )|(?<=: ))\d+\. ",  # list numbers: "3. Title", "1. Anti-social behaviour"
]
CELL = re.compile(r"^(\s+)[^:]+: (\d+) \(")  # "  Label: 12 (20%)": the label is not a count
HIDDEN_LIST = re.compile(r"^\s+(?:Fewer than|Withheld)")  # labels only
NOT_A_COUNT_LINE = re.compile(r"^\s+Average|No figures to show")


def numbers(line: str) -> list[int]:
    if HIDDEN_LIST.match(line) or NOT_A_COUNT_LINE.search(line):
        return []
    if m := CELL.match(line):
        return [int(m.group(2))]
    for pattern in NOT_COUNTS:
        line = re.sub(pattern, " ", line)
    return [int(x) for x in re.findall(r"(?<![\w.])\d+(?![\w.])", line)]


def small(n: int) -> bool:
    return 1 <= n < K


def problems_in_text(text: str) -> list[str]:
    """Numbers 1..k-1 in `text`, and totals minus parts that give one."""
    found = []
    first: int | None = None  # the view's first figure (its completed responses)
    total: int | None = None  # the figure of the last line that is not indented
    for line in text.split("\n"):
        nums = numbers(line)
        found += [f"{n} in {line!r}" for n in nums if small(n)]
        if not nums:
            continue
        if line.startswith(" ") and total is not None:
            found += [f"{total} - {n} in {line!r}" for n in nums if small(total - n)]
            continue
        if re.search(r"started|responses\)", line, re.IGNORECASE):
            found += [f"{nums[0]} - {n} in {line!r}" for n in nums[1:] if small(nums[0] - n)]
        if re.search(r"\d sent\b|of \d+ sent", line):  # "5 of 12 sent", "5 sent, 7 to go"
            found += [f"{a} vs {b} in {line!r}" for a in nums for b in nums if small(b - a)]
        if first is not None and "answered" in line:
            found += [f"{first} - {n} answered" for n in nums if small(first - n)]
        if "completed responses" in line:
            first = nums[0]
        total = nums[0]
    return found


def problems_in_csv(text: str) -> list[str]:
    """The officers' tables CSV: its count column (the first line says what the file holds)."""
    rows = list(csv.reader(io.StringIO(text)))[1:]
    header, body = rows[0], rows[1:]
    assert "count" in header, "officers get tables, never one row per response"
    col = header.index("count")
    out = []
    answered: int | None = None
    for row in body:
        if not row[col]:
            continue
        n = int(row[col])
        if row[2] == "(answered)":
            answered = n
        elif answered is not None and small(answered - n):
            out.append(f"{answered} - {n} in {row}")
        if small(n):
            out.append(f"{n} in {row}")
    return out


def across_views(everything: list[Shown]) -> list[str]:
    """Started in the /results list minus completed in the survey's own view: not finished."""
    started: dict[str, int] = {}
    completed: dict[str, int] = {}
    for shown in everything:
        for m in re.finditer(r"<code>([\w-]+)</code>\).*Started: (\d+)", shown.text):
            started[m.group(1)] = int(m.group(2))
        if shown.where.startswith("/results ") and " " not in shown.where[len("/results ") :]:
            if m := re.search(r"(\d+) completed responses", shown.text):
                completed[shown.where.split()[1]] = int(m.group(1))
    return [
        f"{sid}: started {n} - completed {completed[sid]}"
        for sid, n in started.items()
        if sid in completed and small(n - completed[sid])
    ]


# ---------------------------------------------------------------- tables that add up

Figure = int | None  # None: not shown


def _figure(cell: str) -> Figure:
    text = cell.strip().replace(",", "")
    return int(text) if text.isdigit() else None


def sums_tables(html: str) -> list[tuple[str, list[list[Figure]]]]:
    """Each table of class "sums" as (caption, rows): each row is its total, then its parts
    (the "part" columns); the last row is the columns' totals."""
    out = []
    for body in re.findall(r'<table class="sums">(.*?)</table>', html, flags=re.DOTALL):
        caption = re.search(r"<caption>(.*?)</caption>", body).group(1)
        head = re.findall(r"<th scope=\"col\"(?: class=\"([^\"]*)\")?>", body)
        total_col = next(i for i, c in enumerate(head) if c == "num")
        parts = [i for i, c in enumerate(head) if "part" in c.split()]
        rows = []
        for tr in re.findall(r"<tr>(.*?)</tr>", body.split("<tbody>", 1)[1]):
            cells = re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", tr)
            rows.append([_figure(cells[total_col]), *(_figure(cells[i]) for i in parts)])
        out.append((caption, rows))
    return out


def determined(rows: list[list[Figure]]) -> list[str]:
    """Hidden figures of a table that the figures shown pin down: every row's parts add up to
    its total, every column's to the last row's figure, the last row's parts to the grand total
    and the rows' totals to it too. A figure is pinned when its unit vector is a combination of
    those equations restricted to the hidden figures (numpy's rank, independent of the bot's
    own elimination). Also: a row or column with its total shown whose hidden parts add up to
    1 to k-1."""
    data, last = rows[:-1], rows[-1]
    width = len(last)
    hidden = [(i, j) for i, row in enumerate(rows) for j, v in enumerate(row) if v is None]
    if not hidden:
        return []
    lines = [[(i, j) for j in range(1, width)] + [(i, 0)] for i in range(len(rows))]
    lines += [[(i, j) for i in range(len(data))] + [(len(data), j)] for j in range(width)]
    matrix = []
    for line in lines:  # the last one of each line is its total, with the sign -1
        matrix.append([(-1 if p == line[-1] else 1) if p in line else 0 for p in hidden])
    a = np.array(matrix, dtype=float)
    rank = np.linalg.matrix_rank(a)
    found = []
    for x, (i, j) in enumerate(hidden):
        unit = np.zeros(len(hidden))
        unit[x] = 1
        if np.linalg.matrix_rank(np.vstack([a, unit])) == rank:
            found.append(f"row {i}, column {j} follows from the sums")
    for line in lines:
        *inside, (ti, tj) = line
        total = rows[ti][tj]
        if total is not None and any(rows[i][j] is None for i, j in inside):
            rest = total - sum(rows[i][j] or 0 for i, j in inside)
            if small(rest):
                found.append(f"{line[-1]}: its hidden parts add up to {rest}")
    return found


def problems_in_tables(html: str) -> list[str]:
    return [f"table {c!r}: {p}" for c, rows in sums_tables(html) for p in determined(rows)]


# ---------------------------------------------------------------- audiences side by side

AUDIENCE_LINE = re.compile(r"👥 (≈?[\d,]+) residents: (.+)$")  # a card or a confirmation
LIST_LINE = re.compile(r"· ([^·]+) · 👥 (≈?[\d,]+)")  # a /scheduled line
WOULD_HAVE = re.compile(r"\((≈?[\d,]+) residents would have")  # a cancel confirmation


def audience_figures(everything: list[Shown]) -> list[tuple[str, int]]:
    """Every exact audience figure shown anywhere, with its audience's words ("everyone ..."
    or the NAGs'): a rounded one ("≈") is left out, it can't be subtracted exactly."""
    found: list[tuple[str, str]] = []
    for shown in everything:
        lines = shown.text.split("\n")
        for i, line in enumerate(lines):
            if m := AUDIENCE_LINE.search(line):
                found.append((m.group(2), m.group(1)))
            if m := LIST_LINE.search(line):
                found.append((m.group(1), m.group(2)))
            if (m := WOULD_HAVE.search(line)) and i > 0 and "👥" in lines[i - 1]:
                found.append((lines[i - 1].split("👥", 1)[1].strip(), m.group(1)))
    return [(who, int(n.replace(",", ""))) for who, n in found if not n.startswith("≈")]


def across_audiences(everything: list[Shown]) -> list[str]:
    """Everyone's figure less a NAG audience's (the residents outside it), and two figures of
    everyone: none from 1 to k-1."""
    figures = audience_figures(everything)
    everyone = {n for who, n in figures if who.startswith("everyone")}
    nags = {(who, n) for who, n in figures if "reminder" not in who and "survey" not in who}
    found = [f"everyone {a} vs {b}" for a in everyone for b in everyone if small(a - b)]
    found += [
        f"everyone {a} - {who} {n}"
        for a in everyone
        for who, n in nags
        if not who.startswith("everyone") and small(a - n)
    ]
    return found


def problems(shown: Shown) -> list[str]:
    found = problems_in_csv(shown.text) if shown.csv else problems_in_text(shown.text)
    found += problems_in_tables(shown.html)
    return [f"{shown.where}: {p}" for p in found]


# ---------------------------------------------------------------- the walk


@pytest.mark.parametrize("n", range(K + 3))
async def test_no_view_shows_or_gives_away_a_count_from_1_to_k_minus_1(
    tmp_path: Path, content: Content, n: int
):
    # Deliveries in virtual time, no quiet hours; the console on.
    h = await harness(tmp_path, content, f"{NO_QUIET}\n{ck.CONSOLE % ''}")
    seeded = await seed(h, n)
    everything: list[Shown] = []
    for view in VIEWS:
        everything += await view(h, seeded)
    await close_harness(h)
    assert len(everything) >= 20, "every view was walked"
    found = [p for shown in everything for p in problems(shown)] + across_views(everything)
    found += across_audiences(everything)
    assert n < K or audience_figures(everything), "audience figures were read"
    assert not found, "\n".join(found)


def test_the_reader_finds_small_counts_and_differences():
    """The walk can fail: the reader sees what the old /results list and summary showed."""
    assert problems_in_text("• <b>S</b> (<code>cs</code>): open, 3 started, 3 completed")
    assert problems_in_text("• <b>S</b>: open. Started: 7; completed: 6 (86% completion)")
    summary = "6 completed responses.\n<b>1. Q</b> (6 answered)\n  Yes: 5 (83%)"
    assert problems_in_text(summary) == ["6 - 5 in '  Yes: 5 (83%)'"]
    assert problems_in_text("15 completed responses.\n<b>2. Q</b> (12 answered)")
    assert not problems_in_text("Counts from 1 to under 5 are not shown\n  3: 0 (0%)")
    assert problems_in_text("<b>#7</b> sending · Hi · everyone · 6 of 9 sent")
    assert problems_in_text("📤 Going out now: 6 sent, 3 to go.")
    assert problems_in_text("Nobody will receive it (4 residents would have, 1 December).")
    side_by_side = [
        Shown("/scheduled", "#1 · everyone · 👥 10\n#2 · 27 NAGs · 👥 7 · by Sam"),
        Shown("card", "👥 ≈10 residents: everyone subscribed to campaign messages"),
    ]
    assert across_audiences(side_by_side) == ["everyone 10 - 27 NAGs 7"]
    listed = Shown("/results", "• <b>S</b> (<code>cs</code>): open. Started: 14; completed: 12")
    view = Shown("/results cs", "📊 <b>S</b>\n12 completed responses.")
    assert across_views([listed, view]) == ["cs: started 14 - completed 12"]
    table = '"note"\nquestion,question_id,option,count,percent,hidden\nQ,q,(answered),6,,\nQ,q,A,2,33,\n'
    assert len(problems_in_csv(table)) == 2


def test_the_table_reader_finds_figures_the_sums_give_away():
    """A table whose one hidden cell in a row follows from the row's total, and one whose
    hidden cells sit on a cycle (each row and column hides two): the first is found."""
    head = (
        '<table class="sums"><caption>T</caption><thead><tr><th scope="col">NAG</th>'
        '<th scope="col" class="num">Residents</th><th scope="col" class="num part">A</th>'
        '<th scope="col" class="num part">B</th></tr></thead><tbody>'
    )

    def page(*rows: tuple[str, ...]) -> str:
        body = "".join(
            '<tr><th scope="row">x</th>' + "".join(f'<td class="num">{v}</td>' for v in r) + "</tr>"
            for r in rows
        )
        return head + body + "</tbody></table>"

    leaky = page(("12", "not shown", "10"), ("10", "10", "0"), ("22", "12", "10"))
    assert problems_in_tables(leaky)
    safe = page(("12", "not shown", "not shown"), ("10", "not shown", "not shown"),
                ("22", "12", "10"))  # fmt: skip
    assert problems_in_tables(safe) == []

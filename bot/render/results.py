"""Survey results -> message text: the /results list and summary, each NAG's top priorities,
"you said, we did", and the wording of hidden counts. Pure: no telegram, no SQL; the values
come from bot/services/results.py, every count in them already passed through
bot/domain/disclosure.py. bot/handlers/results.py sends what this module writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.content import Content, Texts
from bot.content.surveys import Survey, strip_instructions
from bot.domain import disclosure as dc
from bot.render.text import date_words, e, plain, split_message
from bot.services import results as rs

SUMMARY_LIMIT = 1200  # characters of one summary message (about two phone screens)


def pct(value: float | None) -> str:
    return f"{value:.0f}" if value is not None else "–"


def num(value: float | None) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if value is not None else "–"


def count(t: Texts, n: int | None, k: int) -> str:
    """A count as shown: the number, or "fewer than k" / "not shown" words (n is None)."""
    return str(n) if n is not None else t.get("results.count_hidden", min=k)


def nag_name(content: Content, nag_id: str | None) -> str:
    nag = content.nag_by_id.get(nag_id or "")
    return nag.name if nag else (nag_id or "—")


def status_line(t: Texts, survey: Survey, state: str) -> str:
    if state == "open":
        return t.get("results.status_open", closes=date_words(t, survey.closes))
    if state == "closed":
        return t.get("results.status_closed", closes=date_words(t, survey.closes))
    return t.get("results.status_upcoming", opens=date_words(t, survey.opens))


def survey_list(t: Texts, progress: Sequence[rs.SurveyProgress], k: int) -> str:
    """The /results list: each survey's status and protected counts, then what is hidden."""
    lines = [t.get("results.list_header")]
    for p in progress:
        rate = t.get("results.list_rate", rate=pct(p.rate)) if p.rate is not None else ""
        lines.append(
            t.get(
                "results.list_item",
                title=e(p.survey.title),
                id=e(p.survey.id),
                status=status_line(t, p.survey, p.status),
                started=count(t, p.started, k),
                completed=count(t, p.completed, k),
                rate=rate,
            )
        )
    lines.append(t.get("results.list_small", min=k))
    return "\n".join(lines)


def week(t: Texts, start: str | None) -> str:
    """A week start ("2026-11-16") in words: "16 November 2026"."""
    return date_words(t, date.fromisoformat(start)) if start else ""


def refusal_text(
    t: Texts, content: Content, refusal: dc.Refusal, nag_id: str | None, k: int
) -> str:
    """Why a NAG or start date can't be shown (the same words whatever the exact reason)."""
    if refusal == "nag":
        return t.get("results.refused_nag", nag=e(nag_name(content, nag_id)), min=k)
    return t.get("results.refused_small", min=k)


def filters(t: Texts, content: Content, results: rs.SurveyResults) -> str:
    """The summary's filters in words: the NAG, and the start week (moved, or not usable)."""
    k = results.min_count
    out = ""
    if results.view.nag:
        out += t.get("results.filter_nag", nag=e(nag_name(content, results.view.nag)))
    since = results.since
    if since is None:
        return out
    if since.kind == "moved":
        words = {"since": week(t, since.week), "asked": week(t, since.asked), "min": k}
        return out + t.get("results.filter_since_moved", **words)
    if since.kind == "all_weeks":
        return out + t.get("results.filter_since_all", asked=week(t, since.asked), min=k)
    return out + t.get("results.filter_since", since=week(t, since.week))


def question_lines(t: Texts, f: rs.Figures, k: int) -> list[str]:
    """One question's block: its figures, what is hidden and why, its average."""
    r, q = f.result, f.result.question
    lines = [t.get("results.question", n=f.number, text=e(q.short_title), answered=r.answered)]
    for c in r.cells:
        if c.count is not None:
            lines.append(
                t.get("results.cell", label=e(c.label), count=c.count, percent=pct(c.percent))
            )
    # Hidden figures in one line each: from 1 to k-1, and withheld (0 or k or more, but
    # showing it would let one from 1 to k-1 be worked out).
    if f.small:
        small = "; ".join(e(label) for label in f.small)
        lines.append(t.get("results.cells_small", labels=small, min=k))
    if f.withheld:
        held = "; ".join(e(label) for label in f.withheld)
        lines.append(t.get("results.cells_withheld", labels=held, min=k))
    if q.type == "number":
        lines.append(t.get("results.mean_median", mean=num(r.mean), median=num(r.median)))
    elif q.type == "rating":
        if r.mean is None and r.hidden_cells:
            lines.append(t.get("results.mean_withheld"))
        else:
            lines.append(t.get("results.mean", mean=num(r.mean)))
    elif q.type == "text":
        lines.append(t.get("results.text_answers"))
    return lines


def view_blocks(t: Texts, content: Content, results: rs.SurveyResults) -> list[list[str]]:
    """The summary as blocks of lines: the header, then one block per question (so a long
    summary is split between questions, never inside one)."""
    k, view = results.min_count, results.view
    title = e(results.survey.title)
    where = filters(t, content, results)
    header = [t.get("results.header", title=title, filters=where, completed=view.completed, min=k)]
    if view.rounded:
        header.append(t.get("results.rounded", base=k))
    blocks = [header]
    # Questions with no figure to show are listed together, right under the header: what is
    # missing, before what is there.
    nothing = [f"{f.number}. {e(f.result.question.short_title)}" for f in results.figures
               if f.nothing]  # fmt: skip
    if nothing:
        header.append(t.get("results.nothing_to_show", questions="; ".join(nothing), min=k))
    blocks += [question_lines(t, f, k) for f in results.figures if not f.nothing]
    return blocks


def summary_parts(blocks: Sequence[Sequence[str]], limit: int = SUMMARY_LIMIT) -> list[str]:
    """The summary as messages of at most `limit` characters as read (tags not counted), split
    only between questions and into parts of about the same size (never a stray last line)."""
    texts_ = ["\n".join(block) for block in blocks]
    sizes = [len(plain(text)) + 1 for text in texts_]
    target = sum(sizes) / max(1, -(-sum(sizes) // limit))
    parts: list[str] = []
    shown = 0
    for text, size in zip(texts_, sizes, strict=True):
        if parts and shown < target and shown + size <= limit:
            parts[-1] += "\n" + text
            shown += size
        else:
            parts.append(text)
            shown = size
    return [p for part in parts for p in split_message([part])]  # a huge one: Telegram's limit


def top_lines(
    t: Texts, content: Content, survey: Survey, top: rs.TopPriorities, k: int
) -> list[str]:
    """Each shown NAG's top three priorities, as its own view shows them; the rest together."""
    q = survey.question(top.question)
    assert q is not None
    lines = [t.get("results.top_header", text=e(q.short_title))]
    for nag in top.nags:
        name = e(nag_name(content, nag.nag))
        if not nag.top:
            lines.append(t.get("results.top_nag_withheld", nag=name, min=k))
            continue
        ranked = enumerate(nag.top, 1)
        shown = "; ".join(f"{i}. {e(c.label)} ({_cell(t, c, k)})" for i, c in ranked)
        lines.append(t.get("results.top_nag", nag=name, respondents=nag.completed, top=shown))
    if top.others_hidden:
        lines.append(t.get("results.top_other", min=k))
    return lines


def _cell(t: Texts, c: dc.Cell, k: int) -> str:
    if c.count is not None:
        return str(c.count)
    return t.get("results.top_small" if c.small else "results.top_withheld", min=k)


def you_said(t: Texts, content: Content, survey: Survey, said: rs.YouSaid) -> str:
    """The "you said, we did" message for one area ("" when it has nothing to show), in the
    language of `t` and of `survey` (that language's view of it: questions and options by id)."""
    if not said.lines:
        return ""
    area = nag_name(content, said.nag) if said.nag else t.get("results.ysdw_area_all")
    lines = [t.get("results.ysdw_header", title=e(survey.title), area=e(area))]
    for line in said.lines:
        question = survey.question(line.question.id) or line.question
        labels = {o.id: o.label for o in question.choices()}
        top = "; ".join(f"{e(labels.get(c.value, c.label))} {pct(c.percent)}%" for c in line.top)
        text = strip_instructions(question.text)
        lines.append(t.get("results.ysdw_line", text=e(text), top=top))
    lines.append(t.get("results.ysdw_footer"))
    return "\n".join(lines)

"""Bar charts as inline SVG, drawn on the server: no script, no style attribute (the CSP allows
neither), colours from console.css by class. Each chart has a <title> and <desc>, and the page
shows the same figures in a table beside it, which is the text alternative."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.console.html import Html, join, tag, void

WIDTH = 640
ROW = 30  # px per bar
LABEL_W = 230  # px for the labels on the left
VALUE_W = 110  # px for the figures on the right


@dataclass(frozen=True)
class Bar:
    label: str
    value: int | None  # None: not shown (drawn as an empty outline)
    text: str  # what is written at the bar's end: "12 (40%)", "fewer than 5"


def _short(label: str, most: int = 30) -> str:
    return label if len(label) <= most else label[: most - 1] + "…"


def bar_chart(title: str, bars: Sequence[Bar], chart_id: str) -> Html:
    """Horizontal bars, longest = the largest shown value; hidden figures as dashed outlines."""
    top = max((b.value for b in bars if b.value is not None), default=0) or 1
    span = WIDTH - LABEL_W - VALUE_W
    height = ROW * len(bars) + 10
    rows = []
    for i, b in enumerate(bars):
        y = 5 + i * ROW
        hidden = b.value is None
        w = span if hidden else max(2, round(span * (b.value or 0) / top)) if b.value else 0
        rect = void("rect", x=LABEL_W, y=y + 4, width=w, height=ROW - 10,
                    class_="bar hidden" if hidden else "bar")  # fmt: skip
        label = tag("text", _short(b.label), x=LABEL_W - 8, y=y + ROW / 2 + 4, class_="label",
                    text_anchor="end")  # fmt: skip
        value = tag("text", b.text, x=LABEL_W + (span if hidden else w) + 6, y=y + ROW / 2 + 4,
                    class_="value hidden" if hidden else "value")  # fmt: skip
        rows.append(rect + label + value)
    axis = void("line", x1=LABEL_W, y1=2, x2=LABEL_W, y2=height - 2, class_="axis")
    described = f"{chart_id}-desc"
    desc = "; ".join(f"{b.label}: {b.text}" for b in bars)
    return tag(
        "svg",
        tag("title", title, id=f"{chart_id}-title"),
        tag("desc", desc, id=described),
        join(rows),
        axis,
        viewBox=f"0 0 {WIDTH} {height}",
        class_="chart",
        role="img",
        aria_labelledby=f"{chart_id}-title {described}",
        xmlns="http://www.w3.org/2000/svg",
    )

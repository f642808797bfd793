"""Bar charts of survey results as PNG bytes (matplotlib, headless Agg backend, no pyplot state)."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence


def bar_chart(
    title: str,
    labels: Sequence[str],
    counts: Sequence[int | None],
    suppressed_label: str = "<5",
) -> bytes:
    """Horizontal bars; a suppressed count (None) gets no bar, only its marker text."""
    # Imported on first use: matplotlib and numpy add ~100 MB and ~1 s to start-up, and only
    # officers asking for results ever need them.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    # Figure + FigureCanvasAgg directly: pyplot keeps global state that leaks between calls and
    # is not safe across threads; this needs no display at all.
    height = 1.2 + 0.45 * max(len(labels), 1)
    fig = Figure(figsize=(7, height), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    wrapped = ["\n".join(textwrap.wrap(label, 28)) or " " for label in labels]
    values = [c or 0 for c in counts]
    positions = list(range(len(labels)))
    ax.barh(positions, values, color="#1f6fb2")
    ax.set_yticks(positions, wrapped)
    ax.invert_yaxis()  # first option on top, as in the question
    top = max(values, default=0) or 1
    for y, c in zip(positions, counts, strict=True):
        ax.text(
            (c or 0) + top * 0.01, y, str(c) if c is not None else suppressed_label, va="center"
        )
    ax.set_xlim(0, top * 1.15)
    ax.set_title("\n".join(textwrap.wrap(title, 60)), fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()

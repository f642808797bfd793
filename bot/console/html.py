"""HTML for the console: everything is escaped unless it is `Html` already, so a template cannot
forget (STYLE.md 11). Small helpers for the layout, tables and forms; no template engine."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


class Html(str):
    """Markup that is safe to put in a page as it is. Adding anything to it escapes that."""

    __slots__ = ()

    def __add__(self, other: str) -> Html:
        return Html(str.__add__(self, esc(other)))

    def __radd__(self, other: str) -> Html:
        return Html(str.__add__(esc(other), self))


def esc(value: object) -> Html:
    """`value` as page text: Html stays as it is, anything else is escaped."""
    if isinstance(value, Html):
        return value
    return Html(html.escape("" if value is None else str(value), quote=True))


def join(parts: Iterable[object], sep: str = "") -> Html:
    return Html(sep.join(esc(p) for p in parts))


def attrs(**values: object) -> Html:
    """name="value" pairs; True gives a bare attribute, None and False leave it out; a trailing
    _ is dropped and _ becomes - (class_="x", aria_label="y")."""
    out = []
    for key, value in values.items():
        if value is None or value is False:
            continue
        name = key.rstrip("_").replace("_", "-")
        out.append(f" {name}" if value is True else f' {name}="{esc(value)}"')
    return Html("".join(out))


def tag(element: str, /, *children: object, **attributes: object) -> Html:
    return Html(f"<{element}{attrs(**attributes)}>{join(children)}</{element}>")


def void(element: str, /, **attributes: object) -> Html:
    """An element without content, closed with "/>": <input .../>, and in SVG <rect .../>
    (without it an HTML parser would put what follows a <rect> inside it)."""
    return Html(f"<{element}{attrs(**attributes)}/>")


def hidden(name: str, value: object) -> Html:
    """A hidden form field (e.g. what a Confirm page carries on to the POST that acts)."""
    return void("input", type="hidden", name=name, value=value)


def link(href: str, text: object, **attributes: object) -> Html:
    return tag("a", text, href=href, **attributes)


@dataclass(frozen=True)
class Column:
    title: str
    numeric: bool = False
    part: bool = False  # in a "sums" table: one of the figures that add up to the row's total

    @property
    def class_(self) -> str | None:
        return " ".join(x for x, on in (("num", self.numeric), ("part", self.part)) if on) or None


def table(
    caption: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[object]],
    class_: str | None = None,
) -> Html:
    """A data table with a caption and column headers (scope="col"; the first cell of each row
    is its header, scope="row"), wrapped so it scrolls sideways on a phone. Class "sums": each
    row's "part" figures add up to its first figure, and the last row is the columns' totals."""
    head = join(tag("th", c.title, scope="col", class_=c.class_) for c in columns)
    body = []
    for row in rows:
        cells = [tag("th", row[0], scope="row")]
        cells += [tag("td", v, class_=c.class_) for c, v in zip(columns[1:], row[1:], strict=True)]
        body.append(tag("tr", join(cells)))
    return table_region(caption, head, join(body), class_)


def table_region(caption: str, head: Html, body: Html, class_: str | None = None) -> Html:
    """A table (its caption, header row and body rows) in a region that scrolls sideways on a
    phone and can be reached and scrolled with the keyboard."""
    return tag(
        "div",
        tag(
            "table",
            tag("caption", caption),
            tag("thead", tag("tr", head)),
            tag("tbody", body),
            class_=class_,
        ),
        class_="table-wrap",
        tabindex="0",
        role="region",
        aria_label=f"Table: {caption}",
    )


def field(label: str, control: Html, hint: str | None = None, *, id_: str) -> Html:
    """A labelled form control (the control must carry id=`id_`)."""
    described = tag("p", hint, class_="hint", id=f"{id_}-hint") if hint else Html("")
    return tag("div", tag("label", label, for_=id_), control, described, class_="field")


def select(name: str, options: Iterable[tuple[str, str]], chosen: str | None, *, id_: str) -> Html:
    opts = join(
        tag("option", text, value=value, selected=value == (chosen or ""))
        for value, text in options
    )
    return tag("select", opts, name=name, id=id_)


def text_input(name: str, value: str = "", *, id_: str, **more: object) -> Html:
    return void("input", type="text", name=name, id=id_, value=value, **more)


def message(text: object, kind: str = "info") -> Html:
    """A notice at the top of a page; `kind` "error" is announced as an alert."""
    role = "alert" if kind == "error" else "status"
    return tag("p", text, class_=f"notice {kind}", role=role)

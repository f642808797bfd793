"""Say why a YAML file cannot be read, in an editor's words, at the line of the slip.

PyYAML notices a slip where reading stops making sense, which is often lines later: a quote
left open swallows every line up to the next quote mark, and the error then points there. The
tokens read before the error show where the slip really is. Nothing here knows about the bot's
content.
"""

from __future__ import annotations

import re

import yaml

QUOTES = "\"'"
BLOCK = "|>"
# PyYAML's wording of a line that does not line up with its neighbours.
INDENT_PROBLEMS = (
    "expected <block end>",
    "did not find expected key",
    "did not find expected '-' indicator",
    "expected <block mapping start>",
)
CANNOT_START = re.compile(r"found character '(.+)' that cannot start any token")


def explain(text: str, exc: yaml.MarkedYAMLError) -> tuple[int, str]:
    """(1-based line, message) for the slip behind `exc`, raised while reading `text`."""
    problem = exc.problem or exc.context or "the file cannot be read"
    mark = exc.problem_mark or exc.context_mark
    if mark is None:
        return 1, f"this is not valid YAML ({problem})"
    at = mark.line + 1
    opened = exc.context_mark.line + 1 if exc.context_mark else at
    if isinstance(exc, yaml.constructor.ConstructorError):
        return at, problem  # our own words (a key written twice)
    if "quoted scalar" in (exc.context or "") and exc.context_mark is not None:
        if "escape" in problem:
            return at, (
                'a backslash \\ in text between double quotes must be followed by n, " or '
                "another \\ (write \\\\ for a backslash, or use single quotes)"
            )
        q = text[exc.context_mark.index]
        return opened, _never_closed(q, "the end of the file" if mark.index >= len(text) else at)
    before = _scalar_before(text, mark)
    if before is not None and before.style and before.end_mark.line == mark.line:
        if before.style in QUOTES:
            return _after_quote(before, mark)
        if before.style in BLOCK:
            found = _deeper_first_line(text, before, mark)
            if found is not None:
                return found
    if "\\t" in problem or "tab" in problem:
        return at, "a tab character: indent with spaces, not tabs"
    if (m := CANNOT_START.search(problem)) is not None:
        return at, f"a text cannot start with {m.group(1)}: put the whole text in quotes"
    if "mapping values are not allowed" in problem:
        if before is not None and before.style is None and before.start_mark.line < mark.line:
            return at, (
                f"this line is read as more of the text on line {before.start_mark.line + 1}, "
                "which cannot hold ': ': indent it like the other names, or put the text in quotes"
            )
        return at, (
            "a colon and a space ': ' in the middle of a text: put the whole text in quotes, "
            "or check this line's indentation"
        )
    if exc.context == "while scanning a simple key":
        return opened, "this line needs a colon after its name (name: text)"
    if exc.context is not None and exc.context.startswith("while parsing a flow"):
        return opened, "a [ or { opened here is never closed (or a comma is missing)"
    if any(problem.startswith(p) for p in INDENT_PROBLEMS):
        return at, "this line is not indented like the lines around it (use the same spaces)"
    return at, f"this is not valid YAML ({problem})"


def _scalar_before(text: str, mark: yaml.Mark) -> yaml.ScalarToken | None:
    """The last piece of text read before `mark`, reading up to the slip again."""
    last: yaml.ScalarToken | None = None
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if token.start_mark.index >= mark.index:
                break
            if isinstance(token, yaml.ScalarToken) and token.end_mark.index <= mark.index:
                last = token
    except yaml.MarkedYAMLError:
        pass
    return last


def _after_quote(quoted: yaml.ScalarToken, mark: yaml.Mark) -> tuple[int, str]:
    """The error came right after a quoted text ended: a quote left open, or closed too soon."""
    q = quoted.style
    start, end = quoted.start_mark.line + 1, quoted.end_mark.line + 1
    if start < end:
        return start, _never_closed(q, end)
    if q == '"':
        inside = 'inside "..." write \\" for a quote mark, or use single quotes'
    else:
        inside = "inside '...' write '' for an apostrophe, or use double quotes"
    return mark.line + 1, f"a {q} in this line ends the text too early: {inside}"


def _never_closed(q: str, end: int | str) -> str:
    where = f"line {end}" if isinstance(end, int) else end
    return (
        f"a quote {q} opened here is never closed (YAML reads on to {where}): end the text with {q}"
    )


def _deeper_first_line(
    text: str, block: yaml.ScalarToken, mark: yaml.Mark
) -> tuple[int, str] | None:
    """A `key: |` text whose first line is indented more than the next: the next ends it early."""
    lines = text.splitlines()
    head = block.start_mark.line  # the `key: |` line
    first = next((i for i in range(head + 1, min(mark.line, len(lines))) if lines[i].strip()), None)
    if first is None:
        return None
    key_indent = len(lines[head]) - len(lines[head].lstrip(" "))
    first_indent = len(lines[first]) - len(lines[first].lstrip(" "))
    if not key_indent < mark.column < first_indent:
        return None
    return first + 1, (
        f"the first line of this text is indented more than line {mark.line + 1}: "
        "indent every line of the text the same"
    )

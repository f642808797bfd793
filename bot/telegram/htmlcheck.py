"""Telegram's HTML subset: find what the Bot API would refuse with "can't parse entities".

Used by the content validator (so an editor's stray `<` or unclosed <b> is caught before going
live) and by the Bot API double. Pure: no telegram, no I/O.
"""

from __future__ import annotations

import re

# Tags Telegram accepts in parse_mode=HTML (https://core.telegram.org/bots/api#html-style).
ALLOWED = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
    "tg-emoji", "code", "pre", "blockquote",
}  # fmt: skip
_TOKEN = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)\s*(/?)>|<|&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);|&"
)
_ENTITIES = {"lt", "gt", "amp", "quot", "apos", "nbsp"}


def html_problem(text: str) -> str | None:
    """None if Telegram would accept `text` as HTML, else a short reason (first problem only)."""
    stack: list[str] = []
    for m in _TOKEN.finditer(text):
        whole = m.group(0)
        if whole == "<":
            return "a bare '<': write &lt; for the character itself"
        if whole == "&":
            return "a bare '&': write &amp; for the character itself"
        if whole.startswith("&"):
            name = m.group(5)
            if not name.startswith("#") and name not in _ENTITIES:
                return f"unknown entity {whole!r}"
            continue
        closing, tag, attrs, selfclose = m.group(1), m.group(2).lower(), m.group(3), m.group(4)
        if tag not in ALLOWED:
            return f"tag <{tag}> is not supported by Telegram"
        if selfclose:
            return f"<{tag}/> must have text and a closing </{tag}>"
        if closing:
            if not stack or stack[-1] != tag:
                return f"</{tag}> does not close the last opened tag"
            stack.pop()
            continue
        if tag == "a" and not re.search(r"""href\s*=\s*["'][^"']+["']""", attrs or ""):
            return '<a> needs href="..."'
        stack.append(tag)
    if stack:
        return f"<{stack[-1]}> is never closed"
    return None

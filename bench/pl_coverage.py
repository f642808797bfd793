"""How much of the content the Polish draft translates, and whether each translation is sound.

    python -m bench.pl_coverage

Per texts file: how many English keys have a Polish value (N of M), the same for the keys a
resident can see, and every translated key whose placeholders or HTML tags differ from English,
or that is over Telegram's limits (4096 characters a message, 64 bytes a button label). Then
the overlays of content/pl/ (campaigns, NAG cards, surveys: translated fields of translatable
fields), the Polish safeguarding and intent words (categories and intents covered), and the
labelled Polish examples per topic and intent. Exit status 1 when a translation has a problem.

Reads the YAML files directly (not the bot's content loader), so it also runs while the language
framework is being built. tests/test_content_pl.py uses the same checks.
"""

from __future__ import annotations

import re
import string
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
PL = CONTENT / "pl"
TEXT_FILES = ("texts.{}.yaml", "texts.{}.broadcast.yaml", "texts.{}.surveys.yaml")
MAX_MESSAGE = 4096
MAX_BUTTON_BYTES = 64
META = "language"  # texts.pl.yaml's own description, not a text

# Keys only officers and admins ever see: left in English on purpose (per-key fallback).
OFFICER_PREFIXES = ("alerts.", "safety.report_", "officer.", "time.", "results.")
OFFICER_KEYS = frozenset(
    {
        "command.safety",
        "command.broadcast",
        "command.scheduled",
        "command.report",
        "command.reload",
        "command.results",
        "help.officers",
    }
)
# What residents receive from the broadcast and results files.
RESIDENT_IN_OFFICER_FILES = frozenset(
    {
        "broadcast.campaign_message",
        "broadcast.reminder_text",
        "broadcast.btn_useful",
        "broadcast.btn_not_useful",
        "broadcast.rated",
        "results.ysdw_header",
        "results.ysdw_area_all",
        "results.ysdw_line",
        "results.ysdw_footer",
    }
)
# Keys the language framework (issue 23) adds to the English files; texts.pl.yaml translates
# them already. Once the framework is merged they are in English too.
FRAMEWORK_KEYS = frozenset(
    {
        "button.settings_language",
        "settings.choose_language",
        "language.offer",
        "language.chosen",
        "language.foreign",
    }
)
_TAG = re.compile(r"<(/?)([a-zA-Z]+)((?:\s[^>]*)?)>")
_ENTITY = re.compile(r"&(?:amp|lt|gt|quot|#\d+);")
_FORMATTER = string.Formatter()


def resident_facing(key: str) -> bool:
    if key in RESIDENT_IN_OFFICER_FILES:
        return True
    if key in OFFICER_KEYS or key.startswith(OFFICER_PREFIXES):
        return False
    return not key.startswith("broadcast.")


def load_yaml(path: Path) -> Any:
    """The file's data; an empty mapping when it does not exist (yet)."""
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


def texts(lang: str) -> dict[str, dict[str, str]]:
    """File name pattern -> {key: text} for one language (the `language:` block left out)."""
    out: dict[str, dict[str, str]] = {}
    for pattern in TEXT_FILES:
        raw = load_yaml(CONTENT / pattern.format(lang))
        out[pattern] = {str(k): str(v) for k, v in (raw or {}).items() if k != META}
    return out


def placeholders(text: str) -> Counter[str]:
    try:
        return Counter(f for _, f, _, _ in _FORMATTER.parse(text) if f is not None and f != "")
    except ValueError:
        return Counter({"<unbalanced braces>": 1})


def tags(text: str) -> list[tuple[str, str, str]]:
    return sorted((m.group(1), m.group(2).lower(), m.group(3).strip()) for m in _TAG.finditer(text))


def problems(key: str, polish: str, english: str | None) -> Iterator[str]:
    """What is wrong with one translated text, measured against its English key."""
    if english is None:
        if key not in FRAMEWORK_KEYS:
            yield f"{key}: no such key in English"
        english = polish if key in FRAMEWORK_KEYS else ""
    if placeholders(polish) != placeholders(english):
        yield (
            f"{key}: placeholders {sorted(placeholders(polish))}, English has "
            f"{sorted(placeholders(english))}"
        )
    if tags(polish) != tags(english):
        yield f"{key}: HTML tags {tags(polish)}, English has {tags(english)}"
    bare = _ENTITY.sub("", _TAG.sub("", polish))
    if ("<" in bare or "&" in bare) and not ("<" in english or "&" in english):
        yield f"{key}: a bare < or & (write &lt; or &amp;)"
    if not polish.strip():
        yield f"{key}: empty"
    if key.startswith("button.") and len(polish.encode()) > MAX_BUTTON_BYTES:
        yield f"{key}: {len(polish.encode())} bytes, over {MAX_BUTTON_BYTES} for a button"
    if len(polish) > MAX_MESSAGE:
        yield f"{key}: {len(polish)} characters, over {MAX_MESSAGE}"


def text_report() -> tuple[list[str], list[str]]:
    """Lines of the texts report, and every problem found."""
    en, pl = texts("en"), texts("pl")
    lines, found = [], []
    for pattern in TEXT_FILES:
        english, polish = en[pattern], pl[pattern]
        done = [k for k in english if k in polish]
        residents = [k for k in english if resident_facing(k)]
        done_res = [k for k in residents if k in polish]
        name = pattern.format("pl")
        lines.append(
            f"{name:34} all keys {len(done):3} of {len(english):3}   "
            f"resident-facing {len(done_res):3} of {len(residents):3}"
            f" ({100 * len(done_res) / max(1, len(residents)):.0f}%)"
        )
        for key in residents:
            if key not in polish:
                found.append(f"{name}: {key}: resident-facing, not translated")
        for key, value in polish.items():
            found.extend(f"{name}: {p}" for p in problems(key, value, english.get(key)))
        if extra := sorted(set(polish) - set(english) - FRAMEWORK_KEYS):
            found.append(f"{name}: keys not in English: {extra}")
    return lines, found


# ---------------------------------------------------------------- overlays of content/pl/


def campaign_fields(c: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"title": c["title"], "summary": c["summary"], "tips": c["tips"]}
    messages = {m["id"]: m["text"] for m in c.get("messages") or () if m.get("text")}
    if messages:
        out["messages"] = messages
    return out


def overlay_report() -> tuple[list[str], list[str]]:
    lines, found = [], []
    en = {c["id"]: campaign_fields(c) for c in load_yaml(CONTENT / "campaigns.yaml")["campaigns"]}
    pl = (load_yaml(PL / "campaigns.yaml") or {}).get("campaigns") or {}
    want = sum(len(f) for f in en.values())
    have = sum(len(set(f) & set(pl.get(i) or {})) for i, f in en.items())
    lines.append(f"{'pl/campaigns.yaml':34} fields {have:3} of {want:3} in {len(pl)} of {len(en)}")
    for cid, fields in pl.items():
        found.extend(f"pl/campaigns.yaml: {p}" for p in campaign_problems(cid, fields, en))
    nags = {n["id"]: n for n in load_yaml(CONTENT / "nags.yaml")["nags"]}
    pln = (load_yaml(PL / "nags.yaml") or {}).get("nags") or {}
    want = sum(1 + bool(n["venue"].get("accessibility")) for n in nags.values())
    have = sum(len({"priorities", "accessibility"} & set(pln.get(i) or {})) for i in nags)
    lines.append(f"{'pl/nags.yaml':34} fields {have:3} of {want:3} in {len(pln)} of {len(nags)}")
    for nid, entry in pln.items():
        if nid not in nags:
            found.append(f"pl/nags.yaml: {nid}: no such NAG")
        elif len(entry.get("priorities") or ()) != len(nags[nid]["priorities"]):
            found.append(f"pl/nags.yaml: {nid}: not as many priorities as English")
    for path in sorted((CONTENT / "surveys").glob("*.yaml")):
        want_s, have_s, probs = survey_coverage(load_yaml(path), PL / "surveys" / path.name)
        lines.append(f"{'pl/surveys/' + path.name:34} fields {have_s:3} of {want_s:3}")
        found.extend(f"pl/surveys/{path.name}: {p}" for p in probs)
    return lines, found


def campaign_problems(cid: str, fields: dict[str, Any], en: dict[str, Any]) -> Iterator[str]:
    if cid not in en:
        yield f"{cid}: no such campaign"
        return
    if len(fields.get("title", "").encode()) > MAX_BUTTON_BYTES:
        yield f"{cid}: title over {MAX_BUTTON_BYTES} bytes (it is a button label)"
    if "tips" in fields and len(fields["tips"]) != len(en[cid]["tips"]):
        yield f"{cid}: {len(fields['tips'])} tips, English has {len(en[cid]['tips'])}"
    for mid in set(fields.get("messages") or {}) - set(en[cid].get("messages") or {}):
        yield f"{cid}: message {mid!r} has no English text to translate"


def survey_fields(s: dict[str, Any]) -> Iterator[tuple[str, ...]]:
    for f in ("title", "intro", "privacy", "thanks"):
        if s.get(f):
            yield (f,)
    for q in s["questions"]:
        yield ("questions", q["id"], "text")
        for f in ("low", "high"):
            if q.get(f):
                yield ("questions", q["id"], f)
        for o in q.get("options") or ():
            yield ("questions", q["id"], "options", o["id"])


def survey_coverage(english: dict[str, Any], path: Path) -> tuple[int, int, list[str]]:
    polish = load_yaml(path)
    wanted = list(survey_fields(english))
    have, probs = 0, []
    for loc in wanted:
        node: Any = polish
        for part in loc:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, str) and node.strip():
            have += 1
            if (loc[-1] == "title" or "options" in loc or loc[-1] in ("low", "high")) and len(
                node.encode()
            ) > MAX_BUTTON_BYTES:
                probs.append(f"{'.'.join(loc)}: over {MAX_BUTTON_BYTES} bytes (a button label)")
    qids = {q["id"]: q for q in english["questions"]}
    for qid, entry in (polish.get("questions") or {}).items():
        if qid not in qids:
            probs.append(f"questions.{qid}: no such question")
            continue
        oids = {o["id"] for o in qids[qid].get("options") or ()}
        probs.extend(
            f"questions.{qid}.options.{o}: no such option"
            for o in set(entry.get("options") or {}) - oids
        )
    return len(wanted), have, probs


# ---------------------------------------------------------------- words and examples


def lexicon_report() -> list[str]:
    lines = []
    cats = [c["id"] for c in load_yaml(CONTENT / "safety.yaml")["categories"]]
    pl = load_yaml(PL / "safety.yaml").get("categories") or {}
    replies = sum(1 for c in cats if (pl.get(c) or {}).get("reply"))
    entries = sum(len(v) for c in pl.values() for k, v in c.items() if k != "reply")
    lines.append(
        f"{'pl/safety.yaml':34} categories {len(set(cats) & set(pl))} of {len(cats)}, "
        f"replies {replies} of {len(cats)}, {entries} words, phrases and patterns"
    )
    intents = [i["id"] for i in load_yaml(CONTENT / "intents.yaml")["intents"]]
    pli = load_yaml(PL / "intents.yaml").get("intents") or {}
    lines.append(f"{'pl/intents.yaml':34} intents {len(set(intents) & set(pli))} of {len(intents)}")
    folder = CONTENT / "examples" / "pl"
    topics: Counter[str] = Counter()
    ordinary = messages = 0
    for path in sorted(folder.glob("*.yaml")):
        raw = load_yaml(path) or {}
        for ex in raw.get("danger") or ():
            topics.update(ex["need"])
        ordinary += len(raw.get("ordinary") or ())
        messages += len(raw.get("messages") or ())
    danger = sum(len((load_yaml(p) or {}).get("danger") or ()) for p in folder.glob("*.yaml"))
    lines.append(
        f"{'examples/pl/':34} danger {danger} ({len(topics)} of {len(cats)} topics), "
        f"ordinary {ordinary}, plain words {messages}"
    )
    lines.append("  danger per topic: " + ", ".join(f"{t} {n}" for t, n in sorted(topics.items())))
    return lines


def main() -> int:
    lines, found = text_report()
    more, found2 = overlay_report()
    print("\n".join([*lines, *more, *lexicon_report()]))
    everything = found + found2
    if everything:
        print(f"\n{len(everything)} problem(s):")
        print("\n".join(f"  {p}" for p in everything))
        return 1
    print("\nNo problems: placeholders, HTML tags and Telegram's limits match English.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Decisions of the understanding layer on every text of content/examples and tests/data, each
with a number appended: JSON lines, to compare two trees."""
import json, sys
from pathlib import Path
import yaml

root = Path.cwd()
texts = []
def walk(x):
    if isinstance(x, str):
        if any(c.isalpha() for c in x) and len(x) < 2000:
            texts.append(x)
    elif isinstance(x, dict):
        for k, v in x.items():
            walk(k); walk(v)
    elif isinstance(x, list):
        for v in x: walk(v)
for d in ("content/examples", "tests/data"):
    for f in sorted((root / d).rglob("*.yaml")):
        try:
            walk(yaml.safe_load(f.read_text("utf-8")))
        except Exception as e:
            print("skip", f, e, file=sys.stderr)
from bot.content import load_content
from bot.context import understanding_for
from bot.domain.words import words_of
u = understanding_for(load_content(root / "content"), None)
out = open(sys.argv[1], "w")
for i, t in enumerate(texts):
    t = f"{t} {i}"
    r = u.understand(t)
    out.write(json.dumps([t, list(r.finding.categories), sorted(r.finding.strong), str(r.intent), words_of(t), words_of(t, u.safety.lexicon.aliases)]) + "\n")
print(len(texts), "texts", file=sys.stderr)

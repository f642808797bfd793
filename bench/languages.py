"""Choosing the language of a message (issue 23): its cost per message, and how often it is right.

What runs for every private text update when the bot offers more than English
(bot/handlers/languages.py: choose_language): a dictionary lookup for the resident's language,
then `Guesser.guess` on the text (bot/domain/languages.py). The fallback guesses again for text
outside a flow (the multilingual answer): at most two guesses per message.

- **Cost**: `guess` timed with time.perf_counter_ns over every message below, interleaved, after
  a warm-up; median and p99 in µs, per kind and overall; and the time to build the profiles
  from the content at start-up and /reload.
- **English read as foreign** (must be 0): the content's labelled English examples
  (content/examples/), two-fold: profiles built from the texts and one half, the other half
  guessed.
- **Other languages** (must all be foreign): a few messages each in Romanian, Portuguese, Urdu,
  Arabic and Punjabi (ordinary and about danger), and in languages not named in the issue.
- **English with foreign words** (must never be foreign).

  .venv/bin/python -m bench.languages [--content content] [--reps 200]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from pathlib import Path

from bot.content import Content, load_content
from bot.context import language_guesser
from bot.domain.languages import Guesser, Profile
from bot.domain.words import common_words

ROOT = Path(__file__).resolve().parent.parent

FOREIGN: dict[str, list[str]] = {
    "Romanian": [
        "Bună ziua, când este următoarea întâlnire?",
        "Vecinul meu mă amenință cu un cuțit",
        "Am nevoie de ajutor, soțul meu mă bate",
        "Unde este grupul meu local",
        "Ma sotul ma bate in fiecare seara",
    ],
    "Portuguese": [
        "Olá, quando é a próxima reunião?",
        "O meu vizinho está a ameaçar-me com uma faca",
        "Preciso de ajuda, o meu marido bate-me",
        "Onde fica o meu grupo local",
        "eu nao sei falar ingles",
    ],
    "Urdu": ["اگلی میٹنگ کب ہے؟", "میرا پڑوسی مجھے چاقو سے دھمکی دے رہا ہے", "مجھے مدد چاہیے"],
    "Arabic": ["متى الاجتماع القادم؟", "جاري يهددني بسكين", "أحتاج إلى مساعدة"],
    "Punjabi": ["ਅਗਲੀ ਮੀਟਿੰਗ ਕਦੋਂ ਹੈ?", "ਮੇਰਾ ਗੁਆਂਢੀ ਮੈਨੂੰ ਚਾਕੂ ਨਾਲ ਧਮਕਾ ਰਿਹਾ ਹੈ", "ਸਤ ਸ੍ਰੀ ਅਕਾਲ"],
    "others": [
        "Hola, ¿cuándo es la próxima reunión?",
        "Bonjour, quand est la prochaine réunion ?",
        "Guten Tag, wann ist das nächste Treffen?",
        "Labas, kada bus kitas susitikimas?",
        "Ciao, quando è la prossima riunione?",
        "Привет, когда следующая встреча?",
        "আমার প্রতিবেশী আমাকে হুমকি দিচ্ছে",
        "Merhaba, bir sonraki toplantı ne zaman?",
    ],
}
ENGLISH_WITH_FOREIGN_WORDS = [
    "my neighbour Krzysztof Wójcik keeps shouting at night",
    "I met José at the café near Bletchley",
    "Ayesha and Mohammed were attacked outside the mosque",
    "when is the next meeting? Zoë asked me",
    "can you tell me about the Ramadan safety tips",
    "Olney",
    "hiya",
    "MK6 2LP",
]


def timed(g: Guesser, messages: list[str], reps: int) -> list[float]:
    """Microseconds per guess, every message `reps` times, interleaved."""
    for m in messages:  # warm-up
        g.guess(m)
    out = []
    gc.collect()
    gc.disable()  # a collection's pause is not the guess's cost
    try:
        for _ in range(reps):
            for m in messages:
                t = time.perf_counter_ns()
                g.guess(m)
                out.append((time.perf_counter_ns() - t) / 1000)
    finally:
        gc.enable()
    return out


def p99(xs: list[float]) -> float:
    return sorted(xs)[int(len(xs) * 0.99)]


def other_language(content: Content, lang: str, g: Guesser) -> None:
    """Another language the content has: its own examples, two-fold held out, read as it (and
    not foreign); and English examples never read as it."""
    english = {x.text for x in content.examples.topics} | {x for x, _ in content.examples.intents}
    view = content.view(lang)
    mine = [x.text for x in view.examples.topics if x.text not in english]
    mine += [x for x, _ in view.examples.intents if x not in english]
    t = content.t(lang)
    own = [t.get(k) for k in t.own]  # type: ignore[arg-type]
    read, foreign = 0, 0
    for fold in (0, 1):
        train = [x for i, x in enumerate(mine) if i % 2 == fold]
        profiles = [p for p in g.profiles if p.code != lang]
        held = Guesser([*profiles, Profile.build(lang, own + train)])
        for x in (x for i, x in enumerate(mine) if i % 2 != fold):
            guess = held.guess(x)
            read += guess.clearly(lang, than="en")
            foreign += guess.foreign
    print(f"{lang} examples (2-fold, held out): {read} of {len(mine)} read as {lang},"
          f" {foreign} as foreign")  # fmt: skip
    examples = list(english)
    wrong = sum(g.guess(x).clearly(lang, than="en") for x in examples)
    print(f"English examples read as {lang}: {wrong} of {len(examples)}")


def _not_english(g: Guesser, text: str) -> bool:
    guess = g.guess(text)
    return guess.foreign or guess.lang not in (None, "en")


def heldout(content: Content, g: Guesser, path: Path) -> None:
    """A blind set (tests/data/other_languages_heldout.yaml): each foreign message must get the
    multilingual answer; each English message with a foreign word must be read as English and
    get its help (the English understanding layer)."""
    import yaml

    from bot.context import understanding_for

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    by_lang: dict[str, list[int]] = {}
    for item in data["foreign"]:
        got = by_lang.setdefault(f"{item['lang']} {item['kind']}", [0, 0])
        got[0] += g.guess(item["text"]).foreign
        got[1] += 1
    for key, (hits, n) in sorted(by_lang.items()):
        print(f"held-out {key:14} {hits} of {n} get the multilingual answer")
    u = understanding_for(content)
    english = data["english_with_foreign"]
    foreign = [x["text"] for x in english if _not_english(g, x["text"])]
    print(f"held-out English with foreign words read as another language: {len(foreign)} of "
          f"{len(english)} {foreign or ''}")  # fmt: skip
    danger = [x for x in english if x.get("need")]
    right = 0
    for x in danger:
        shown = set(u.topics(x["text"]).categories)
        allowed = set(x["need"]) | set(x.get("fair") or ())
        right += bool(shown) and set(x["need"]) <= shown <= allowed
        if not set(x["need"]) <= shown:
            print(f"  help missing: {x['text']!r} -> {sorted(shown)} (need {x['need']})")
    print(f"held-out English danger messages with foreign words, exactly right help: {right} of "
          f"{len(danger)}")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--content", default=str(ROOT / "content"))
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--heldout", type=Path, help="score a blind set, then stop")
    args = ap.parse_args()
    content = load_content(Path(args.content))
    if args.heldout:
        heldout(content, language_guesser(content), args.heldout)
        return
    t0 = time.perf_counter()
    g = language_guesser(content)
    build = time.perf_counter() - t0
    print(f"profiles: {', '.join(p.code for p in g.profiles)}; built in {build * 1000:.0f} ms")

    examples = [x.text for x in content.examples.topics] + [x for x, _ in content.examples.intents]
    t = content.t("en")
    own = [t.get(k) for k in t.own]  # type: ignore[arg-type]
    wrong = 0
    for fold in (0, 1):
        train = [x for i, x in enumerate(examples) if i % 2 == fold]
        test = [x for i, x in enumerate(examples) if i % 2 != fold]
        held = Guesser([Profile.build("en", own + train, common_words())])
        wrong += sum(held.guess(x).foreign for x in test)
    print(f"English examples read as foreign (2-fold, held out): {wrong} of {len(examples)}")
    for lang in content.views:
        if lang != "en":
            other_language(content, lang, g)
    for lang, msgs in FOREIGN.items():
        hits = sum(g.guess(m).foreign for m in msgs)
        print(f"{lang}: {hits} of {len(msgs)} get the multilingual answer")
    odd = [m for m in ENGLISH_WITH_FOREIGN_WORDS if g.guess(m).foreign]
    print(f"English with foreign words read as foreign: {len(odd)} of "
          f"{len(ENGLISH_WITH_FOREIGN_WORDS)} {odd or ''}")  # fmt: skip

    kinds = {
        "English examples": examples[:: max(1, len(examples) // 400)],
        "other Latin-script languages": FOREIGN["Romanian"] + FOREIGN["Portuguese"],
        "other scripts": FOREIGN["Urdu"] + FOREIGN["Arabic"] + FOREIGN["Punjabi"],
        "5,000 characters": [" ".join(examples[:200])[:5000]],
    }
    everything: list[float] = []
    for kind, msgs in kinds.items():
        reps = args.reps if kind != "English examples" else max(1, args.reps // 20)
        us = timed(g, msgs, reps)
        everything += us if kind != "5,000 characters" else []
        print(f"{kind:30} median {statistics.median(us):7.1f} µs   p99 {p99(us):7.1f} µs")
    print(f"{'all but the 5,000 characters':30} median {statistics.median(everything):7.1f} µs"
          f"   p99 {p99(everything):7.1f} µs")  # fmt: skip


if __name__ == "__main__":
    main()

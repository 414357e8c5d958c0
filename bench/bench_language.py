"""Language detection on prompts that hold code: how many English ones the `en` filter drops.

    .venv/bin/python bench/bench_language.py [--data ../shared/data/wild_dev.jsonl.gz]

Detectors compared: py3langid on the whole text (what ingest did), py3langid on the prose
(`miner.ingest.prose.prose_of`: code blocks, inline code, code-like lines removed), and
lingua-language-detector on both when it is installed. Rows:
  * wild_dev English with code: prompts holding code (a fence, inline code, or two code-like
    lines) whose prose is English by a rule independent of every detector (ASCII letters,
    at least 3 words, at least 20% of them English function words, one of them unambiguous
    such as "the", "how", "please"), split at 8 words of prose (short prompts are where
    detectors fail). False-drop rate: the share detected as anything but `en`.
  * wild_dev other scripts with code: prompts holding code whose prose is mostly CJK,
    Cyrillic, Arabic, Hangul, Thai, Greek or Hebrew letters. False-keep rate: the share
    detected as `en` (the filter would keep them).
  * short other-language prompts: the first 6 words of wild_dev prompts without code that
    py3langid puts in a Latin-script language other than English with probability >= 0.99
    over at least 20 words. False-keep rate: the share detected as `en` (the price of
    preferring `en` when unsure).
  * the fixtures of tests/language_fixtures.py (English and other languages with code).
  * speed: prompts per second over 5,000 wild_dev prompts (all of them, code or not).
Skips cleanly when the data file is absent.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from miner.ingest.languages import _identifier, detect_language  # noqa: E402
from miner.ingest.prose import _code_like, prose_of  # noqa: E402
from tests.language_fixtures import ENGLISH_WITH_CODE, OTHER_WITH_CODE  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "wild_dev.jsonl.gz"
_WORDS = (
    "the a an to of and in is are was be this that it for with on as i you my me we can how "
    "what why do does not or if but so please write make from by at your have has will would "
    "should could which when where there here one all any some"
)
FUNCTION_WORDS = frozenset(_WORDS.split())
STRONG_ENGLISH = FUNCTION_WORDS - {"a", "i", "in", "me", "so", "do", "no", "on", "as", "be"}
OTHER_SCRIPT = re.compile(
    "[\u0400-\u04ff\u0590-\u05ff\u0600-\u06ff\u0370-\u03ff\u0e00-\u0e7f\u3040-\u30ff"
    "\u4e00-\u9fff\uac00-\ud7af]"
)
CHARS = 1000  # what ingest reads (languages._DETECT_CHARS)


def has_code(text: str) -> bool:
    if "```" in text or re.search(r"`[^`\n]+`", text):
        return True
    return sum(_code_like(line) for line in text.splitlines()) >= 2


def english_prose(prose: str) -> bool:
    letters = [c for c in prose if c.isalpha()]
    if not letters or sum(c.isascii() for c in letters) < 0.97 * len(letters):
        return False
    words = re.findall(r"[a-z']+", prose.lower())
    return (len(words) >= 3 and sum(w in FUNCTION_WORDS for w in words) >= 0.2 * len(words)
            and any(w in STRONG_ENGLISH for w in words))


def other_script(prose: str) -> bool:
    letters = [c for c in prose if c.isalpha()]
    return bool(letters) and len(OTHER_SCRIPT.findall(prose)) >= 0.3 * len(letters)


def detectors() -> dict[str, Callable[[str], str]]:
    import py3langid

    found: dict[str, Callable[[str], str]] = {
        "py3langid, whole text (before)": lambda t: py3langid.classify(t[:CHARS])[0],
        "py3langid, prose": lambda t: py3langid.classify(prose_of(t[:CHARS]))[0],
        "miner: py3langid on prose, unsure -> en": lambda t: detect_language(t, {"en"}),
    }
    try:
        from lingua import LanguageDetectorBuilder
    except ImportError:
        return found
    lingua = LanguageDetectorBuilder.from_all_languages().with_preloaded_language_models().build()

    def lingua_code(text: str) -> str:
        language = lingua.detect_language_of(text)
        return "und" if language is None else language.iso_code_639_1.name.lower()

    found["lingua, whole text"] = lambda t: lingua_code(t[:CHARS])
    found["lingua, prose"] = lambda t: lingua_code(prose_of(t[:CHARS]))
    return found


def rate(detect: Callable[[str], str], texts: list[str], wrong: Callable[[str], bool]) -> str:
    misses = sum(wrong(detect(text)) for text in texts)
    return f"{misses}/{len(texts)} ({100 * misses / max(1, len(texts)):.1f}%)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    if not args.data.exists():
        print(f"skipped: {args.data} not found")
        return
    with gzip.open(args.data, "rt", encoding="utf-8") as handle:
        prompts = [json.loads(line)["prompt"] for line in handle]
    coded = [p for p in prompts if has_code(p)]
    english = [p for p in coded if english_prose(prose_of(p))]
    short = [p for p in english if len(prose_of(p).split()) < 8]
    others = [p for p in coded if other_script(prose_of(p))]
    latin = ("es", "fr", "de", "it", "pt", "nl", "pl", "sv", "da", "no", "fi", "cs", "ro",
             "hu", "tr", "id", "vi", "ca", "sl", "hr", "sk")
    shorts = []
    for p in prompts:
        if has_code(p) or len(p.split()) < 20:
            continue
        code, probability = _identifier().classify(p[:CHARS])
        if code in latin and probability >= 0.99:
            shorts.append(" ".join(p.split()[:6]))
    print(f"wild_dev: {len(prompts):,} prompts, {len(coded):,} hold code; {len(english):,} of "
          f"those have English prose ({len(short):,} under 8 words), {len(others):,} prose in "
          f"another script; {len(shorts):,} short other-language prompts")
    print("| detector | wild_dev English with code: dropped | of them, under 8 words | "
          "other scripts with code: kept as en | short other-language: kept as en | "
          "fixtures, English with code: dropped | fixtures, other languages: right | speed |")
    print("|---|---|---|---|---|---|---|---|")
    sample = prompts[:5000]
    not_en = lambda code: code != "en"  # noqa: E731
    for name, detect in detectors().items():
        started = time.perf_counter()
        for text in sample:
            detect(text)
        speed = len(sample) / (time.perf_counter() - started)
        fixtures_other = sum(detect(t) == code for code, t in OTHER_WITH_CODE)
        print(f"| {name} | {rate(detect, english, not_en)} | {rate(detect, short, not_en)} | "
              f"{rate(detect, others, lambda code: code == 'en')} | "
              f"{rate(detect, shorts, lambda code: code == 'en')} | "
              f"{rate(detect, ENGLISH_WITH_CODE, not_en)} | "
              f"{fixtures_other}/{len(OTHER_WITH_CODE)} | {speed:,.0f} prompts/s |")
    overall(prompts)


def overall(prompts: list[str]) -> None:
    """How the whole of wild_dev moves: prompts detected `en` before and after."""
    import py3langid

    before = [py3langid.classify(p[:CHARS])[0] == "en" for p in prompts]
    after = [detect_language(p, {"en"}) == "en" for p in prompts]
    gained = sum(a and not b for a, b in zip(after, before, strict=True))
    lost = sum(b and not a for a, b in zip(after, before, strict=True))
    print(f"all wild_dev: en before {sum(before):,}, after {sum(after):,} "
          f"(+{gained:,} now kept, -{lost:,} now dropped)")


if __name__ == "__main__":
    main()

"""Languages as ISO 639-1 codes: from a record's `language` field, else detected offline.

LMSYS-Chat-1M, WildChat and Arena battles name languages in English ("English", "Chinese");
config and artifacts use ISO 639-1 codes ("en", "zh"). Detection uses py3langid, whose model
ships inside its wheel, on the prompt's prose (code removed); docs/performance.md has the
false-drop rates on English prompts holding code.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection
from typing import Any

from miner.ingest.prose import prose_of

_DETECT_CHARS = 1000  # the start of a prompt is enough to tell its language, and much faster
_NO_LANGUAGE = frozenset({"zxx"})
UNSURE = 0.5  # normalised probability of the top language under which detection is unsure
NEAR = 0.4    # ... and a preferred language scoring this share of the top one is taken

_NAMES = {
    "afrikaans": "af", "albanian": "sq", "amharic": "am", "arabic": "ar", "armenian": "hy",
    "azerbaijani": "az", "basque": "eu", "belarusian": "be", "bengali": "bn", "bangla": "bn",
    "bosnian": "bs", "breton": "br", "bulgarian": "bg", "burmese": "my", "catalan": "ca",
    "chinese": "zh", "croatian": "hr", "czech": "cs", "danish": "da", "dutch": "nl",
    "english": "en", "esperanto": "eo", "estonian": "et", "filipino": "tl", "tagalog": "tl",
    "finnish": "fi", "french": "fr", "galician": "gl", "georgian": "ka", "german": "de",
    "greek": "el", "gujarati": "gu", "haitian creole": "ht", "hebrew": "he", "hindi": "hi",
    "hungarian": "hu", "icelandic": "is", "indonesian": "id", "irish": "ga", "italian": "it",
    "japanese": "ja", "javanese": "jv", "kannada": "kn", "kazakh": "kk", "khmer": "km",
    "korean": "ko", "kurdish": "ku", "kyrgyz": "ky", "lao": "lo", "latin": "la",
    "latvian": "lv", "lithuanian": "lt", "luxembourgish": "lb", "macedonian": "mk",
    "malagasy": "mg", "malay": "ms", "malayalam": "ml", "maltese": "mt", "marathi": "mr",
    "mongolian": "mn", "nepali": "ne", "norwegian": "no", "norwegian bokmål": "nb",
    "norwegian nynorsk": "nn", "occitan": "oc", "oriya": "or", "odia": "or", "pashto": "ps",
    "persian": "fa", "farsi": "fa", "polish": "pl", "portuguese": "pt", "punjabi": "pa",
    "quechua": "qu", "romanian": "ro", "russian": "ru", "serbian": "sr", "sinhala": "si",
    "slovak": "sk", "slovenian": "sl", "somali": "so", "spanish": "es", "swahili": "sw",
    "swedish": "sv", "tajik": "tg", "tamil": "ta", "telugu": "te", "thai": "th",
    "turkish": "tr", "turkmen": "tk", "ukrainian": "uk", "urdu": "ur", "uyghur": "ug",
    "uzbek": "uz", "vietnamese": "vi", "welsh": "cy", "xhosa": "xh", "yiddish": "yi",
    "zulu": "zu",
}
_CODE = re.compile(r"^([a-z]{2})(?:[-_][a-z0-9]+)*$")


def language_code(value: str | None) -> str | None:
    """ISO 639-1 code for a language field ("English", "en", "en-US"); None if unknown."""
    if not value:
        return None
    lowered = value.strip().lower()
    match = _CODE.match(lowered)
    if match:
        return match.group(1)
    return _NAMES.get(lowered)


def detect_language(text: str, prefer: Collection[str] = ()) -> str:
    """Detected ISO 639-1 code of `text` (py3langid, offline), read on its prose.

    Code blocks, inline code and code-like lines are left out first (`prose_of`), and
    "zxx" (no linguistic content) is never the answer. When the detector is unsure (its top
    language has a normalised probability under UNSURE) and a language of `prefer` (the
    languages the filter keeps) scores at least NEAR times the top one, that language wins:
    a short English request naming a technology ("Implement quicksort in Haskell") is not
    dropped over a near tie.
    """
    ranked = [(code, p) for code, p in _identifier().rank(prose_of(text[:_DETECT_CHARS]))
              if code not in _NO_LANGUAGE]
    code, top = ranked[0]
    if code in prefer or top >= UNSURE:
        return code
    for other, probability in ranked[1:4]:
        if other in prefer and probability >= NEAR * top:
            return other
    return code


@functools.cache
def _identifier() -> Any:
    """py3langid's model with normalised probabilities, loaded once."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)

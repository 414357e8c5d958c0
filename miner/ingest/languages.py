"""Languages as ISO 639-1 codes: from a record's `language` field, else detected offline.

LMSYS-Chat-1M, WildChat and Arena battles name languages in English ("English", "Chinese");
config and artifacts use ISO 639-1 codes ("en", "zh"). Detection uses py3langid, whose model
ships inside its wheel.
"""

from __future__ import annotations

import re

_DETECT_CHARS = 1000  # the start of a prompt is enough to tell its language, and much faster

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


def detect_language(text: str) -> str:
    """Detected ISO 639-1 code of `text` (py3langid, offline)."""
    import py3langid

    code, _score = py3langid.classify(text[:_DETECT_CHARS])
    return code

"""Keyword text that keeps words whole, in every script: the c-TF-IDF tokenizer and vectorizer.

BERTopic's English preprocessing deletes every character outside [A-Za-z0-9 ] without
leaving a space, so `print(print(` became the word "printprint" and every German umlaut or
Cyrillic letter vanished. Here punctuation and code symbols end a word, letters of every script
are kept, and stop words come per language from stopwords-iso (English: scikit-learn's list,
which keeps topic words such as "computer", "research" and "test" that stopwords-iso drops).
Scripts written without spaces (Chinese, Japanese) become overlapping character bigrams.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

# A word: letters/digits of any script (no underscore), with inner apostrophes ("don't").
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
# Scripts written without spaces between words, one run per script: Han (cut into character
# bigrams), Katakana with its prolonged sound mark (loanwords, kept whole), Hiragana (particles
# and inflections, dropped).
_UNSPACED = re.compile(
    r"(?P<han>[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)|(?P<kana>[\u30a0-\u30ff]+)"
    r"|[\u3040-\u309f]+"
)
# Chinese function characters: a bigram holding one is a grammatical fragment ("的是", "我们")
# rather than a word. stopwords-iso's single-character zh entries are too broad for this
# (they include 中, 大, 人, 年), so the particles and pronouns are listed here.
_ZH_FUNCTION = frozenset("的了是在我你他她它们吗呢吧啊和与及或把被就也都而这那个有要")
# Stop-word language used when the corpus names none (or names one stopwords-iso lacks).
DEFAULT_LANGUAGE = "en"


def _has_letter(token: str) -> bool:
    return any(ch.isalpha() for ch in token)


def words(text: str) -> list[str]:
    """Lower-cased words of `text`: runs of letters/digits of any script with a letter in them.

    Punctuation, code symbols and underscores separate words; a bare number is no word; a word
    of one character is dropped except in Chinese/Japanese, whose runs become bigrams.
    """
    return [word for phrase in phrases(text) for word in phrase]


def phrases(text: str) -> list[list[str]]:
    """The words of `text` (see `words`) in phrases: a phrase ends wherever anything but white
    space stands between two words (punctuation, a symbol, a number), and every Chinese or
    Japanese token is a phrase of its own (bigrams of bigrams mean nothing)."""
    found: list[list[str]] = [[]]
    end = 0
    for match in _WORD.finditer(text.lower()):
        if text[end:match.start()].strip() or not _has_letter(match.group()):
            found.append([])
        end = match.end()
        token = match.group().replace("’", "'")
        start = 0
        for run in _UNSPACED.finditer(token):
            _add_spaced(found[-1], token[start:run.start()])
            if run.group("han"):
                found.extend([gram] for gram in _han_bigrams(run.group()))
            elif run.group("kana") and len(run.group()) >= 2:
                found.append([run.group()])
            found.append([])
            start = run.end()
        _add_spaced(found[-1], token[start:])
    return [phrase for phrase in found if phrase]


def _add_spaced(tokens: list[str], piece: str) -> None:
    if len(piece) >= 2 and _has_letter(piece):
        tokens.append(piece)


def _han_bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [] if run in _ZH_FUNCTION else [run]
    grams = [run[i:i + 2] for i in range(len(run) - 1)]
    return [g for g in grams if not set(g) & _ZH_FUNCTION]


@functools.lru_cache(maxsize=64)
def _stop_words_of(language: str) -> frozenset[str]:
    if language == "en":
        import stopwordsiso
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        # contractions ("don't", "i'm") are whole words here; scikit-learn's list lacks them
        contractions = {w.replace("’", "'") for w in stopwordsiso.stopwords("en") if "'" in w
                        or "’" in w}
        return frozenset(ENGLISH_STOP_WORDS) | frozenset(contractions)
    import stopwordsiso

    if not stopwordsiso.has_lang(language):
        return frozenset()
    return frozenset(w.lower().replace("’", "'") for w in stopwordsiso.stopwords(language))


def stop_words(languages: Iterable[str]) -> frozenset[str]:
    """Stop words of `languages` (ISO 639-1 codes) together, always with English's.

    English is always in: code, product names and English phrases appear in every corpus.
    """
    found: set[str] = set(_stop_words_of(DEFAULT_LANGUAGE))
    for language in set(languages):
        found |= _stop_words_of(language)
    return frozenset(found)


class KeywordAnalyzer:
    """A CountVectorizer `analyzer`: words without stop words, and 2..`ngram_max`-grams of
    words that stand next to each other in the text (only white space between them, no stop
    word removed between them), so every keyword is a phrase of the text it came from."""

    def __init__(self, stop: frozenset[str], ngram_max: int) -> None:
        self.stop = stop
        self.ngram_max = ngram_max

    def __call__(self, text: str) -> list[str]:
        grams: list[str] = []
        runs: list[list[str]] = []
        for phrase in phrases(text):
            run: list[str] = []
            for word in phrase:
                if word in self.stop:
                    runs.append(run)
                    run = []
                else:
                    grams.append(word)
                    run.append(word)
            runs.append(run)
        for n in range(2, self.ngram_max + 1):
            for run in runs:
                grams.extend(" ".join(run[i:i + n]) for i in range(len(run) - n + 1))
        return grams


def build_vectorizer(languages: Iterable[str], ngram_max: int) -> Any:
    """The c-TF-IDF CountVectorizer for a corpus in `languages`."""
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(analyzer=KeywordAnalyzer(stop_words(languages), ngram_max))


def corpus_languages(codes: Iterable[str | None], min_prompts: int) -> list[str]:
    """Languages with at least `min_prompts` prompts (enough to make a topic of their own),
    most frequent first: whose stop words the corpus's keywords are cleaned of."""
    counts = Counter(code.lower() for code in codes if code)
    return [code for code, n in counts.most_common() if n >= min_prompts]

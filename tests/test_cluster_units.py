"""The cluster stage's small parts: duplicate links, outliers, neighbour assignment, categories,
labels, the namer's strict parsing, the table and the config checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from miner.cluster import assign
from miner.cluster.assign import assign_by_neighbours
from miner.cluster.categories import group_topics
from miner.cluster.inputs import read_prompts, sample_rows
from miner.cluster.labels import keyword_label
from miner.cluster.namer import CATEGORY_PROMPT_FILE, load_prompt, parse_name
from miner.cluster.outliers import reassign_outliers
from miner.cluster.settings import ClusterSettings
from miner.cluster.table import format_table
from miner.config import load_config
from miner.errors import ConfigError, InputError
from miner.resources import resource_dir
from miner.run import Run


def settings(**overrides) -> ClusterSettings:
    flags = {f"cluster.{k}": v for k, v in overrides.items()}
    return ClusterSettings.from_config(load_config(None, flags)["cluster"])


def write_prompts(path, ids, dup_of, near_dup_of=None):
    frame = pd.DataFrame({"id": ids, "text": [f"text {i}" for i in ids], "dup_of": dup_of,
                          "near_dup_of": near_dup_of or [None] * len(ids)})
    frame.to_parquet(path / "prompts.parquet", index=False)
    return Run(path)


def test_duplicate_links_resolve_to_the_first_distinct_row(tmp_path):
    run = write_prompts(
        tmp_path,
        ["a", "b", "c", "d", "e", "f", "g"],
        [None, "a", None, None, "x-missing", None, "f"],
        [None, None, "b", "c", None, "g", None],      # c -> b -> a; d -> c; f <-> g is a cycle
    )
    prompts = read_prompts(run)
    assert prompts.ids[prompts.root].tolist()[:5] == ["a", "a", "a", "a", "e"]
    assert set(prompts.distinct) >= {0, 4}
    assert 1 not in prompts.distinct and 2 not in prompts.distinct
    assert all(prompts.root[prompts.root] == prompts.root)


def test_bad_ids_are_reported_with_their_row(tmp_path):
    run = write_prompts(tmp_path, ["a", "b", "a"], [None, None, None])
    with pytest.raises(InputError, match=r"prompts.parquet: row 2: id 'a' appears twice"):
        read_prompts(run)
    pd.DataFrame({"text": ["a"]}).to_parquet(tmp_path / "prompts.parquet")
    with pytest.raises(InputError, match="prompts.parquet: column 'id' is missing"):
        read_prompts(run)


def test_sample_is_seeded_sorted_and_bounded():
    candidates = np.arange(0, 1000, 3)
    first, again = sample_rows(candidates, 50, 1), sample_rows(candidates, 50, 1)
    assert np.array_equal(first, again) and len(first) == 50
    assert np.all(np.diff(first) > 0) and set(first) <= set(candidates)
    assert not np.array_equal(first, sample_rows(candidates, 50, 2))
    assert np.array_equal(sample_rows(candidates, 5000, 1), candidates)


def _unit(vectors):
    vectors = np.asarray(vectors, dtype=np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_outliers_kept_or_moved_to_the_nearest_close_centroid():
    centroids = _unit([[1, 0, 0], [0, 1, 0]])
    vectors = _unit([[1, 0.1, 0], [0.1, 1, 0], [0.2, 1, 0.1], [0, 0, 1]])
    topics = np.array([0, 1, -1, -1])
    probabilities = np.array([0.9, 0.8, 0.0, 0.0], dtype=np.float32)
    kept = reassign_outliers(vectors, topics, probabilities, centroids, settings(outliers="keep"))
    assert kept[0].tolist() == [0, 1, -1, -1]
    moved, moved_p = reassign_outliers(vectors, topics, probabilities, centroids,
                                       settings(outliers="embeddings", outlier_threshold=0.5))
    assert moved.tolist() == [0, 1, 1, -1]          # the last one is far from both topics
    assert moved_p.tolist() == pytest.approx([0.9, 0.8, 0.0, 0.0])
    assert topics.tolist() == [0, 1, -1, -1]        # inputs untouched


@pytest.mark.parametrize("exact_max", [10**6, 50])
def test_neighbour_vote_assigns_topic_share_and_position(monkeypatch, exact_max):
    monkeypatch.setattr(assign, "EXACT_MAX", exact_max)   # 50: the IVF path on small data
    rng = np.random.default_rng(0)
    centres = _unit(rng.normal(size=(3, 16)))
    fitted = _unit(np.repeat(centres, 100, axis=0) + 0.05 * rng.normal(size=(300, 16)))
    fitted_topics = np.repeat([0, 1, -1], 100)
    fitted_xy = np.repeat([[0, 0], [10, 10], [-5, 5]], 100, axis=0).astype(np.float32)
    queries = _unit(np.repeat(centres, 5, axis=0) + 0.05 * rng.normal(size=(15, 16)))
    result = assign_by_neighbours(queries, np.arange(15), fitted, fitted_topics, fitted_xy, 10, 1)
    assert result.topics.tolist() == [0] * 5 + [1] * 5 + [-1] * 5
    assert result.probabilities.tolist() == pytest.approx([1.0] * 15)
    assert result.xy[5:10] == pytest.approx(np.full((5, 2), 10.0))


def test_categories_merge_close_topics_and_number_by_size():
    centroids = _unit([[1, 0, 0], [0.95, 0.1, 0], [0, 1, 0], [0, 0.9, 0.2], [0, 0, 1]])
    sizes = np.array([10, 10, 30, 30, 5])
    groups = group_topics(centroids, sizes, 3)
    assert groups.tolist() == [1, 1, 0, 0, 2]
    assert group_topics(centroids, sizes, None).tolist() == (
        group_topics(centroids, sizes, 2).tolist()
    )
    assert group_topics(centroids[:1], sizes[:1], None).tolist() == [0]


def test_keyword_tokens_need_a_letter():
    from miner.cluster.vectorizer import words

    text = "the 001 85 python3 c++ gpt-4 2023 café x1 a"
    assert words(text) == ["the", "python3", "gpt", "café", "x1"]


def test_keyword_labels_skip_repeats():
    assert keyword_label(["python", "pandas", "python pandas", "dataframe", "csv"], 3) == (
        "python, pandas, dataframe"
    )
    assert keyword_label([], 3) == "(no keywords)"


@pytest.mark.parametrize(("content", "expected"), [
    ('{"name": "Baking And Recipes"}', "Baking And Recipes"),
    ('```json\n{"name": "Python Data Wrangling"}\n```', "Python Data Wrangling"),
    ('{"name": "  Tax\\nQuestions. "}', "Tax Questions"),
    ('{"name": "Garden\\u0000 Care"}', "Garden Care"),
    ("Baking And Recipes", None),
    ('Sure! {"name": "Baking"}', None),
    ('{"name": ""}', None),
    ('{"name": 5}', None),
    ('["Baking"]', None),
    ('{"name": "' + "x" * 61 + '"}', None),
    ('{"name": "!!!"}', None),
])
def test_namer_answers_are_parsed_strictly(content, expected):
    assert parse_name(content, 60) == expected


def test_naming_prompt_file_is_complete():
    prompt = load_prompt()
    assert prompt.namespace == "topic-name-v2"
    text = prompt.user.format(keywords="k", examples="e")
    assert "{" not in text.replace('{"name": "..."}', "")
    category = load_prompt(resource_dir("prompts") / CATEGORY_PROMPT_FILE)
    assert category.namespace == "category-name-v1"
    assert "{" not in category.user.format(topics="t").replace('{"name": "..."}', "")


def test_table_keeps_hostile_labels_on_one_line():
    info = {"topics": [
        {"topic": 0, "parent": 0, "size": 3, "share": 0.75, "label": "a\nb\x1b[31m" + "z" * 80,
         "keywords": ["k1", "k2"]},
        {"topic": -1, "parent": None, "size": 1, "share": 0.25, "label": "outliers",
         "keywords": []},
    ], "categories": []}
    lines = format_table(info).splitlines()
    assert len(lines) == 3 and "\x1b" not in lines[1] and lines[1].count("…") == 1
    assert lines[2].startswith("-1")


@pytest.mark.parametrize(("key", "value", "message"), [
    ("outliers", "drop", "'cluster.outliers' must be one of keep, embeddings"),
    ("namer", {"kind": "gpt"}, "'cluster.namer.kind' must be one of keywords, llm"),
    ("fit_sample", 10, "'cluster.fit_sample' must be an integer >= 100"),
    ("outlier_threshold", 2.0, r"'cluster.outlier_threshold' must be a number in \[-1, 1\]"),
    ("hdbscan", {"selection_method": "best"}, "selection_method"),
])
def test_bad_cluster_config_is_named(key, value, message):
    with pytest.raises(ConfigError, match=message):
        settings(**{key: value})


def test_namer_examples_are_the_most_typical_prompts():
    from miner.cluster.namer import typical_examples

    vectors = np.array([[1, 0], [0.8, 0.6], [0.6, 0.8], [0, 1], [1, 0]], dtype=np.float32)
    topics = np.array([0, 0, 0, 1, -1])
    probabilities = np.array([0.5, 1.0, 1.0, 1.0, 0.0], dtype=np.float32)
    centroids = np.array([[1, 0], [0, 1]], dtype=np.float32)
    texts = ["a", "b", "c", "d", "outlier"]
    # probability first (b and c are 1.0), then closeness to the centroid (b before c)
    assert typical_examples(vectors, topics, probabilities, centroids, texts, 2) == {
        0: ["b", "c"], 1: ["d"]}


def test_categories_are_named_from_their_topics_names_and_a_bad_answer_keeps_keywords(tmp_path):
    import json

    from miner.cluster.categories import describe_categories
    from miner.cluster.namer import LLMNamer
    from miner.run import Run
    from tests.openai_server import OpenAIServer, chat_body

    def answer(request: dict) -> dict:
        user = request["messages"][1]["content"]
        assert "broad categories" in request["messages"][0]["content"]
        if "Soup" in user:
            return chat_body("a category about soup")           # not the JSON asked for
        return chat_body(json.dumps({"name": "Programming"}))

    keywords = {0: ["python", "pandas"], 1: ["javascript", "react"], 2: ["soup", "broth"]}
    labels = {0: "Python Data Work", 1: "React Front Ends", 2: "Soup Recipes"}
    sizes = np.array([30, 10, 20])
    category_of = np.array([0, 0, 1])
    centroids = np.eye(3, dtype=np.float32)
    with OpenAIServer(chat=answer) as server:
        config = load_config(None)
        config["judges"] = {"local": {"model": "namer", "base_url": server.base_url}}
        cluster = settings()
        namer = LLMNamer.from_config(Run(tmp_path), config, settings(**{"namer.judge": "local"}))
        first = describe_categories(category_of, sizes, 60, keywords, labels, centroids,
                                    cluster, namer=namer)
        asked = list(server.requests)
        again = describe_categories(category_of, sizes, 60, keywords, labels, centroids,
                                    cluster, namer=namer)
        assert len(server.requests) == len(asked) == 2         # the second time: all cached
    assert first == again
    users = [body["messages"][1]["content"] for _, body in asked]   # sent concurrently
    user = next(text for text in users if "Python Data Work" in text)
    assert user.index("Python Data Work") < user.index("React Front Ends")   # largest first
    assert "(75%)" in user and "(25%)" in user
    assert (first[0]["label"], first[0]["label_source"]) == ("Programming", "llm")
    assert first[1]["label_source"] == "keywords" and first[1]["label"] == "soup, broth"


@pytest.mark.parametrize("text, intent", [
    ("Write a short story about a lighthouse keeper.", "Writing"),
    ("Please explain how TCP slow start works", "Explaining"),
    ("Can you fix this Python function? def f(x): return x +", "Fixing"),
    ("I want you to act as a Linux terminal.", "Role-play"),
    ("How do I reverse a linked list in C?", None),
    ("Can you write a haiku about rain?", "Writing"),
    ("could you summarize this article for me", "Summarising"),
    ("The weather today is nice and I went to the park to write.", None),
    ("", None),
])
def test_a_prompts_intent_is_its_opening_task_verb(text, intent):
    from miner.cluster.intents import prompt_intent

    assert prompt_intent(text) == intent


def test_a_topic_has_an_intent_only_when_enough_of_its_prompts_share_it():
    from miner.cluster.intents import intent_label, topic_intents

    texts = ["Write a poem about rain", "write a haiku on autumn", "Rhyme in a song",
             "A poem needs rhyme", "Summarize this poem", "Meter in old poems", "Odes"]
    topics = np.array([0, 0, 0, 1, 1, 1, 1])
    intents = topic_intents(texts, topics, 2)
    assert intents == {0: "Writing", 1: None}          # 2 of 3 write; 1 of 4 summarises
    assert intent_label(intents[0], "poem, haiku") == "Writing: poem, haiku"
    assert intent_label(None, "poem, haiku") == "poem, haiku"

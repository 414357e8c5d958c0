"""`score.strategy: cascade` through the real `openai` client and a local server whose judge
answers from meaning (a criterion is met when the prompt holds its keyword): fewer calls
than full scoring, rounds ranked from the first call, the yield stop, a selection of
judge-confirmed prompts only, a killed cascade resumed with no prompt judged twice, the same
rounds for the same seed, one-line errors."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from click.testing import CliRunner

from miner.cli import main
from miner.config import load_config
from miner.judge import estimate, run_score
from miner.llm import LLMCache
from miner.run import Run
from miner.select import run_select
from tests.cli_errors import assert_cli_error
from tests.openai_server import OpenAIServer, Reply, chat_body
from tests.test_score import kill_score_after

# benchbuilder-v1's seven criteria, each met by one keyword
KEYWORDS = ("specific", "domain", "complex", "solve", "creative", "accurate", "practical")
THEMES = ("graphs", "poetry", "taxes", "cooking", "chess", "gardens")
HARD_THEMES = {"graphs", "taxes", "chess"}
PER_THEME = 40
KILL_AT = 80   # requests: the first round (6 explored + 50 ranked) and part of the second


def corpus(seed: int = 0, per_theme: int = PER_THEME) -> list[tuple[str, int]]:
    """(text, topic) pairs: in hard themes 30% of prompts hold 6-7 keywords and the rest
    2-4; in easy themes every prompt holds 0-2 (their topic mean stays below 3)."""
    rng = np.random.default_rng(seed)
    rows = []
    for topic, theme in enumerate(THEMES):
        for n in range(per_theme):
            if theme in HARD_THEMES:
                count = int(rng.integers(6, 8)) if rng.random() < 0.3 else int(rng.integers(2, 5))
            else:
                count = int(rng.integers(0, 3))
            words = list(rng.choice(KEYWORDS, size=count, replace=False))
            rows.append((f"{theme} question {n}: " + " ".join([theme, *words, theme]), topic))
    return rows


def vectors_of(texts: list[str]) -> np.ndarray:
    """Bag-of-words vectors (hashed words, unit length): what the text says, in 64-D."""
    from sklearn.feature_extraction.text import HashingVectorizer

    matrix = HashingVectorizer(n_features=64, alternate_sign=False).transform(texts).toarray()
    return (matrix / np.linalg.norm(matrix, axis=1, keepdims=True)).astype(np.float32)


def make_run(path: Path, rows: list[tuple[str, int]]) -> Run:
    """prompts, embeddings, topics and topic_info as the upstream stages write them."""
    path.mkdir(parents=True, exist_ok=True)
    texts = [t for t, _ in rows]
    ids = [f"p{i}" for i in range(len(rows))]
    pd.DataFrame({"id": ids, "text": texts,
                  "hash": [hashlib.sha256(t.encode()).hexdigest()[:16] for t in texts],
                  "dup_of": None, "near_dup_of": None}).astype(
        {"id": str, "text": str, "hash": str}).to_parquet(path / "prompts.parquet", index=False)
    np.save(path / "embeddings.npy", vectors_of(texts))
    pd.DataFrame({"id": ids, "topic": [t for _, t in rows]}).to_parquet(
        path / "topics.parquet", index=False)
    info = {"topics": [{"topic": t, "label": theme} for t, theme in enumerate(THEMES)],
            "categories": []}
    (path / "topic_info.json").write_text(json.dumps(info))
    return Run(path)


def prompt_of(request: dict) -> str:
    user = request["messages"][-1]["content"]
    return re.search(r"<prompt>\n(.*)\n</prompt>", user, re.S).group(1)


def meaning_judge(request: dict) -> dict:
    """Criteria met are those whose keyword the prompt holds."""
    words = set(prompt_of(request).split())
    met = [n for n, word in enumerate(KEYWORDS, start=1) if word in words]
    return chat_body(json.dumps({"criteria": met}), model=request["model"],
                     prompt_tokens=100, completion_tokens=10)


def settings(url: str) -> dict:
    return {
        "score": {"judge": "llm", "strategy": "cascade",
                  "cascade": {"sample_per_topic": 1}},
        "judges": {"llm": {"model": "model-llm", "base_url": url, "concurrency": 2}},
        "select": {"top": 6, "per_topic": 2, "relax": "strict", "max_similarity": None},
        "prices": {"model-llm": {"input": 1.0, "output": 2.0}},
    }


def config_of(url: str, folder: Path) -> dict:
    """The config `settings(url)` as a config file would give it."""
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(settings(url)))
    return load_config(path)


def requested(server: OpenAIServer) -> list[str]:
    return [prompt_of(body) for path, body in server.requests if path.endswith("/completions")]


def test_cascade_judges_fewer_and_selects_only_judge_confirmed(tmp_path):
    rows = corpus()
    run = make_run(tmp_path / "run", rows)
    with OpenAIServer(chat=meaning_judge) as server:
        config = config_of(server.base_url, tmp_path)
        run_score(run, config)
        asked = requested(server)
    assert len(asked) == len(set(asked)) < len(rows) // 2   # well under full scoring's calls
    summary = json.loads(run.file("score_summary.json").read_text())
    strategy = summary["strategy"]
    assert strategy["calls"] == len(asked) and strategy["full_calls"] == len(rows)
    assert strategy["cost_usd_saved"] > 0 and strategy["predicted_passing_unjudged"] >= 0
    scores = pd.read_parquet(run.file("scores.parquet")).set_index("id")
    judged = scores[scores["source"] == "judge"]
    assert len(judged) == len(asked) and (scores["source"] == "predicted").any()
    assert scores["pass_probability"].between(0, 1).all()
    # a judged score is the keyword count: the judge's, not the predictor's
    text = dict(zip([f"p{i}" for i in range(len(rows))], [t for t, _ in rows], strict=True))
    assert all(judged.loc[i, "score"] == sum(w in text[i].split() for w in KEYWORDS)
               for i in judged.index)
    run_select(run, config)
    selected = pd.read_parquet(run.file("benchmark/selection.parquet"))
    selected = selected[selected["reason"] == "selected"]
    assert len(selected) == 6
    assert (scores.loc[selected["id"], "source"] == "judge").all()
    assert (scores.loc[selected["id"], "score"] >= 6).all()
    assert {rows[int(i[1:])][1] for i in selected["id"]} == {0, 2, 4}   # the hard themes


def many_rounds(url: str, folder: Path, **cascade: float) -> dict:
    """The config of a cascade that fills no selection quickly (top 200)."""
    tree = settings(url)
    tree["select"]["top"] = 200
    tree["score"]["cascade"].update(cascade)
    path = folder / "rounds.yaml"
    path.write_text(yaml.safe_dump(tree))
    return load_config(path)


def test_rounds_are_ranked_from_the_first_call_and_stop_when_the_yield_drops(tmp_path):
    from miner.judge import heuristic
    from miner.judge.cascade import MIN_ROUND
    from miner.judge.rubric import load_rubric

    rows = corpus(per_theme=100)
    texts = [t for t, _ in rows]
    hard = {t for t in texts if sum(w in t.split() for w in KEYWORDS) >= 6}
    run = make_run(tmp_path / "run", rows)
    with OpenAIServer(chat=meaning_judge) as server:
        run_score(run, many_rounds(server.base_url, tmp_path))
        asked = requested(server)
    strategy = json.loads(run.file("score_summary.json").read_text())["strategy"]
    rounds = strategy["rounds"]
    # rounds: the first is 6 explored (one per topic) + the floor of 50 ranked; none smaller
    assert rounds[0]["explored"] == len(THEMES) and rounds[0]["ranked"] == MIN_ROUND
    assert all(r["judged"] >= MIN_ROUND for r in rounds) and len(rounds) >= 3
    assert sum(r["judged"] for r in rounds) == len(asked) == len(set(asked))
    # ranked from the first call: the first round's ranked prompts are the offline judge's
    # best, and they pass far above the corpus's rate
    rubric = load_rubric("benchbuilder-v1")
    prior = {t: len(heuristic.judge_text(t, rubric)) for t in texts}
    first = asked[:rounds[0]["judged"]]
    bar = sorted(prior.values(), reverse=True)[MIN_ROUND - 1]
    assert sum(prior[t] >= bar for t in first) >= MIN_ROUND
    assert rounds[0]["ranked_passed"] / MIN_ROUND > 3 * len(hard) / len(texts)
    # the stop: the last round passed at under half the best round's rate, every hard
    # prompt was found, and well under half the calls of full scoring were made
    rates = [r["ranked_passed"] / r["ranked"] for r in rounds]
    assert strategy["stopped"] == "yield" and rates[-1] < 0.5 * max(rates)
    assert hard <= set(asked) and len(asked) < len(texts) / 2
    # without the yield stop the same search goes on to judge everything
    again = make_run(tmp_path / "again", rows)
    with OpenAIServer(chat=meaning_judge) as server:
        run_score(again, many_rounds(server.base_url, tmp_path, stop_yield=0.0))
        assert len(requested(server)) == len(texts)
    assert json.loads(again.file("score_summary.json").read_text())["strategy"][
        "stopped"] == "judged all"


def test_rounds_grow_from_the_first_share_to_the_largest():
    from miner.judge.cascade import MIN_ROUND, round_size, settings_from_config

    settings = settings_from_config(load_config())
    sizes = [round_size(settings, 100_000, k) for k in range(7)]
    assert sizes == [1000, 1500, 2250, 3375, 5000, 5000, 5000]
    assert round_size(settings, 300, 0) == round_size(settings, 300, 5) == MIN_ROUND


def test_cascade_is_deterministic_for_a_seed(tmp_path):
    rows = corpus()
    outputs = []
    for name in ("a", "b"):
        run = make_run(tmp_path / name, rows)
        with OpenAIServer(chat=meaning_judge) as server:
            run_score(run, config_of(server.base_url, tmp_path))
            asked = sorted(requested(server))
        table = pd.read_parquet(run.file("scores.parquet"))
        outputs.append((asked, table[["id", "source", "score", "pass_probability"]]))
    assert outputs[0][0] == outputs[1][0]
    pd.testing.assert_frame_equal(outputs[0][1], outputs[1][1])


def test_killed_cascade_resumes_without_judging_a_prompt_twice(tmp_path):
    rows = corpus(per_theme=100)
    clean = make_run(tmp_path / "clean", rows)
    config_file = tmp_path / "config.yaml"

    def write_config(url: str) -> None:
        tree = settings(url)
        tree["select"]["top"] = 200     # more than one round before the selection is filled
        config_file.write_text(yaml.safe_dump(tree))

    with OpenAIServer(chat=meaning_judge) as server:
        write_config(server.base_url)
        run_score(clean, load_config(config_file))
        uninterrupted = set(requested(server))
    assert len(uninterrupted) > KILL_AT + 2    # the kill falls inside the second round
    run = make_run(tmp_path / "run", rows)

    def slow(request):
        return Reply(200, meaning_judge(request), delay=0.05)

    with OpenAIServer(chat=slow) as server:
        write_config(server.base_url)
        kill_score_after(run, config_file, server, KILL_AT)
        before = requested(server)
        with LLMCache(run.file("judge.sqlite")) as cache:
            answered = {a.item for a in cache.answers("model-llm", "benchbuilder-v1")}
        run_score(run, load_config(config_file))
        after = requested(server)[len(before):]
    hash_of = {t: hashlib.sha256(t.encode()).hexdigest()[:16] for t, _ in rows}
    assert len(before) >= KILL_AT and after
    assert not {hash_of[t] for t in after} & answered        # nothing answered is asked again
    assert set(before) | set(after) == uninterrupted         # the same rounds as unbroken
    assert len(before) + len(after) - len(uninterrupted) <= 2  # at most the in-flight ones


def test_missing_topics_and_a_cascade_with_then_are_one_line_errors(tmp_path):
    run = make_run(tmp_path / "run", corpus())
    run.file("topics.parquet").unlink()
    runner = CliRunner()
    for args, message in [
        ([], "score.strategy cascade needs"),
        (["--then", "other", "--min-score", "5"], "cannot be combined"),
    ]:
        result = runner.invoke(main, ["score", "--run", str(run.path), "--judge", "heuristic",
                                      "--strategy", "cascade", *args])
        assert_cli_error(result, message)
        assert result.output.count("\n") == 1


def test_estimate_prices_the_cascade_budget_and_both_passes_of_then(tmp_path):
    rows = corpus()
    run = make_run(tmp_path / "run", rows)
    with OpenAIServer(chat=meaning_judge) as server:
        tree = settings(server.base_url)
        tree["score"]["max_calls"] = 50
        (tmp_path / "cascade.yaml").write_text(yaml.safe_dump(tree))
        budget = estimate(run, load_config(tmp_path / "cascade.yaml"))["cascade"]
        assert budget["sample"] == 6 and budget["max_calls"] == 50
        assert budget["full_calls"] == len(rows)
        assert budget["sample_cost_usd"] < budget["max_calls_cost_usd"] < budget["full_cost_usd"]
        tree["score"].update({"strategy": "full", "then": "strong", "min_score": 6})
        tree["judges"]["strong"] = {"model": "model-strong", "base_url": server.base_url}
        tree["prices"]["model-strong"] = {"input": 10.0, "output": 20.0}
        (tmp_path / "then.yaml").write_text(yaml.safe_dump(tree))
        config = load_config(tmp_path / "then.yaml")
        before = estimate(run, config)["then"]
        assert before["to_score"] == len(rows) and before["upper_bound"]
        run_score(run, config)
        after = estimate(run, config)
    passing = sum(sum(w in t.split() for w in KEYWORDS) >= 6 for t, _ in rows)
    assert after["to_score"] == 0 and after["then"]["cached"] == passing
    assert after["then"]["to_score"] == 0 and not after["then"]["upper_bound"]
    assert before["cost_usd"] > 0


def test_max_calls_stops_the_cascade_and_allow_predicted_opens_the_selection(tmp_path):
    rows = corpus()
    run = make_run(tmp_path / "run", rows)
    with OpenAIServer(chat=meaning_judge) as server:
        tree = settings(server.base_url)
        tree["score"]["max_calls"] = 26
        tree["select"]["top"] = 30
        (tmp_path / "budget.yaml").write_text(yaml.safe_dump(tree))
        config = load_config(tmp_path / "budget.yaml")
        run_score(run, config)
        assert len(requested(server)) == 26
    strategy = json.loads(run.file("score_summary.json").read_text())["strategy"]
    assert strategy["calls"] == 26 and strategy["stopped"] == "budget"
    run_select(run, config)
    judged_only = json.loads(run.file("benchmark/selection.json").read_text())
    assert judged_only["questions"] < 30 and judged_only["filters"]["predicted"] > 0
    tree["select"]["allow_predicted"] = True
    (tmp_path / "open.yaml").write_text(yaml.safe_dump(tree))
    run_select(run, load_config(tmp_path / "open.yaml"))
    opened = json.loads(run.file("benchmark/selection.json").read_text())
    assert opened["filters"]["predicted"] == 0
    # predicted prompts now meet the score filter on their predicted score alone
    scores = pd.read_parquet(run.file("scores.parquet"))
    predicted = scores[scores["source"] == "predicted"]
    assert opened["filters"]["low_score"] == judged_only["filters"]["low_score"] + int(
        (predicted["score"] < 6).sum())

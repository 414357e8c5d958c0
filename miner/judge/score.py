"""The score stage: judge every distinct prompt, write `scores.parquet` and a summary.

Prompt texts come from `prompts.parquet`. Rows sharing a `hash` (and rows whose `dup_of` is
set, which take their original's hash) are judged once and share the verdict. With a cascade
(`score.then` and `score.min_score`) the first judge scores everything and the second
re-scores only the prompts the first scored at `min_score` or above; each row names the
judge whose verdict it carries. With `score.strategy: cascade` (`miner.judge.cascade`) the
judge scores only what a predictor ranks likely to pass; every other prompt gets the
predictor's score with `source` `predicted` and status `predicted` (`source` is `judge`
wherever the judge answered), and every row its predicted `pass_probability` (null under
full scoring). `flagged` is the judge's answer to the rubric's flag question (a request for
harm or no task; the heuristic answers it with the hygiene rules), null where the rubric has
none or the answer did not say; select does not take a flagged prompt.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from miner.artifacts import (
    EMBEDDINGS,
    JUDGE_CACHE,
    PROMPTS,
    SCORE_SUMMARY,
    SCORES,
    TOPICS,
    prompt_roots,
    read_frame,
    read_json,
)
from miner.config import Config
from miner.console import info
from miner.engines import executor_for
from miner.errors import ConfigError, MinerError
from miner.judge.backends import BatchJudge
from miner.judge.base import MISSING, Item, Judge, PassStats, Verdict
from miner.judge.parse import OK, PARSE_FAILURES, score_of
from miner.judge.registry import resolve_judge
from miner.judge.rubric import Rubric, load_rubric
from miner.judge.usable import guarded_judge_items
from miner.llm import LLMCache
from miner.run import Run, StageOutcome, write_json

RETRYABLE = ("error", MISSING)
# the select settings the cascade aims at: a change reruns a cascade's score stage
CASCADE_SELECT_KEYS = ("top", "min_score", "min_topic_mean", "per_topic", "include_outliers",
                       "seed")


def load_items(run: Run, max_chars: int) -> tuple[Any, list[Item]]:
    """The prompts table (with `judge_hash`, the hash each row is judged under) and the
    distinct items to judge, in first-seen order, texts cut at `max_chars`."""
    frame = read_frame(run, PROMPTS, ["id", "text", "hash"], optional=["dup_of"])
    roots = prompt_roots(frame["id"].tolist(), frame["dup_of"].tolist())
    frame["judge_hash"] = frame["hash"].to_numpy()[roots]
    items: dict[str, Item] = {}
    for judge_hash, text in zip(frame["judge_hash"], frame["text"], strict=True):
        if judge_hash not in items:
            text = "" if text is None else str(text)
            items[judge_hash] = Item(judge_hash, text[:max_chars], len(text) > max_chars)
    return frame, list(items.values())


def price_of(config: Mapping[str, Any], model: str) -> dict[str, float] | None:
    """The `prices.<model>` entry ({input, output} USD per million tokens), or None."""
    entry = (config.get("prices") or {}).get(model)
    if entry is None:
        return None
    return {"input": float(entry["input"]), "output": float(entry["output"])}


def cost_usd(config: Mapping[str, Any], model: str, prompt_tokens: int,
             completion_tokens: int) -> float | None:
    """Cost of tokens at the model's price; 0 for no tokens, None when unpriced."""
    if prompt_tokens == 0 and completion_tokens == 0:
        return 0.0
    price = price_of(config, model)
    if price is None:
        return None
    return round((prompt_tokens * price["input"] + completion_tokens * price["output"]) / 1e6, 6)


def _pass_summary(config: Mapping[str, Any], judge: Judge, stats: PassStats) -> dict[str, Any]:
    data = asdict(stats)
    data["status"] = dict(sorted(stats.status.items()))
    data["errors"] = [{"error": e, "count": n} for e, n in stats.errors.most_common(5)]
    data["offline"] = judge.offline
    data["cost_usd"] = cost_usd(config, judge.model, stats.prompt_tokens,
                                stats.completion_tokens)
    data["answers_cost_usd"] = cost_usd(config, judge.model, stats.answers_prompt_tokens,
                                        stats.answers_completion_tokens)
    return data


def _score_section(config: Mapping[str, Any]) -> dict[str, Any]:
    return dict(config.get("score") or {})


def resolve_judges(config: Config) -> list[Judge]:
    """The judges of this score run: the judge, then the cascade's strong judge if any."""
    score = _score_section(config)
    judges = [resolve_judge(config, score.get("judge"))]
    if score.get("then") is not None:
        judges.append(resolve_judge(config, score["then"]))
    return judges


def cascade_survivors(
    verdicts: dict[str, Verdict], items: list[Item], rubric: Rubric, min_score: float
) -> list[Item]:
    """The items the first judge of a cascade scored at `min_score` or above."""
    return [i for i in items if verdicts[i.hash].status == OK
            and score_of(verdicts[i.hash].value, rubric) >= min_score]


PREDICTED = "predicted"   # status and source of a row scored by the predictor, not the judge


def score_table(
    frame: Any, rubric: Rubric, verdicts: dict[str, tuple[str, Verdict]],
    predicted: Mapping[str, tuple[float, float]] | None = None, predictor_of: str = "",
) -> Any:
    """The `scores.parquet` table (pyarrow): one row per prompt row, verdicts joined by the
    hash each row is judged under; `predicted` ((pass probability, score) by hash) fills the
    rows no judge answered and gives every row its pass probability."""
    import pyarrow as pa

    predicted = predicted or {}
    columns: dict[str, list[Any]] = {"id": [], "hash": [], "judge": [], "rubric": []}
    flags: list[list[bool | None]] = [[] for _ in rubric.criteria]
    scores: list[float | None] = []
    statuses: list[str] = []
    sources: list[str] = []
    chances: list[float | None] = []
    flagged: list[bool | None] = []
    for row_id, own_hash, judge_hash in zip(frame["id"], frame["hash"], frame["judge_hash"],
                                            strict=True):
        guess = predicted.get(judge_hash)
        judge_name, verdict = verdicts.get(judge_hash) or (predictor_of, Verdict(PREDICTED))
        ok = verdict.status == OK
        columns["id"].append(str(row_id))
        columns["hash"].append(str(own_hash))
        columns["judge"].append(judge_name)
        columns["rubric"].append(rubric.label)
        for number, column in enumerate(flags, start=1):
            column.append((number in verdict.value) if ok else None)
        if verdict.status == PREDICTED:
            scores.append(guess[1] if guess else None)
        else:
            scores.append(score_of(verdict.value, rubric) if ok else None)
        statuses.append(verdict.status)
        sources.append(PREDICTED if verdict.status == PREDICTED else "judge")
        chances.append(guess[0] if guess else None)
        flagged.append(verdict.flagged if ok else None)
    arrays = {name: pa.array(values, pa.string()) for name, values in columns.items()}
    for name, values in zip(rubric.criteria, flags, strict=True):
        arrays[name] = pa.array(values, pa.bool_())
    arrays["score"] = pa.array(scores, pa.float64())
    arrays["status"] = pa.array(statuses, pa.string())
    arrays["source"] = pa.array(sources, pa.string())
    arrays["pass_probability"] = pa.array(chances, pa.float64())
    arrays["flagged"] = pa.array(flagged, pa.bool_())
    return pa.table(arrays)


def write_scores(run: Run, config: Config, judges: list[Judge]) -> dict[str, Any]:
    """Judge the run's prompts with `judges` (one, or a cascade's two), write
    `scores.parquet` and `score_summary.json`; return the summary."""
    import pyarrow.parquet as pq

    started = time.perf_counter()
    score = _score_section(config)
    rubric = load_rubric(score["rubric"])
    frame, items = load_items(run, score["max_prompt_chars"])
    predicted: dict[str, tuple[float, float]] = {}
    strategy = None
    with LLMCache(run.file(JUDGE_CACHE)) as cache:
        if score.get("strategy") == "cascade":
            from miner.judge.cascade_run import score_by_cascade

            state, first_stats, strategy, predicted = score_by_cascade(
                run, config, judges[0], rubric, frame, items, cache)
            first = state.verdicts
        else:
            first, first_stats = guarded_judge_items(judges[0], rubric, items, cache,
                                                     max_chars=score["max_prompt_chars"])
        final = {h: (judges[0].name, v) for h, v in first.items()}
        passes = [_pass_summary(config, judges[0], first_stats)]
        cascade = None
        if len(judges) == 2:
            threshold = float(score["min_score"])
            survivors = cascade_survivors(first, items, rubric, threshold)
            second, second_stats = guarded_judge_items(judges[1], rubric, survivors, cache,
                                                       max_chars=score["max_prompt_chars"])
            final.update({h: (judges[1].name, v) for h, v in second.items()})
            passes.append(_pass_summary(config, judges[1], second_stats))
            cascade = {"then": judges[1].name, "min_score": threshold,
                       "passed": len(survivors), "of": len(items)}
    table = score_table(frame, rubric, final, predicted, judges[0].name)
    pq.write_table(table, run.output(SCORES))
    statuses = Counter(v.status for _, v in final.values())
    summary = {
        "judge": " then ".join(j.name for j in judges),
        "judges": [j.describe() for j in judges],
        "offline": all(j.offline for j in judges),
        "note": judges[0].note,
        "rubric": rubric.label,
        "rows": len(frame),
        "distinct_prompts": len(items),
        "scored": statuses.get(OK, 0),
        "cached": sum(p["cached"] for p in passes),
        "called": sum(p["called"] for p in passes),
        "failed": {s: n for s, n in sorted(statuses.items()) if s != OK},
        "parse_failures": sum(statuses.get(s, 0) for s in PARSE_FAILURES),
        "errors": [e for p in passes for e in p["errors"]][:5],
        "tokens": {"prompt": sum(p["prompt_tokens"] for p in passes),
                   "completion": sum(p["completion_tokens"] for p in passes)},
        "cost_usd": _total_cost(passes, "cost_usd"),
        "answers_tokens": {"prompt": sum(p["answers_prompt_tokens"] for p in passes),
                           "completion": sum(p["answers_completion_tokens"] for p in passes)},
        "answers_cost_usd": _total_cost(passes, "answers_cost_usd"),
        "cascade": cascade,
        "strategy": strategy or {"strategy": "full", "calls": len(items),
                                 "full_calls": len(items)},
        "passes": passes,
        "seconds": round(time.perf_counter() - started, 3),
    }
    write_json(run.output(SCORE_SUMMARY), summary)
    return summary


def _total_cost(passes: list[dict[str, Any]], key: str) -> float | None:
    costs = [p[key] for p in passes]
    return None if any(c is None for c in costs) else round(sum(costs), 6)


def stage_counts(summary: dict[str, Any]) -> dict[str, Any]:
    """The score summary's figures recorded in the manifest (`retryable`: failed or missing,
    redone by the next run)."""
    return {
        "judge": summary["judge"], "rubric": summary["rubric"], "rows": summary["rows"],
        "distinct_prompts": summary["distinct_prompts"], "scored": summary["scored"],
        "cached": summary["cached"], "called": summary["called"],
        "failed": summary["failed"], "cost_usd": summary["cost_usd"],
        "retryable": sum(summary["failed"].get(s, 0) for s in RETRYABLE),
    }


def run_score(run: Run, config: Config, *, force: bool = False,
              cache_only: bool = False) -> StageOutcome:
    """The score stage (skipped when prompts, rubric, judges and config are unchanged).

    A previous run that left transport errors or missing answers is redone automatically:
    its answered prompts come from the cache, so only the failures are sent again. Prompts
    left unscored by transport errors raise `MinerError` after the stage is recorded (its
    scores and summary are written), so `miner score` and `miner run` exit non-zero and
    `miner run` stops before select.
    """
    score = _score_section(config)
    rubric = load_rubric(score["rubric"])
    judges = resolve_judges(config)
    if cache_only:
        judges = [BatchJudge.wrapping(j) if j.chat is not None else j for j in judges]
    for judge in judges:     # LLM calls stay on this process's client (one limiter, one cache)
        judge.executor = executor_for(config, "score")
    previous = (run.stage_entry("score") or {}).get("counts", {})
    if previous.get("retryable"):
        info(f"score: {previous['retryable']} prompts failed or were missing last time; "
             "retrying them")
        force = True
    inputs = {PROMPTS.name: run.digest(PROMPTS)}
    if score.get("strategy") == "cascade":
        if len(judges) == 2:
            raise ConfigError("score.strategy cascade and score.then (--then) cannot be "
                              "combined: use one or the other")
        inputs.update({a.name: run.digest(a) for a in (TOPICS, EMBEDDINGS) if run.has(a)})
        stage_config_extra = {"select": {k: config["select"][k] for k in CASCADE_SELECT_KEYS}}
    else:
        stage_config_extra = {}
    stage_config = {
        **stage_config_extra,
        "request_params": [j.request_params(rubric) for j in judges],
        "score": score,
        "judges": [j.describe() for j in judges],
        "rubric": {"label": rubric.label, "digest": rubric.digest},
        "prices": {j.model: price_of(config, j.model) for j in judges},
        "cache_only": cache_only,
    }
    outcome = run.run_stage(
        "score",
        inputs=inputs,
        config=stage_config,
        outputs=[SCORES, SCORE_SUMMARY],
        body=lambda: stage_counts(write_scores(run, config, judges)),
        force=force,
    )
    summary = read_json(run, SCORE_SUMMARY)
    check_transport_failures(summary)
    check_scored(summary)
    return outcome


def check_scored(summary: Mapping[str, Any]) -> None:
    """Raise `MinerError` when prompts were there to score and none was (every answer
    unusable, or a budget that judged nothing): nothing for select to take. Prompts only
    `missing` (cache-only scoring awaiting a batch's answers) are not a failure."""
    failures = summary.get("failed") or {}
    if not summary.get("distinct_prompts") or summary.get("scored") or \
            (failures and set(failures) == {MISSING}):
        return
    failed = ", ".join(f"{status} {n}" for status, n in failures.items())
    raise MinerError(
        f"score: no prompt could be scored: 0 of {summary['distinct_prompts']} (judge "
        f"{summary['judge']}; {failed or 'nothing judged'}); select would have nothing to "
        "take. Check the judge and its rubric, or the budget (--max-calls, --max-cost)")


def check_transport_failures(summary: Mapping[str, Any]) -> None:
    """Raise `MinerError` when transport errors (or verdicts a judge never returned) left
    prompts unscored, saying how many and why."""
    failed = (summary.get("failed") or {}).get("error", 0)
    if not failed:
        return
    errors = summary.get("errors") or []
    why = errors[0]["error"] if errors else "no answer"
    raise MinerError(
        f"score: {failed} of {summary['distinct_prompts']} prompts left unscored by failed "
        f"requests (judge {summary['judge']}; first error: {' '.join(why.split())[:300]}); "
        "the answers so far are cached: rerun to retry only the failed ones"
    )

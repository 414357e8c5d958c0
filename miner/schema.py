"""Every config key of `configs/default.yaml`, declared once with what it accepts.

The defaults live in `default.yaml` (with their comments); this module says what each key
may hold, as a list of alternatives (`None`: the key may be null). `miner.config` checks
every value of every layer against it when the config loads, and the CLI takes its choices
and ranges from it. A test keeps the two files in step: every key of `default.yaml` is
declared here and every declaration is a key there.

Open maps, whose keys the user names (`judges`, `models`, `prices`, `select.quotas`,
`select.categories`), are declared by the shape of one entry under `<map>.*`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from miner.brief import brief
from miner.constraints import (
    PATH,
    Alternatives,
    Boolean,
    Interval,
    ListOf,
    Options,
    Text,
    accepted,
    describe,
)
from miner.errors import ConfigError

TEXT = Text()
COSINE = Interval(float, -1, 1)
SEED = Interval(int, 0, 2**32 - 1)  # numpy's and UMAP's seeds are unsigned 32-bit


def at_least(low: int) -> Interval:
    """An integer >= `low`."""
    return Interval(int, low)


def positive() -> Interval:
    """A number > 0."""
    return Interval(float, 0, closed="neither")


INGEST: dict[str, Alternatives] = {
    "turns": [Options("first", "joined", "each")],
    "text_field": [TEXT, None],
    "languages": [ListOf(Text("an ISO 639-1 code", "ISO 639-1 codes"))],
    "detect_language": [Boolean()],
    "min_chars": [at_least(0)],
    "max_chars": [at_least(1)],
    "drop_flagged": [Boolean()],
    "drop_redacted": [Boolean()],
    "screen": [Boolean()],
    "strip_residue": [Boolean()],
    "dedup": [Boolean()],
    "on_error": [Options("fail", "skip")],
    "max_record_bytes": [at_least(1024)],
    "hub_split": [TEXT],
}

EMBED: dict[str, Alternatives] = {
    "backend": [Options("sentence-transformers", "openai", "static")],
    "model": [TEXT],
    "precision": [Options("auto", "fp32", "bf16", "fp16")],
    "device": [Options("auto", "cpu", "cuda")],
    "batch_size": [at_least(1)],
    "gpu_batch_size": [at_least(1)],
    "batch_tokens": [at_least(1), None],
    "max_chars": [at_least(1)],
    "chunk_rows": [at_least(1)],
    "base_url_env": [TEXT],
    "api_key_env": [TEXT],
    "api_batch_size": [at_least(1)],
    "api_concurrency": [at_least(1)],
    "api_max_retries": [at_least(0)],
    "api_timeout_s": [positive()],
    "dimensions": [at_least(1), None],
    "static_dir": [PATH, None],
}

INDEX: dict[str, Alternatives] = {
    "kind": [Options("auto", "flat", "ivf", "hnsw")],
    "exact_max": [at_least(0)],
    "ivf_nlist": [at_least(1), None],
    "ivf_nprobe": [at_least(1)],
    "hnsw_m": [at_least(2)],  # FAISS's HNSW aborts at M=0 and segfaults at M=1
    "hnsw_ef_construction": [at_least(1)],
    "hnsw_ef_search": [at_least(1)],
    "seed": [SEED],
    "near_dup_threshold": [Interval(float, 0, 1, closed="right")],
    "near_dup_k": [at_least(1)],
    "near_dup_search": [Options("auto", "faiss", "exact")],
}

CLUSTER: dict[str, Alternatives] = {
    "seed": [SEED],
    "fit_sample": [at_least(100)],
    "umap.n_neighbors": [at_least(2)],
    "umap.n_components": [at_least(2)],
    "umap.min_dist": [Interval(float, 0, 1)],  # UMAP wants min_dist <= spread (1.0)
    "hdbscan.min_cluster_size": [at_least(2)],
    "hdbscan.min_samples": [at_least(1), None],
    "hdbscan.selection_method": [Options("leaf", "eom")],
    "ngram_max": [at_least(1)],
    "top_n_words": [at_least(1)],
    "outliers": [Options("keep", "embeddings")],
    "outlier_threshold": [COSINE],
    "assign": [Options("transform", "neighbours")],
    "assign_k": [at_least(1)],
    "categories": [at_least(1), None],
    "representatives": [at_least(1)],
    "label_words": [at_least(1)],
    "namer.kind": [Options("keywords", "llm")],
    "representation": [Options("ctfidf", "keybert", "keybert-mmr")],
    "namer.judge": [TEXT, None],
    "namer.examples": [at_least(1)],
    "namer.max_chars": [at_least(1)],
}

# Judge kinds whose settings are the ones below (plugins declare and check their own).
BUILTIN_JUDGES = frozenset({"openai", "batch", "heuristic", "ranker"})

# The settings of one judge: `score.judge_defaults` and every entry under `judges:`.
JUDGE: dict[str, Alternatives] = {
    "kind": [TEXT],   # a registered judge kind; a plugin kind's other settings are its own
    "model": [TEXT, None],   # kind ranker: a model file path (null: the shipped model)
    "base_url": [Text("a URL"), ListOf(Text("a URL", "URLs"), nonempty=True), None],
    "api_key_env": [TEXT],
    "temperature": [Interval(float, 0, 2)],  # the OpenAI API's range
    "max_tokens": [at_least(1)],
    "concurrency": [at_least(1)],
    "rpm": [positive(), None],
    "tpm": [positive(), None],
    "timeout_s": [positive()],
    "max_retries": [at_least(0)],
    "max_retry_after_s": [Interval(float, 0, None)],
    "max_answer_bytes": [at_least(1)],
}

SCORE: dict[str, Alternatives] = {
    "judge": [TEXT],
    "auto_model": [TEXT],
    "rubric": [Text("a rubric name or a file path")],
    "then": [TEXT, None],
    "min_score": [Interval(float), None],
    "max_prompt_chars": [at_least(1)],
    "strategy": [Options("full", "cascade")],
    "max_calls": [at_least(1), None],
    "max_cost": [Interval(float, 0), None],
    "cascade.sample_per_topic": [at_least(0)],
    "cascade.first_round": [Interval(float, 0, 1, closed="right")],
    "cascade.growth": [Interval(float, 1)],
    "cascade.max_round": [Interval(float, 0, 1, closed="right")],
    "cascade.stop_yield": [Interval(float, 0, 1)],
    **{f"judge_defaults.{key}": value for key, value in JUDGE.items()},
}

PRICE: dict[str, Alternatives] = {
    "input": [Interval(float, 0)],
    "output": [Interval(float, 0)],
}

SELECT: dict[str, Alternatives] = {
    "top": [at_least(1)],
    "min_score": [Interval(float)],
    "min_topic_mean": [Interval(float)],
    "min_topic_mean_floor": [Interval(float)],
    "per_topic": [at_least(0), None],
    "max_topic_share": [Interval(float, 0, 1, closed="right")],
    "fill": [Options("rounds", "topics")],
    "relax": [Options("auto", "strict")],
    "allow_predicted": [Boolean()],
    "include_outliers": [Boolean()],
    "max_similarity": [COSINE, None],
    "exclude_near": [ListOf(PATH)],
    "exclude_public": [Boolean()],
    "exclude_threshold": [COSINE],
    "quotas.*": [Interval(float, 0, 1, closed="right")],
    "categories.*": [TEXT, ListOf(TEXT)],
    "format": [Options("v0.1", "v2", "fastchat", "mt-bench")],
    "category": [TEXT],
    "seed": [Interval(int)],
}

REPORT: dict[str, Alternatives] = {
    "include_text": [Boolean()],
    "map_points": [at_least(0)],
    "map_topics": [at_least(0)],
    "topic_bars": [at_least(1)],
    "examples_per_topic": [at_least(0)],
    "open_cards": [at_least(0)],
    "selected_per_topic": [at_least(0)],
    "table_rows": [at_least(0)],
    "hover_chars": [at_least(1)],
    "text_chars": [at_least(1)],
    "seed": [SEED],
    "screenshot": [Boolean()],
}

VALIDATE: dict[str, Alternatives] = {
    "models": [ListOf(TEXT)],
    "baseline": [TEXT, None],
    "judge": [TEXT, None],
    "control": [Options("random", "none")],
    "rounds": [at_least(0)],
    "level": [Interval(float, 0, 1, closed="neither")],
    "seed": [SEED],
    "strong_weight": [at_least(1)],
    "answer_max_tokens": [at_least(1), None],
    "judge_max_tokens": [at_least(1)],
    "max_answer_chars": [at_least(1)],
}

ENGINE: dict[str, Alternatives] = {
    "kind": [Options("local", "ray")],
    "address": [Text("a Ray address"), None],
    "workers": [at_least(1), None],
    "cpus_per_worker": [positive()],
    "gpus_per_worker": [Interval(float, 0)],
    "local_cpus": [at_least(1), None],
    "max_retries": [at_least(0)],
    "connect_timeout_s": [positive()],
}

SECTIONS: dict[str, dict[str, Alternatives]] = {
    "engine": ENGINE, "ingest": INGEST, "embed": EMBED, "index": INDEX, "cluster": CLUSTER,
    "score": SCORE, "judges.*": JUDGE, "prices.*": PRICE, "select": SELECT, "report": REPORT,
    "models.*": JUDGE, "validate": VALIDATE,
}

# Dotted key -> its alternatives; `*` stands for a user-named entry of an open map.
KEYS: dict[str, Alternatives] = {
    f"{section}.{key}": alternatives
    for section, keys in SECTIONS.items() for key, alternatives in keys.items()
}

KeyPath = tuple[str, ...]

# Key paths whose children are user-named entries rather than fixed keys.
OPEN_MAPS = frozenset(tuple(k.split(".*")[0].split(".")) for k in KEYS if ".*" in k)


def pattern(path: KeyPath) -> str:
    """The declared key for `path`, user-named parts as `*` (judges, x, rpm -> judges.*.rpm).

    Paths are tuples because user names may hold dots (`prices: {gpt-4.1: ...}`).
    """
    parts = list(path)
    for i in range(len(parts) - 1):
        if tuple(path[: i + 1]) in OPEN_MAPS:
            parts[i + 1] = "*"
    return ".".join(parts)


def dotted(path: KeyPath) -> str:
    """`path` as one printable, bounded line ("judges.my-judge.rpm"): names are untrusted."""
    text = ".".join(path)
    if not text.isprintable():
        text = text.encode("unicode_escape").decode("ascii")
    return text if len(text) <= 120 else text[:117] + "..."


def shown(value: Any) -> str:
    """`repr(value)` cut to 80 characters, rendered with bounded work (a value may be a
    pasted file, or a YAML alias bomb: `miner.brief`)."""
    return brief(value)


def allowed(key: str) -> str:
    """What the declared key `key` ("cluster.seed", "judges.*.rpm") accepts, as a phrase."""
    return describe(KEYS[key])


def invalid(path: KeyPath, value: Any, origin: str = "config") -> ConfigError:
    """The one-line error for `value` at `path`."""
    return ConfigError(
        f"{origin}: '{dotted(path)}' must be {allowed(pattern(path))}, got {shown(value)}"
    )


def check_value(path: KeyPath, value: Any, origin: str = "config") -> Any:
    """`value` as stored at `path`, or a `ConfigError` naming the key, value and rule."""
    ok, stored = accepted(KEYS[pattern(path)], value)
    if not ok:
        raise invalid(path, value, origin)
    return stored


def _is_group(key: str) -> bool:
    return any(k.startswith(key + ".") for k in KEYS)


def known_under(path: KeyPath) -> list[str]:
    """The key names directly under `path` (("cluster",) -> ["assign", "assign_k", ...])."""
    head = pattern(path) + "." if path else ""
    return sorted({k[len(head):].split(".")[0] for k in KEYS if k.startswith(head)} - {"*"})


def check_tree(path: KeyPath, layer: Mapping[str, Any], origin: str = "config") -> dict[str, Any]:
    """Check every key and value of `layer`, the mapping found at `path` (() for a whole
    config file, ("select",) for its section); return it with values as stored.

    Unknown keys, wrong types and values out of range are one-line `ConfigError`s naming
    `origin`, the dotted key, the value and what is allowed. Keys may be missing: layers
    set only what they change.
    """
    checked: dict[str, Any] = {}
    for key, value in layer.items():
        here = (*path, str(key))
        declared = pattern(here)
        if declared in KEYS:
            checked[key] = check_value(here, value, origin)
        elif _is_group(declared):
            if value is None and declared.endswith("*"):
                value = {}  # `judges: {gpt-4o: }`: an entry that changes nothing
            if not isinstance(value, Mapping):
                raise ConfigError(f"{origin}: '{dotted(here)}' must be a mapping, "
                                  f"got {shown(value)}")
            if declared == "judges.*" and value.get("kind", "openai") not in BUILTIN_JUDGES:
                checked[key] = {"kind": check_value((*here, "kind"), value["kind"], origin),
                                **value}   # a plugin judge checks its own settings
                continue
            checked[key] = check_tree(here, value, origin)
        else:
            raise ConfigError(f"{origin}: unknown config key '{dotted(here)}' "
                              f"(known here: {', '.join(known_under(path)) or 'none'})")
    return checked


def check_rules(config: Mapping[str, Any], origin: str = "config") -> None:
    """The rules that join two keys, on the merged config."""
    ingest = config.get("ingest") or {}
    if ingest.get("min_chars", 0) > ingest.get("max_chars", float("inf")):
        raise ConfigError(
            f"{origin}: 'ingest.min_chars' ({ingest['min_chars']}) is above 'ingest.max_chars' "
            f"({ingest['max_chars']}): nothing could be kept"
        )
    score = config.get("score") or {}
    if (score.get("then") is None) != (score.get("min_score") is None):
        raise ConfigError(f"{origin}: a cascade needs both 'score.then' (--then JUDGE) and "
                          "'score.min_score' (--min-score K), or neither")
    for model, price in (config.get("prices") or {}).items():
        missing = [k for k in PRICE if k not in price]
        if missing:
            raise ConfigError(f"{origin}: '{dotted(('prices', model))}' must set both input "
                              f"and output (USD per million tokens); '{missing[0]}' is missing")
    check_quota_total((config.get("select") or {}).get("quotas") or {}, origin)


def check_quota_total(quotas: Mapping[str, float], origin: str = "config") -> None:
    """`select.quotas` shares may add up to 1 at most."""
    total = sum(quotas.values())
    if total > 1 + 1e-9:
        raise ConfigError(f"{origin}: 'select.quotas' shares add up to {total:.2f}; "
                          "at most 1 is allowed")


def choices(dotted: str) -> tuple[str, ...]:
    """The choices of a key declared as `Options` (for the CLI and the modules using them)."""
    for alternative in KEYS[dotted]:
        if isinstance(alternative, Options):
            return alternative.values
    raise KeyError(dotted)

"""Which model, at which endpoint(s), with which limits: resolving a judge name from config.

A judge name is looked up under `judges:` in the config; each entry may set any key of
`score.judge_defaults` (model, base_url, api_key_env, temperature, max_tokens, concurrency,
rpm, tpm, timeout_s, max_retries, max_retry_after_s, max_answer_bytes). A name with no
entry means "that model at
`$OPENAI_BASE_URL`" (or OpenAI itself when the variable is unset), keyed by `$OPENAI_API_KEY`.

A spec holds the *name* of the environment variable with the key, never the key itself, so
specs can be printed, fingerprinted and saved safely.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from miner import schema
from miner.redact import redact_url

OPENAI_URL = "https://api.openai.com/v1"
BASE_URL_ENV = "OPENAI_BASE_URL"
API_KEY_ENV = "OPENAI_API_KEY"

# Used when a config has no `score.judge_defaults` (e.g. a caller passing a bare dict).
FALLBACK_DEFAULTS: dict[str, Any] = {
    "kind": "openai",
    "model": None,
    "base_url": None,
    "api_key_env": API_KEY_ENV,
    "temperature": 0.0,
    "max_tokens": 512,
    "concurrency": 16,
    "rpm": None,
    "tpm": None,
    "timeout_s": 60.0,
    "max_retries": 6,
    "max_retry_after_s": 300.0,
    "max_answer_bytes": 1 << 20,
}


@dataclass(frozen=True)
class LLMSpec:
    """One chat model reachable at one or more OpenAI-compatible base URLs.

    `base_urls` are used round-robin. `api_key_env` names the environment variable that holds
    the key; the key is read only when a client is built and is never stored here.
    """

    name: str
    model: str
    base_urls: tuple[str, ...]
    api_key_env: str = API_KEY_ENV
    temperature: float = 0.0
    max_tokens: int = 512
    concurrency: int = 16
    rpm: float | None = None
    tpm: float | None = None
    timeout_s: float = 60.0
    max_retries: int = 6
    max_retry_after_s: float = 300.0
    max_answer_bytes: int = 1 << 20

    def public(self) -> dict[str, Any]:
        """The spec as a plain dict safe to save: it never holds the key, and the base URLs'
        user-info (`http://user:SECRET@host`) is redacted."""
        data = asdict(self)
        data["base_urls"] = [redact_url(url) for url in self.base_urls]
        return data

    def api_key(self) -> str | None:
        """The key from the environment, or None when the variable is unset or empty."""
        return os.environ.get(self.api_key_env) or None


def endpoint_in_environment() -> bool:
    """Whether `OPENAI_BASE_URL` or `OPENAI_API_KEY` is set (what `judge: auto` looks at)."""
    return bool(os.environ.get(BASE_URL_ENV) or os.environ.get(API_KEY_ENV))


def _defaults(config: Mapping[str, Any]) -> dict[str, Any]:
    score = config.get("score") or {}
    return {**FALLBACK_DEFAULTS, **(score.get("judge_defaults") or {})}


def resolve_endpoint(config: Mapping[str, Any], name: str) -> LLMSpec:
    """Build the `LLMSpec` for judge `name` from `config["judges"]` and the environment.

    The entry is checked against the schema (`judges.*`): unknown keys and bad values raise
    `ConfigError` naming `judges.<name>.<key>`.
    """
    defaults = _defaults(config)
    entry = schema.check_tree(("judges",), {name: (config.get("judges") or {}).get(name)})[name]
    merged = {**defaults, **entry}
    model = merged["model"] or name
    base = merged["base_url"]
    if base is None:
        base_urls: tuple[str, ...] = (os.environ.get(BASE_URL_ENV) or OPENAI_URL,)
    else:
        base_urls = (base,) if isinstance(base, str) else tuple(base)
    return LLMSpec(
        name=name,
        model=str(model),
        base_urls=tuple(u.rstrip("/") for u in base_urls),
        api_key_env=str(merged["api_key_env"]),
        temperature=float(merged["temperature"]),
        max_tokens=int(merged["max_tokens"]),
        concurrency=int(merged["concurrency"]),
        rpm=merged["rpm"],
        tpm=merged["tpm"],
        timeout_s=float(merged["timeout_s"]),
        max_retries=int(merged["max_retries"]),
        max_retry_after_s=float(merged["max_retry_after_s"]),
        max_answer_bytes=int(merged["max_answer_bytes"]),
    )

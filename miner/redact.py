"""Keeping secrets out of what miner prints and writes: API keys and a URL's user-info.

`scrub` is applied to every error line the CLI prints, every status line, every transport
error and every message a judge plugin raises: the given secrets, the values of environment
variables named like secrets (`OPENAI_API_KEY`, `HF_TOKEN`, `*_SECRET`, `*_PASSWORD`),
anything shaped like an API key (`sk-...`, a `Bearer` token) and the user-info of any URL
(`http://user:SECRET@host/v1` -> `http://***@host/v1`) are replaced by `***`. `redact_url`
does the last for a URL that is saved or listed (`score_summary.json`, `judges list`, the
run folder's `config.yaml`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from typing import Any

_KEY_LIKE = re.compile(r"\b(sk-[A-Za-z0-9_\-]{4})[A-Za-z0-9_\-]{6,}")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=\-]{8,}")
# scheme://user-info@ : the user-info may hold anything but '/', '?', '#', '@' and spaces.
_USER_INFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/?#@\s]+@")
_SECRET_NAME = re.compile(r"(?:^|_)(?:API_?KEY|KEY|TOKEN|SECRET|PASSWORD|PASSWD)(?:$|_)",
                          re.IGNORECASE)
MIN_SECRET_CHARS = 8   # shorter values ("1", "true") are too common in text to replace


def redact_url(url: str) -> str:
    """`url` with any user-info (`user:password@`) replaced by `***@`."""
    return _USER_INFO.sub(r"\1***@", url)


def redact_urls(value: Any) -> Any:
    """A copy of a JSON-like value with the user-info of every URL in its strings redacted."""
    if isinstance(value, str):
        return redact_url(value)
    if isinstance(value, dict):
        return {key: redact_urls(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_urls(item) for item in value]
    return value


def environment_secrets() -> list[str]:
    """Values of environment variables whose name says they hold a secret."""
    return [value for name, value in os.environ.items()
            if _SECRET_NAME.search(name) and len(value) >= MIN_SECRET_CHARS]


def scrub(text: str, secrets: Iterable[str | None] = (), limit: int | None = 500) -> str:
    """`text` without secrets: the given ones, the environment's, anything key-shaped and
    any URL's user-info; cut to `limit` characters (None: not cut)."""
    for secret in sorted({s for s in (*secrets, *environment_secrets()) if s},
                         key=len, reverse=True):
        text = text.replace(secret, "***")
    text = _BEARER.sub(r"\1***", _KEY_LIKE.sub(r"\1***", redact_url(text)))
    return text if limit is None else text[:limit]

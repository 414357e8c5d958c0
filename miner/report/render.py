"""Assemble the self-contained HTML page: template, embedded data, plotly.js once, strict CSP.

Safety: jinja2 autoescapes every value; data for the page's scripts travels as JSON inside
`<script type="application/json">` with `<`, `>`, `&` and the JS line separators escaped, so
no prompt can close the element; a Content-Security-Policy allows only the page's own
scripts (by hash) and no network at all, so even a missed escape could not run or fetch.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

TEMPLATES = Path(__file__).resolve().parent / "templates"
_JSON_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def script_json(value: Any) -> str:
    """JSON that is safe inside a `<script>` element: no `</script>`, `<!--` or `&` survives."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escaped in _JSON_ESCAPES.items():
        text = text.replace(char, escaped)
    return text


def _csp_hash(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


PLOTLY_BUNDLE = Path(__file__).resolve().parent / "vendor" / "plotly-basic.min.js"


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """plotly.js's basic bundle (scatter and bar, 1.2 MB against the full bundle's 4.6 MB),
    shipped in miner/report/vendor/, made safe to inline."""
    source = PLOTLY_BUNDLE.read_text("utf-8")
    # An inline script ends at the first `</script`; plotly.js holds none today, but be sure.
    return source.replace("</script", "<\\/script").replace("<!--", "<\\!--")


def content_security_policy(scripts: list[str]) -> str:
    """A policy that runs exactly `scripts` and lets nothing reach the network."""
    return "; ".join(
        [
            "default-src 'none'",
            "script-src " + " ".join(_csp_hash(s) for s in scripts),
            "style-src 'unsafe-inline'",
            "img-src data: blob:",
            "font-src data:",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_page(context: dict[str, Any], data: dict[str, Any]) -> str:
    """The full HTML page: `context` feeds the template, `data` is embedded for its scripts."""
    page_js = (TEMPLATES / "report.js").read_text("utf-8")
    scripts = [plotly_js(), page_js]
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            **context,
            css=(TEMPLATES / "report.css").read_text("utf-8"),
            csp=content_security_policy(scripts),
            data_json=script_json(data),
            plotly_js=scripts[0],
            page_js=scripts[1],
        )
    )

"""Plotly figure specifications (plain dicts that plotly.js draws in the page).

Every string that reaches plotly goes through `label`: plotly renders a few HTML-like tags
inside text (`<b>`, `<a href>`, `<br>`) and decodes a few entities, so prompt and topic text
is escaped for exactly that pseudo-HTML and shows as its literal characters.
"""

from __future__ import annotations

import math
from typing import Any

from plotly.colors import qualitative

from miner.report.samples import shorten
from miner.report.summary import OUTLIER

Figure = dict[str, Any]
PALETTE = list(qualitative.Dark24) + list(qualitative.Light24)
OUTLIER_COLOUR = "#b0b0b0"
_FONT = {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 12}


# plotly.js splits text on `<...>` tags, then decodes `&amp;`, `&lt;`, `&gt;` (and `&#NN;`,
# a few others) in what is left; it never decodes `&quot;` or `&#x27;`, which would show as
# written. So `&`, `<` and `>` are all that need escaping, each exactly once.
_PLOTLY_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def label(text: Any) -> str:
    """Text escaped for plotly's pseudo-HTML: shown as written, never read as a tag."""
    return str(text).translate(_PLOTLY_ESCAPES)


def topic_name(topic: dict[str, Any], width: int = 48) -> str:
    """A topic's display name, unique through its rank by size: `label (#3)`."""
    if topic["topic"] == OUTLIER:
        return "outliers"
    return label(f"{shorten(topic['label'], width)} (#{topic['rank']})")


def layout(height: int, **extra: Any) -> dict[str, Any]:
    return {
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 30, "b": 40},
        "font": _FONT,
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        **extra,
    }


def funnel_figure(funnel: list[dict[str, Any]]) -> Figure:
    """Prompts left after each step, from rows read to benchmark questions (horizontal bars,
    first step on top, each labelled with its count and its share of the first)."""
    first = max(funnel[0]["count"], 1) if funnel else 1
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": [label(step["step"]) for step in funnel],
                "x": [step["count"] for step in funnel],
                "text": [f"{step['count']:,} · {step['count'] / first:.0%}" for step in funnel],
                "textposition": "auto",
                "hoverinfo": "y+x",
                "marker": {"color": "#3b6ea5"},
            }
        ],
        "layout": layout(
            60 + 32 * len(funnel),
            xaxis={"visible": False},
            yaxis={"automargin": True, "autorange": "reversed"},
        ),
    }


def category_colours(categories: list[dict[str, Any]]) -> dict[Any, str]:
    """One palette colour per broad category, shared by the category and topic charts."""
    return {c["category"]: PALETTE[i % len(PALETTE)] for i, c in enumerate(categories)}


def share_figure(benchmark: dict[str, Any], limit: int) -> Figure:
    """Each topic's share of the source prompts next to its share of the benchmark."""
    shares = [s for s in benchmark["topic_shares"] if s["topic"] != OUTLIER][:limit][::-1]
    names = [topic_name(s) for s in shares]
    traces = []
    for key, name, colour in (
        ("source", "source prompts", "#9db4cf"),
        ("benchmark", "benchmark", "#c0504d"),
    ):
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": name,
                "y": names,
                "x": [s[key] for s in shares],
                "hovertemplate": "%{y}<br>%{x:.1%} of " + name + "<extra></extra>",
                "marker": {"color": colour},
            }
        )
    return {
        "data": traces,
        "layout": layout(
            100 + 30 * len(shares),
            barmode="group",
            xaxis={"tickformat": ".0%", "title": {"text": "share"}},
            yaxis={"automargin": True},
        ),
    }


def score_figure(bins: list[int], source: list[int], benchmark: list[int] | None) -> Figure:
    """Score distribution of all scored prompts and, when selected, of the benchmark."""
    traces = [("all scored prompts", source, "#9db4cf")]
    if benchmark is not None:
        traces.append(("benchmark", benchmark, "#c0504d"))
    data = []
    for name, counts, colour in traces:
        whole = sum(counts) or 1
        data.append(
            {
                "type": "bar",
                "name": name,
                "x": bins,
                "y": [c / whole for c in counts],
                "customdata": counts,
                "hovertemplate": "score %{x}: %{customdata} prompts (%{y:.1%})<extra>"
                + name
                + "</extra>",
                "marker": {"color": colour},
            }
        )
    return {
        "data": data,
        "layout": layout(
            320,
            barmode="group",
            xaxis={"title": {"text": "score"}, "dtick": 1},
            yaxis={"tickformat": ".0%", "title": {"text": "share"}},
        ),
    }


def _score_note(mean: float | None, scored: int | None) -> str:
    if mean is None:
        return "no scored prompt"
    return f"mean score {mean:.2f} ({scored:,} scored)"


def difficulty_figure(topics: list[dict[str, Any]], overall: float | None) -> Figure:
    """Each scored topic's size against its mean score; topics the benchmark drew from marked.

    A dashed line marks the mean over all scored prompts. The x axis turns logarithmic when
    topic sizes span more than 20x.
    """
    shown = [t for t in topics if t["topic"] != OUTLIER and t["mean_score"] is not None]
    groups = [
        ("topics", [t for t in shown if not t["selected"]], "circle", "#3b6ea5"),
        ("topics in the benchmark", [t for t in shown if t["selected"]], "diamond", "#c0504d"),
    ]
    most = max([t["selected"] or 0 for t in shown] + [1])
    data = []
    for name, members, symbol, colour in groups:
        if not members:
            continue
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": name,
                "x": [t["size"] for t in members],
                "y": [t["mean_score"] for t in members],
                "hovertext": [_difficulty_hover(t) for t in members],
                "hoverinfo": "text",
                "marker": {
                    "symbol": symbol,
                    "color": colour,
                    "opacity": 0.8,
                    "line": {"width": 1, "color": "#ffffff"},
                    # Benchmark topics grow with the questions taken from them.
                    "size": [9 + 13 * math.sqrt((t["selected"] or 0) / most) for t in members],
                },
            }
        )
    sizes = [t["size"] for t in shown] or [1]
    log = max(sizes) > 20 * max(min(sizes), 1)
    spec = layout(
        480,
        hovermode="closest",
        xaxis={
            "title": {"text": "prompts in the topic"},
            "type": "log" if log else "linear",
            "automargin": True,
        },
        yaxis={"title": {"text": "mean score"}, "automargin": True},
        legend={"orientation": "h", "y": 1.08},
    )
    if overall is not None:
        spec["shapes"] = [
            {
                "type": "line",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "y0": overall,
                "y1": overall,
                "line": {"dash": "dash", "color": "#5b6673", "width": 1},
            }
        ]
        spec["annotations"] = [
            {
                "xref": "paper",
                "x": 1,
                "y": overall,
                "xanchor": "right",
                "yanchor": "bottom",
                "showarrow": False,
                "text": f"all scored prompts: {overall:.2f}",
                "font": {"color": "#5b6673", "size": 11},
            }
        ]
    return {"data": data, "layout": spec}


def _difficulty_hover(topic: dict[str, Any]) -> str:
    lines = [
        f"<b>{topic_name(topic)}</b>",
        f"{topic['size']:,} prompts · {_score_note(topic['mean_score'], topic['scored'])}",
    ]
    if topic["category_label"]:
        lines.append(label(f"category: {shorten(topic['category_label'], 48)}"))
    if topic["selected"]:
        lines.append(f"{topic['selected']:,} benchmark questions")
    return "<br>".join(lines)

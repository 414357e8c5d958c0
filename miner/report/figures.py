"""Plotly figure specifications (plain dicts that plotly.js draws in the page).

Every string that reaches plotly goes through `label`: plotly renders a few HTML-like tags
inside text (`<b>`, `<a href>`, `<br>`), so prompt and topic text is entity-escaped and shows
as the literal characters.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
from plotly.colors import qualitative

from miner.report.samples import shorten, wrap_lines
from miner.report.summary import OUTLIER

Figure = dict[str, Any]
PALETTE = list(qualitative.Dark24) + list(qualitative.Light24)
OUTLIER_COLOUR = "#b0b0b0"
OTHER_COLOUR = "#7f7f7f"
_FONT = {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 12}


def label(text: Any) -> str:
    """Text escaped for plotly, which would otherwise read some of it as markup."""
    return html.escape(str(text), quote=True)


def topic_name(topic: dict[str, Any], width: int = 48) -> str:
    """A topic's display name, unique through its number: `label (#3)`."""
    if topic["topic"] == OUTLIER:
        return "outliers"
    return label(f"{shorten(topic['label'], width)} (#{topic['topic']})")


def _layout(height: int, **extra: Any) -> dict[str, Any]:
    return {
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 30, "b": 40},
        "font": _FONT,
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        **extra,
    }


def funnel_figure(funnel: list[dict[str, Any]]) -> Figure:
    """Prompts left after each step, from rows read to benchmark questions."""
    return {
        "data": [
            {
                "type": "funnel",
                "y": [label(step["step"]) for step in funnel],
                "x": [step["count"] for step in funnel],
                "texttemplate": "%{value:,} · %{percentInitial:.0%}",
                "marker": {"color": "#3b6ea5"},
            }
        ],
        "layout": _layout(60 + 45 * len(funnel), yaxis={"automargin": True}),
    }


def category_colours(categories: list[dict[str, Any]]) -> dict[Any, str]:
    """One palette colour per broad category, shared by the category and topic charts."""
    return {c["category"]: PALETTE[i % len(PALETTE)] for i, c in enumerate(categories)}


def category_figure(categories: list[dict[str, Any]]) -> Figure:
    """Broad categories by share of prompts, largest on top."""
    colours = category_colours(categories)
    ordered = categories[::-1]
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": [label(f"{shorten(c['label'], 48)} (c{c['category']})") for c in ordered],
                "x": [c["share"] for c in ordered],
                "customdata": [c["size"] for c in ordered],
                "hovertemplate": "%{y}<br>%{customdata} prompts (%{x:.1%})<extra></extra>",
                "marker": {"color": [colours[c["category"]] for c in ordered]},
            }
        ],
        "layout": _layout(
            80 + 24 * len(ordered),
            xaxis={"tickformat": ".0%", "title": {"text": "share of prompts"}},
            yaxis={"automargin": True},
        ),
    }


def topic_figure(
    topics: list[dict[str, Any]], categories: list[dict[str, Any]], limit: int
) -> Figure:
    """The largest topics by share of prompts, coloured by their broad category."""
    shown = [t for t in topics if t["topic"] != OUTLIER][:limit][::-1]
    groups: dict[Any, list[dict]] = {}
    for topic in shown:
        groups.setdefault(topic.get("category"), []).append(topic)
    colours = category_colours(categories)
    rank = {c["category"]: i for i, c in enumerate(categories)}
    data = []
    for category, members in sorted(groups.items(), key=lambda g: rank.get(g[0], len(rank))):
        first = members[0]
        name = (
            "no category"
            if category is None
            else f"c{category}: {shorten(first['category_label'] or '', 40)}"
        )
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": label(name),
                "y": [topic_name(t) for t in members],
                "x": [t["share"] for t in members],
                "customdata": [t["size"] for t in members],
                "hovertemplate": "%{y}<br>%{customdata} prompts (%{x:.1%})<extra></extra>",
                "marker": {"color": colours.get(category, "#3b6ea5")},
            }
        )
    order = [topic_name(t) for t in shown]
    return {
        "data": data,
        "layout": _layout(
            100 + 22 * len(shown),
            barmode="overlay",
            showlegend=len(groups) > 1,
            xaxis={"tickformat": ".0%", "title": {"text": "share of prompts"}},
            yaxis={"automargin": True, "categoryorder": "array", "categoryarray": order},
        ),
    }


def map_figure(
    rows: Any,
    positions: np.ndarray,
    texts: list[str] | None,
    topics: list[dict[str, Any]],
    config: dict[str, Any],
) -> Figure:
    """Prompts on the cluster's 2-D map, one colour per large topic, hover showing the prompt."""
    names = {t["topic"]: topic_name(t, 40) for t in topics}
    big = [t["topic"] for t in topics if t["topic"] != OUTLIER][: config["map_topics"]]
    topic_of = rows["topic"].to_numpy()[positions].astype(int)
    xs = np.round(rows["x"].to_numpy(dtype=float)[positions], 3)
    ys = np.round(rows["y"].to_numpy(dtype=float)[positions], 3)
    ids = rows["id"].to_numpy()[positions]
    hovers = []
    for i, topic in enumerate(topic_of):
        lines = [f"<b>{names.get(topic, label(f'topic {topic}'))}</b>"]
        if texts is not None:
            lines += [label(line) for line in wrap_lines(shorten(texts[i], config["hover_chars"]))]
        else:
            lines.append(label(ids[i]))
        hovers.append("<br>".join(lines))
    hovers_arr = np.array(hovers, dtype=object)
    groups = [(t, names[t], PALETTE[i % len(PALETTE)]) for i, t in enumerate(big)]
    data = []
    in_big = np.isin(topic_of, big)
    for topic, name, colour in groups:
        data.append(_points(topic_of == topic, name, colour, xs, ys, hovers_arr))
    data.append(
        _points(~in_big & (topic_of != OUTLIER), "other topics", OTHER_COLOUR, xs, ys, hovers_arr)
    )
    data.append(_points(topic_of == OUTLIER, "outliers", OUTLIER_COLOUR, xs, ys, hovers_arr))
    return {
        "data": [trace for trace in data if trace["x"]],
        "layout": _layout(
            640,
            hovermode="closest",
            legend={"itemsizing": "constant"},
            xaxis={"visible": False},
            yaxis={"visible": False, "scaleanchor": "x"},
        ),
    }


def _points(mask: np.ndarray, name: str, colour: str, xs, ys, hovers) -> dict[str, Any]:
    return {
        "type": "scatter",
        "mode": "markers",
        "name": name,
        "x": xs[mask].tolist(),
        "y": ys[mask].tolist(),
        "hovertext": hovers[mask].tolist(),
        "hoverinfo": "text",
        "marker": {"size": 5, "opacity": 0.7, "color": colour},
    }


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
        "layout": _layout(
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
        "layout": _layout(
            320,
            barmode="group",
            xaxis={"title": {"text": "score"}, "dtick": 1},
            yaxis={"tickformat": ".0%", "title": {"text": "share"}},
        ),
    }

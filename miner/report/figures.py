"""Plotly figure specifications (plain dicts that plotly.js draws in the page).

Every string that reaches plotly goes through `label`: plotly renders a few HTML-like tags
inside text (`<b>`, `<a href>`, `<br>`) and decodes a few entities, so prompt and topic text
is escaped for exactly that pseudo-HTML and shows as its literal characters.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from plotly.colors import qualitative, sequential

from miner.report.samples import shorten, wrap_lines
from miner.report.summary import OUTLIER

Figure = dict[str, Any]
PALETTE = list(qualitative.Dark24) + list(qualitative.Light24)
OUTLIER_COLOUR = "#b0b0b0"
OTHER_COLOUR = "#7f7f7f"
_FONT = {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 12}


# plotly.js splits text on `<...>` tags, then decodes `&amp;`, `&lt;`, `&gt;` (and `&#NN;`,
# a few others) in what is left; it never decodes `&quot;` or `&#x27;`, which would show as
# written. So `&`, `<` and `>` are all that need escaping, each exactly once.
_PLOTLY_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def label(text: Any) -> str:
    """Text escaped for plotly's pseudo-HTML: shown as written, never read as a tag."""
    return str(text).translate(_PLOTLY_ESCAPES)


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


# Mean difficulty score, low to high: pale yellow to dark red.
DIFFICULTY_SCALE = [
    [i / (len(sequential.YlOrRd) - 1), colour] for i, colour in enumerate(sequential.YlOrRd)
]
NO_SCORE_COLOUR = "#d9d9d9"


def _score_note(mean: float | None, scored: int | None) -> str:
    if mean is None:
        return "no scored prompt"
    return f"mean score {mean:.2f} ({scored:,} scored)"


def _tree_nodes(topics: list[dict[str, Any]], categories: list[dict[str, Any]]) -> list[dict]:
    """The treemap's boxes, parents first: all prompts, categories, then topics and outliers."""
    palette = category_colours(categories)
    whole = [t for t in topics if t["size"]]
    nodes = [
        {
            "id": "all",
            "parent": "",
            "label": "all prompts",
            "own": 0,
            "size": sum(t["size"] for t in whole),
            "share": round(sum(t["share"] for t in whole), 6),
        }
    ]
    placed = set()
    for category in categories:
        members = [t for t in topics if t["category"] == category["category"] and t["size"]]
        if not members:
            continue
        placed.add(category["category"])
        nodes.append(
            {
                "id": f"c{category['category']}",
                "parent": "all",
                "label": label(f"{shorten(category['label'], 40)} (c{category['category']})"),
                "own": 0,
                "size": sum(t["size"] for t in members),
                "share": round(sum(t["share"] for t in members), 6),
                "mean": category.get("mean_score"),
                "scored": category.get("scored"),
                "colour": palette[category["category"]],
            }
        )
    for topic in topics:
        if not topic["size"]:
            continue
        outlier = topic["topic"] == OUTLIER
        inside = not outlier and topic["category"] in placed
        nodes.append(
            {
                "id": f"t{topic['topic']}",
                "parent": f"c{topic['category']}" if inside else "all",
                "label": topic_name(topic),
                "own": topic["size"],
                "size": topic["size"],
                "share": topic["share"],
                "mean": topic["mean_score"],
                "scored": topic["scored"],
                "colour": OUTLIER_COLOUR
                if outlier
                else palette.get(topic["category"], OTHER_COLOUR),
            }
        )
    return nodes


def _difficulty_marker(means: list[float]) -> dict[str, Any]:
    """Colour-scale settings spanning the topics' mean scores, with a titled colour bar."""
    low, high = min(means), max(means)
    return {
        "colorscale": DIFFICULTY_SCALE,
        "cmin": low,
        "cmax": high if high > low else low + 1,
        "showscale": True,
        "colorbar": {"title": {"text": "mean score"}, "thickness": 14},
    }


def treemap_figure(
    topics: list[dict[str, Any]], categories: list[dict[str, Any]], scores: dict[str, Any] | None
) -> Figure:
    """Broad categories holding their topics, each box sized by its share of prompts.

    Coloured by mean score when the run is scored (grey where a box has no scored prompt),
    else by category in the bar charts' colours. Outliers are one box of their own.
    """
    nodes = _tree_nodes(topics, categories)
    if scores:
        nodes[0].update(mean=scores["mean"], scored=scores["scored"])
    means = [t["mean_score"] for t in topics if t["mean_score"] is not None]
    marker: dict[str, Any] = {"line": {"width": 1, "color": "#ffffff"}}
    if means:
        # Numbers take the colour scale; a colour string (no scored prompt) is kept as it is.
        marker["colors"] = [NO_SCORE_COLOUR if n.get("mean") is None else n["mean"] for n in nodes]
        marker.update(_difficulty_marker(means))
    else:
        marker["colors"] = [n.get("colour", "#ffffff") for n in nodes]
    return {
        "data": [
            {
                "type": "treemap",
                "ids": [n["id"] for n in nodes],
                "parents": [n["parent"] for n in nodes],
                "labels": [n["label"] for n in nodes],
                "values": [n["own"] for n in nodes],
                "branchvalues": "remainder",
                "customdata": [
                    [n["size"], n["share"], _score_note(n.get("mean"), n.get("scored"))]
                    for n in nodes
                ],
                "texttemplate": "%{label}<br>%{customdata[1]:.1%}",
                "hovertemplate": "<b>%{label}</b><br>%{customdata[0]:,} prompts"
                " (%{customdata[1]:.1%})<br>%{customdata[2]}<extra></extra>",
                "marker": marker,
                "tiling": {"pad": 2},
            }
        ],
        "layout": _layout(600, margin={"l": 10, "r": 10, "t": 30, "b": 10}),
    }


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
    layout = _layout(
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
        layout["shapes"] = [
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
        layout["annotations"] = [
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
    return {"data": data, "layout": layout}


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

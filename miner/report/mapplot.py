"""The labelled map of prompts, in the manner of datamapplot, drawn with plotly's basic bundle.

Points are coloured by broad category; category names are written large and the largest
topics' names small at the middle of their members, placed greedily so no two labels
overlap; there is no legend. Prompts HDBSCAN put in no cluster are drawn faint: grey when
they stayed outliers, in their topic's colour when the outlier step moved them there.
(datamapplot itself needs deck.gl and web fonts from a CDN, which this offline page with its
strict Content-Security-Policy cannot load: see docs/report.md.)

Hover text is built in the page from the shared prompt store (`customdata` holds each
point's index into it), so a prompt's text is embedded once for the map and the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from miner.report.figures import OUTLIER_COLOUR, Figure, category_colours, label, layout
from miner.report.samples import shorten
from miner.report.summary import OUTLIER

NO_CATEGORY_COLOUR = "#6b7c93"
# The plot's drawing area in pixels at the report's width, for keeping labels apart.
PLOT_WIDTH, PLOT_HEIGHT = 1140, 680
CATEGORY_FONT, TOPIC_FONT = 16, 11
CHAR_WIDTH = 0.62           # average glyph width of a (bold) sans-serif font, in font sizes


@dataclass
class Box:
    """A label's extent in pixels around its centre."""

    x: float
    y: float
    half_w: float
    half_h: float

    def overlaps(self, other: Box) -> bool:
        return (abs(self.x - other.x) < self.half_w + other.half_w
                and abs(self.y - other.y) < self.half_h + other.half_h)


def _darker(colour: str, factor: float = 0.6) -> str:
    """`#rrggbb` darkened toward black, for label text readable on light points."""
    value = colour.lstrip("#")
    red, green, blue = (int(value[i:i + 2], 16) for i in (0, 2, 4))
    return "#{:02x}{:02x}{:02x}".format(*(int(c * factor) for c in (red, green, blue)))


def _trace(mask: np.ndarray, xs: np.ndarray, ys: np.ndarray, store: np.ndarray, colour: str,
           opacity: float, size: int, moved: bool) -> dict[str, Any]:
    return {
        "type": "scatter",
        "mode": "markers",
        "x": xs[mask].tolist(),
        "y": ys[mask].tolist(),
        "customdata": store[mask].tolist(),
        "meta": {"moved": moved},
        "hoverinfo": "text",
        "showlegend": False,
        "marker": {"size": size, "opacity": opacity, "color": colour, "line": {"width": 0}},
    }


def _centre(xs: np.ndarray, ys: np.ndarray, core: np.ndarray, members: np.ndarray):
    """Median position of a group's core members (all members when it has none)."""
    chosen = members & core if (members & core).any() else members
    return float(np.median(xs[chosen])), float(np.median(ys[chosen]))


def _place(candidates: list[dict[str, Any]], scale: float) -> list[dict[str, Any]]:
    """Annotations for `candidates` in order, skipping any that would overlap one placed."""
    placed: list[Box] = []
    notes = []
    for item in candidates:
        size = item["size"]
        box = Box(item["x"] * scale, -item["y"] * scale,
                  len(item["text"]) * size * CHAR_WIDTH / 2 + 4, size * 0.75 + 2)
        if any(box.overlaps(other) for other in placed):
            continue
        placed.append(box)
        text = label(item["text"])
        notes.append({
            "x": round(item["x"], 3), "y": round(item["y"], 3),
            "text": f"<b>{text}</b>" if size >= CATEGORY_FONT else text,
            "showarrow": False, "font": {"size": size, "color": item["colour"]},
            "bgcolor": "rgba(255,255,255,0.65)", "borderpad": 1,
            "captureevents": False,
        })
    return notes


def map_figure(rows: Any, positions: np.ndarray, store: np.ndarray, topics: list[dict[str, Any]],
               categories: list[dict[str, Any]], config: dict[str, Any]) -> Figure:
    """Prompts at their 2-D map positions, coloured by category, labelled in two levels.

    `store` holds, for each of `positions`, its index in the page's prompt store.
    """
    topic_of = rows["topic"].to_numpy()[positions].astype(int)
    xs = np.round(rows["x"].to_numpy(dtype=float)[positions], 3)
    ys = np.round(rows["y"].to_numpy(dtype=float)[positions], 3)
    if "probability" in rows:
        core = rows["probability"].to_numpy(dtype=float)[positions] > 0
    else:
        core = np.ones(len(positions), dtype=bool)
    by_topic = {t["topic"]: t for t in topics}
    colours = category_colours(categories)
    category_of = np.array([by_topic.get(t, {}).get("category") for t in topic_of], dtype=object)
    outlier = topic_of == OUTLIER
    groups = [(c["category"], colours[c["category"]]) for c in categories]
    groups.append((None, NO_CATEGORY_COLOUR))
    members = [~outlier & np.array([c == category for c in category_of], dtype=bool)
               for category, _ in groups]
    # Faint first, so the points HDBSCAN clustered are drawn on top of them.
    data = [_trace(outlier, xs, ys, store, OUTLIER_COLOUR, 0.25, 3, False)]
    data += [_trace(inside & ~core, xs, ys, store, colour, 0.18, 4, True)
             for inside, (_, colour) in zip(members, groups, strict=True)]
    data += [_trace(inside & core, xs, ys, store, colour, 0.7, 5, False)
             for inside, (_, colour) in zip(members, groups, strict=True)]
    span = max(np.ptp(xs) if len(xs) else 1, 1e-6), max(np.ptp(ys) if len(ys) else 1, 1e-6)
    scale = min(PLOT_WIDTH / span[0], PLOT_HEIGHT / span[1]) / 1.1   # plotly pads the range
    candidates = []
    for category in categories:
        members = np.isin(topic_of, category["topics"])
        if members.any():
            x, y = _centre(xs, ys, core, members)
            candidates.append({"x": x, "y": y, "size": CATEGORY_FONT,
                               "text": shorten(category["label"], 30),
                               "colour": _darker(colours[category["category"]], 0.45)})
    named = [t for t in topics if t["topic"] != OUTLIER and t["size"]][: config["map_topics"]]
    for topic in named:
        members = topic_of == topic["topic"]
        if members.any():
            x, y = _centre(xs, ys, core, members)
            colour = colours.get(topic.get("category"), NO_CATEGORY_COLOUR)
            candidates.append({"x": x, "y": y, "size": TOPIC_FONT,
                               "text": shorten(topic["label"], 28), "colour": _darker(colour)})
    return {
        "data": [trace for trace in data if trace["x"]],
        "layout": layout(
            720,
            hovermode="closest",
            showlegend=False,
            annotations=_place(candidates, scale),
            margin={"l": 4, "r": 4, "t": 4, "b": 4},
            xaxis={"visible": False},
            yaxis={"visible": False, "scaleanchor": "x"},
        ),
    }

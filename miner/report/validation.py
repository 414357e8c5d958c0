"""The report's validation section, from validation.json: each model's rating and interval on
the benchmark beside the control sample, separability, reference agreement and the win-rate
gap per score level. Self-contained HTML (every value escaped), no script."""

from __future__ import annotations

from html import escape
from typing import Any

from markupsafe import Markup

from miner.artifacts import VALIDATION, read_json
from miner.run import Run


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def _num(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _bar(row: dict[str, Any], low: float, high: float) -> str:
    """An interval drawn as a bar on the shared rating axis (inline SVG)."""
    span = max(high - low, 1e-9)
    x1, x2 = (row["lower"] - low) / span * 200, (row["upper"] - low) / span * 200
    x = (row["rating"] - low) / span * 200
    return (f'<svg width="210" height="12" role="img" aria-label="interval">'
            f'<line x1="{x1 + 5:.1f}" x2="{x2 + 5:.1f}" y1="6" y2="6" stroke="#4c78a8" '
            f'stroke-width="4"/><circle cx="{x + 5:.1f}" cy="6" r="3" fill="#000"/></svg>')


def _table(block: dict[str, Any], low: float, high: float) -> str:
    rows = "".join(
        f"<tr><td>{escape(r['model'])}</td><td>{r['rating']:.1f}</td>"
        f"<td>{r['lower']:.1f} – {r['upper']:.1f}</td><td>{_bar(r, low, high)}</td>"
        f"<td>{_pct(r['win_rate'])} ({_pct(r['win_rate_lower'])} – "
        f"{_pct(r['win_rate_upper'])})</td><td>{r['games']:,}</td></tr>"
        for r in block["ratings"])
    reference = block.get("reference") or {}
    ref = ""
    if reference.get("agreement") is not None:
        ref = (f"<p>Against the reference ({len(reference['models'])} models, "
               f"{reference['pairs']} pairs): agreement with confidence "
               f"{_pct(reference['agreement'])}, Spearman {_num(reference['spearman'])}, "
               f"Kendall {_num(reference['kendall'])}, pair-rank Brier "
               f"{_num(reference['brier'])}.</p>")
    return (f"<p>{block['questions']:,} questions, {block['games']:,} games; separability "
            f"<strong>{_pct(block['separability'])}</strong>.</p>{ref}"
            "<table><thead><tr><th>model</th><th>rating</th><th>interval</th><th></th>"
            "<th>win rate vs baseline</th><th>games</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>")


def render_validation(result: dict[str, Any]) -> Markup:
    """The section's HTML for one validation.json."""
    blocks = [(name, result[name]) for name in ("benchmark", "control") if result.get(name)]
    rated = [r for _, b in blocks for r in b["ratings"]]
    low = min((r["lower"] for r in rated), default=0.0)
    high = max((r["upper"] for r in rated), default=1.0)
    parts = [f"<h3>{'Benchmark' if name == 'benchmark' else 'Random control sample'}</h3>"
             + _table(block, low, high) for name, block in blocks]
    difficulty = result.get("difficulty")
    if difficulty and difficulty["levels"]:
        cells = "".join(
            f"<tr><td>{level['level']:g}</td><td>{level['questions']:,}</td>"
            f"<td>{_pct(level['strongest_win_rate'])}</td>"
            f"<td>{_pct(level['weakest_win_rate'])}</td><td>{_pct(level['gap'])}</td></tr>"
            for level in difficulty["levels"])
        parts.append(
            f"<h3>Win-rate gap per score level</h3><p class=\"muted\">Win rate against the "
            f"baseline of the strongest ({escape(difficulty['strongest'])}) and the weakest "
            f"({escape(difficulty['weakest'])}) model on the questions at each score level: a "
            "harder level should separate more.</p><table><thead><tr><th>score</th>"
            "<th>questions</th><th>strongest</th><th>weakest</th><th>gap</th></tr></thead>"
            f"<tbody>{cells}</tbody></table>")
    judge = result.get("judge") or {}
    head = (f"<p class=\"muted\">{len(result['models'])} models judged against "
            f"{escape(result['baseline'])} in both orders"
            + (f" by {escape(judge['name'])}" if judge else "")
            + "; intervals are bootstrap "
            f"{_pct(result['settings']['level'])} intervals of Bradley-Terry ratings.</p>")
    return Markup(f'<section id="validation"><h2>Validation</h2>{head}{"".join(parts)}'
                  "</section>")


def validation_section(run: Run) -> Markup:
    """The section for the run's validation.json, or nothing when there is none."""
    if not run.has(VALIDATION):
        return Markup("")
    return render_validation(read_json(run, VALIDATION))

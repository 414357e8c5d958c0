"""The report stage without a browser: numbers, missing artifacts, escaping, --no-text, CLI."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from miner.cli import main
from miner.config import load_config
from miner.report import figures, run_report
from miner.report.render import script_json
from miner.run import Run
from tests.cli_errors import assert_cli_error
from tests.test_report_fixtures import (
    CRITERIA,
    HOSTILE,
    MOVED,
    build_large_run,
    build_run,
    sentinel,
)

SCRIPT_DATA = re.compile(r'<script type="application/json" id="miner-data">(.*?)</script>', re.S)


def _report(path: Path, **section) -> tuple[str, dict]:
    config = load_config(overrides={f"report.{k}": v for k, v in section.items()})
    run_report(Run(path), config, force=True)
    html = (path / "report" / "index.html").read_text("utf-8")
    return html, json.loads((path / "report" / "summary.json").read_text("utf-8"))


def _embedded(html: str) -> dict:
    return json.loads(SCRIPT_DATA.search(html).group(1))


def _table(data: dict, column: str) -> list:
    """A column of the prompt table, in table order (the page stores each prompt once)."""
    return [data["prompts"][column][k] for k in data["table"]]


def _map_points(data: dict) -> int:
    return sum(len(trace["x"]) for trace in data["figures"]["map"]["data"])


@pytest.fixture(scope="module")
def full_run(tmp_path_factory) -> Path:
    return build_run(tmp_path_factory.mktemp("report") / "run")


def test_numbers_match_the_artifacts(full_run):
    html, summary = _report(full_run)
    prompts = pd.read_parquet(full_run / "prompts.parquet")
    topics = pd.read_parquet(full_run / "topics.parquet")
    scores = pd.read_parquet(full_run / "scores.parquet")
    joined = topics.merge(scores, on="id")
    questions = (full_run / "benchmark" / "question.jsonl").read_text().splitlines()
    selection = pd.read_parquet(full_run / "benchmark" / "selection.parquet")
    taken = set(selection.loc[selection["reason"] == "selected", "id"])

    assert summary["prompts"] == {"total": 180, "exact_duplicates": 1, "near_duplicates": 1}
    assert summary["missing"] == []
    steps = [s["step"] for s in summary["funnel"]]
    assert steps[:4] == ["read", "parsed", "kept: min_chars", "kept: dedup"]
    assert summary["funnel"][-1] == {"step": "benchmark questions", "count": len(questions)}
    counts = [s["count"] for s in summary["funnel"]]
    assert counts == sorted(counts, reverse=True), "the funnel never widens"
    texts = prompts["dup_of"].isna()                  # distinct texts: exact duplicates once
    score_of = scores.set_index("id")["score"]
    scored = int(score_of.loc[prompts.loc[texts, "id"]].notna().sum())
    candidates = texts & prompts["near_dup_of"].isna()
    candidates_scored = int(score_of.loc[prompts.loc[candidates, "id"]].notna().sum())
    assert summary["funnel"][-3:-1] == [
        {"step": "scored", "count": scored},
        {"step": "not a near-duplicate", "count": candidates_scored},
    ]
    # One count of scored prompts everywhere: funnel, scores, judge, the page's card.
    assert summary["scores"]["scored"] == summary["judge"]["scored"] == scored
    assert f'<span class="big">{scored:,}</span><span>scored prompts' in html
    distinct_scores = scores[scores["id"].isin(prompts.loc[texts, "id"])]
    assert summary["scores"]["mean"] == pytest.approx(distinct_scores["score"].mean(), abs=1e-4)

    joined = joined[joined["id"].isin(prompts.loc[texts, "id"])]
    by_topic = {t["topic"]: t for t in summary["topics"]}
    assert set(by_topic) == set(topics["topic"])
    assert [t["topic"] for t in summary["topics"]][-1] == -1, "outliers come last"
    ranked = [t for t in summary["topics"] if t["topic"] != -1]
    assert [t["rank"] for t in ranked] == list(range(1, len(ranked) + 1))
    assert [t["size"] for t in ranked] == sorted((t["size"] for t in ranked), reverse=True)
    for topic, group in joined.groupby("topic"):
        entry = by_topic[topic]
        assert entry["size"] == (topics["topic"] == topic).sum()
        assert entry["scored"] == group["score"].notna().sum()
        assert entry["mean_score"] == pytest.approx(group["score"].mean(), abs=1e-4)
        assert sum(entry["score_histogram"]) == group["score"].notna().sum()
        ok = group[group["score"].notna()]
        for name in CRITERIA:
            assert entry["criteria"][name] == pytest.approx(ok[name].astype(float).mean(), abs=1e-4)
        assert entry["selected"] == len(set(group["id"]) & taken)
        moved = (topics.loc[topics["topic"] == topic, "probability"] == 0).mean()
        assert entry["from_outliers"] == (None if topic == -1 else pytest.approx(moved, abs=1e-4))
    assert by_topic[0]["from_outliers"] == pytest.approx(len(MOVED) / by_topic[0]["size"], abs=1e-4)
    assert by_topic[0]["category_label"] == "category 0"
    assert summary["categories"][0]["topics"] == [0, 1]
    for category in summary["categories"]:
        members = joined[joined["topic"].isin(category["topics"])]["score"]
        assert category["scored"] == members.notna().sum()
        assert category["mean_score"] == pytest.approx(members.mean(), abs=1e-4)

    bench = summary["benchmark"]
    assert bench["matched_prompts"] == len(taken) == len(questions)
    assert sum(s["benchmark"] for s in bench["topic_shares"]) == pytest.approx(1.0)
    assert bench["reasons"]["selected"] == len(taken)
    assert bench["mean_score"] == pytest.approx(
        scores.loc[scores["id"].isin(taken), "score"].mean(), abs=1e-4
    )
    judge = summary["judge"]
    assert judge["heuristic"] is True and judge["name"] == "heuristic"
    assert judge["by_status"] == distinct_scores["status"].value_counts().to_dict()
    assert judge["failed"] == int(distinct_scores["score"].isna().sum())
    assert judge["tokens"] == {"prompt": 12345, "completion": 678}

    assert 'id="heuristic-banner"' in html
    assert "offline heuristic judge: &lt;i&gt;no endpoint&lt;/i&gt;" in html
    assert 'id="shortfall"' in html
    data = _embedded(html)
    ids = _table(data, "id")
    assert len(ids) == 180 and set(ids[: len(taken)]) == taken
    assert _map_points(data) == 180
    assert len(data["prompts"]["id"]) == 180, "each prompt stored once for map and table"
    assert 'href="../benchmark/question.jsonl"' in html


def test_only_prompts_names_what_is_missing(tmp_path):
    run = build_run(tmp_path / "run", artifacts=())
    html, summary = _report(run)
    assert summary["topics"] == [] and summary["judge"] is None and summary["benchmark"] is None
    assert set(summary["missing"]) == {
        "funnel.json",
        "topics.parquet",
        "topic_info.json",
        "scores.parquet",
        "score_summary.json",
        "benchmark/selection.parquet",
        "benchmark/question.jsonl",
        "benchmark/selection.json",
    }
    assert 'id="missing-banner"' in html and "miner cluster" in html and "miner score" in html
    assert 'id="topic-cards"' not in html and 'data-figure="map"' not in html
    assert summary["funnel"][-2:] == [{"step": "distinct texts", "count": 179},
                                      {"step": "not a near-duplicate", "count": 178}]
    assert len(_embedded(html)["table"]) == 180
    assert "../benchmark/question.jsonl" not in html


@pytest.mark.parametrize(
    "artifacts",
    [
        ("scores",),
        ("select",),
        ("topics",),
        ("summary",),
        ("topics", "select"),
        ("funnel", "scores"),
    ],
)
def test_any_subset_of_artifacts_renders(tmp_path, artifacts):
    run = build_run(tmp_path / "run", hostile=False, artifacts=artifacts)
    html, summary = _report(run)
    page = re.sub(r"<script\b.*?</script>", "", html, flags=re.S)
    assert "None" not in page and "nan" not in page.lower().split()
    assert ('id="topic-cards"' in page) == ("topics" in artifacts)
    assert (summary["benchmark"] is not None) == ("select" in artifacts)
    assert ('id="judge"' in page) == bool({"scores", "summary"} & set(artifacts))


def test_scores_without_summary_still_show_the_judge(tmp_path):
    run = build_run(tmp_path / "run", artifacts=("topics", "scores"))
    _, summary = _report(run)
    assert summary["judge"]["source"] == "scores.parquet"
    assert summary["judge"]["name"] == "heuristic" and summary["judge"]["heuristic"]
    assert summary["judge"]["rubric"] == "benchbuilder-v1"
    assert summary["judge"]["tokens"] is None


def test_artifacts_covering_part_of_the_prompts(tmp_path):
    """Prompts ingested after clustering or scoring have no topic or score yet: still a report."""
    run = build_run(tmp_path / "run", hostile=False)
    for name in ("topics.parquet", "scores.parquet"):
        frame = pd.read_parquet(run / name)
        frame.iloc[10:].to_parquet(run / name)
    html, summary = _report(run)
    assert sum(t["size"] for t in summary["topics"]) == 170
    assert summary["scores"]["not_judged"] == 9, "distinct texts: p00005 repeats p00004"
    data = _embedded(html)
    table = zip(_table(data, "id"), _table(data, "topic"), strict=True)
    unplaced = [i for i, t in table if t is None]
    assert sorted(unplaced) == [f"p{i:05d}" for i in range(10)]
    assert _map_points(data) == 170


def test_hostile_text_is_escaped_everywhere(full_run):
    html, _ = _report(full_run)
    # Only the page's three script elements: the data block, plotly.js and the page script.
    assert len(re.findall(r"<script\b", html, re.I)) == 3
    assert len(re.findall(r"</script", html, re.I)) == 3
    for raw in ("<img", "<iframe", "<svg onload", 'onerror="', "<!-- <script", "\u2028"):
        assert raw not in html.replace(plotly_js_of(html), "")
    data_block = SCRIPT_DATA.search(html).group(1)
    assert "<" not in data_block and "&" not in data_block
    text_cells = _embedded(html)["prompts"]["text"]
    assert any(HOSTILE[0] in t for t in text_cells), "hostile prompts are kept, as text"
    assert any("{{ 7*7 }}" in t for t in text_cells), "template syntax is not evaluated"
    longest = max(len(t) for t in text_cells)
    assert longest <= load_config()["report"]["text_chars"]
    assert "&lt;script&gt;window.__pwned = 10&lt;/script&gt;" in html, "topic label escaped"


def plotly_js_of(html: str) -> str:
    """The inline plotly.js (its own source legitimately holds markup strings)."""
    scripts = re.findall(r"<script>(.*?)</script>", html, re.S)
    return max(scripts, key=len)


def test_csp_allows_exactly_the_inline_scripts(full_run):
    html, _ = _report(full_run)
    found = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    policy = unescape(found.group(1))
    assert "default-src 'none'" in policy and "connect-src" not in policy
    for source in re.findall(r"<script>(.*?)</script>", html, re.S):
        digest = base64.b64encode(hashlib.sha256(source.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy
    assert policy.count("sha256-") == 2
    assert html.count("* plotly.js (basic - minified) v") == 1, "plotly.js basic, embedded once"


class _Tags(HTMLParser):
    """Every element and attribute of a page, as the browser's tokenizer would see them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attributes += [(tag, name, value or "") for name, value in attrs]


def test_page_has_only_its_own_elements_and_no_links_out(full_run):
    html, _ = _report(full_run)
    parser = _Tags()
    parser.feed(html)
    assert not parser.tags & {"img", "iframe", "svg", "link", "object", "embed", "base", "form"}
    assert all(not name.startswith("on") for _, name, _ in parser.attributes)
    for tag, name, value in parser.attributes:
        assert "://" not in value and "javascript:" not in value.lower(), (tag, name, value)
        if tag == "script":
            assert (name, value) in {("type", "application/json"), ("id", "miner-data")}


def test_script_json_cannot_close_its_element():
    value = {"t": "</script><!-- <script>\u2028&amp;", "n": [1, None]}
    encoded = script_json(value)
    assert "<" not in encoded and ">" not in encoded and "&" not in encoded
    assert "\u2028" not in encoded
    assert json.loads(encoded) == value


def test_no_text_leaves_every_prompt_out(tmp_path):
    run = build_run(tmp_path / "run")
    with_text, _ = _report(run)
    words = [sentinel(i) for i in range(180)]
    assert sum(w in with_text for w in words) == 180
    html, summary = _report(run, include_text=False)
    assert not [w for w in words if w in html]
    assert not [w for w in words if w in json.dumps(summary)]
    assert "window.__pwned = 1;" not in html
    assert summary["include_text"] is False
    assert "text" not in _embedded(html)["prompts"]


def test_summary_json_holds_no_prompt_text(full_run):
    _, summary = _report(full_run)
    blob = json.dumps(summary)
    assert not [i for i in range(180) if sentinel(i) in blob]


def test_stage_skips_when_fresh_and_reruns_on_change(tmp_path):
    run = build_run(tmp_path / "run", hostile=False)
    config = load_config()
    assert not run_report(Run(run), config).skipped
    assert run_report(Run(run), config).skipped
    assert not run_report(Run(run), load_config(overrides={"report.map_points": 50})).skipped
    paid = {"judge": "gpt-4o-mini", "answers_cost_usd": 1.5}
    (run / "score_summary.json").write_text(json.dumps(paid))
    outcome = run_report(Run(run), load_config(overrides={"report.map_points": 50}))
    assert not outcome.skipped
    summary = json.loads((run / "report" / "summary.json").read_text())
    assert summary["judge"]["name"] == "gpt-4o-mini" and summary["judge"]["cost"] == 1.5
    assert summary["judge"]["heuristic"] is False


def test_map_and_table_are_capped_and_seeded(tmp_path):
    run = build_run(tmp_path / "run", hostile=False)
    html, _ = _report(run, map_points=40, table_rows=25)
    data = _embedded(html)
    assert _map_points(data) == 40
    assert len(data["table"]) == 25
    assert all(_table(data, "selected")[:20]), "benchmark questions come first"
    again = _embedded(_report(run, map_points=40, table_rows=25)[0])
    assert again == data
    other = _embedded(_report(run, map_points=40, table_rows=25, seed=1)[0])
    assert _table(other, "id") != _table(data, "id")
    html, _ = _report(run, map_points=0)
    assert "map" not in _embedded(html)["figures"] and "turned off" in html


def _section(html: str, section: str) -> str:
    return re.search(rf'<section id="{section}">(.*?)</section>', html, re.S).group(1)


def test_first_screen_lists_categories_with_their_largest_topics(full_run):
    html, summary = _report(full_run)
    answer = _section(html, "answer")
    names = [unescape(n) for n in re.findall(r'<span class="name">(.*?)</span>', answer)]
    assert names == [c["label"] for c in summary["categories"]]
    shown = [unescape(n) for n in re.findall(r'<span class="tname">(.*?)</span>', answer)]
    by_category = [[t["label"] for t in summary["topics"] if t["category"] == c["category"]]
                   for c in summary["categories"]]
    assert shown == [label for labels in by_category for label in labels[:5]]
    lines = re.findall(r'<p class="line">(.*?)</p>', answer)
    assert len(lines) == len(names)
    assert all(line.startswith("2 topics · 56 prompts · score ") for line in lines)
    assert "above the" in answer or "below the" in answer, "each line compares difficulty"
    assert "in the benchmark" in lines[0]
    assert answer.index(names[0]) < html.index('id="overview"'), "the funnel comes after"


def test_map_is_labelled_in_two_levels_without_legend(full_run):
    html, summary = _report(full_run)
    spec = _embedded(html)["figures"]["map"]
    layout = spec["layout"]
    assert layout["showlegend"] is False
    notes = [unescape(a["text"]) for a in layout["annotations"]]
    big = [a for a in layout["annotations"] if a["font"]["size"] == 16]
    assert len(big) == len(summary["categories"])
    for category in summary["categories"]:
        assert f"<b>{figures.label(category['label'])}</b>" in [a["text"] for a in big]
    small = {unescape(a["text"]) for a in layout["annotations"] if a["font"]["size"] == 11}
    assert small and small <= {t["label"][:27] + "…" if len(t["label"]) > 28 else t["label"]
                               for t in summary["topics"]}
    assert len(notes) == len(set(notes))
    store = _embedded(html)["prompts"]
    moved = [t for t in spec["data"] if t["meta"]["moved"]]
    assert sorted(store["id"][k] for t in moved for k in t["customdata"]) == [
        f"p{i:05d}" for i in MOVED
    ], "prompts the outlier step moved are drawn apart (faint)"
    assert all(t["marker"]["opacity"] < 0.3 for t in moved)


def test_difficulty_figure(full_run):
    html, summary = _report(full_run)
    figures_ = _embedded(html)["figures"]
    assert "treemap" not in figures_ and "categories" not in figures_
    topics = {t["topic"]: t for t in summary["topics"]}
    points = figures_["difficulty"]["data"]
    drawn = {x for trace in points for x in zip(trace["x"], trace["y"], strict=True)}
    assert drawn == {(t["size"], t["mean_score"]) for t in topics.values() if t["topic"] != -1}
    marked = next(trace for trace in points if trace["name"] == "topics in the benchmark")
    assert len(marked["x"]) == sum(1 for t in topics.values() if t["topic"] != -1 and t["selected"])
    assert figures_["difficulty"]["layout"]["shapes"][0]["y0"] == summary["scores"]["mean"]


def test_cards_collapsed_but_the_largest_and_topic_table_sortable(full_run):
    html, summary = _report(full_run, open_cards=2)
    cards = re.findall(r'<details class="topic" id="topic-(-?\d+)"( open)?>', html)
    assert len(cards) == len(summary["topics"])
    assert [int(t) for t, is_open in cards if is_open] == [
        t["topic"] for t in summary["topics"][:2]
    ]
    table = _section(html, "topic-table-section")
    headers = re.findall(r'<th data-type="[ns]">(.*?)</th>', table)
    assert "from outliers" in headers and "mean score" in headers
    ranks = [int(r) for r in re.findall(r'<td class="n" data-v="(\d+)">\d+</td><td><a', table)]
    assert ranks == list(range(1, len(summary["topics"])))


def test_criteria_nearly_every_prompt_meets_are_flagged(tmp_path):
    run = build_run(tmp_path / "run", hostile=False)
    scores = pd.read_parquet(run / "scores.parquet")
    scores["real_world"] = scores["real_world"].where(scores["score"].isna(), True)
    scores.to_parquet(run / "scores.parquet")
    html, summary = _report(run)
    assert summary["scores"]["undiscriminating"] == {
        "real_world": "nearly every prompt meets it"
    }
    judge = _section(html, "judge")
    assert judge.count("does not discriminate") == 1
    assert re.search(r"real_world</td><td class=\"n\">100.0%</td><td><span class=\"badge warn\">"
                     r"does not discriminate", judge)


def test_breakdown_by_source_when_the_log_has_one(tmp_path):
    run = build_run(tmp_path / "run", hostile=False)
    html, summary = _report(run)
    assert summary["sources"] == [] and 'id="sources"' not in html
    prompts = pd.read_parquet(run / "prompts.parquet")
    prompts["source"] = ["wildchat" if i % 3 else "sharegpt" for i in range(len(prompts))]
    prompts.to_parquet(run / "prompts.parquet")
    html, summary = _report(run)
    sources = {s["source"]: s for s in summary["sources"]}
    assert sources["wildchat"]["size"] == 120 and sources["sharegpt"]["size"] == 60
    assert [s["source"] for s in summary["sources"]] == ["wildchat", "sharegpt"]
    assert sum(s["selected"] for s in summary["sources"]) == summary["benchmark"]["matched_prompts"]
    assert sum(s["scored"] for s in summary["sources"]) == summary["scores"]["scored"]
    assert 'id="sources"' in html and "<td>sharegpt</td>" in html


def test_topics_json_has_texts_mean_scores_and_outlier_shares(full_run):
    _, summary = _report(full_run)
    result = CliRunner().invoke(main, ["topics", "--run", str(full_run), "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    texts = pd.read_parquet(full_run / "prompts.parquet").set_index("id")["text"]
    by_topic = {t["topic"]: t for t in summary["topics"]}
    for topic in printed["topics"]:
        entry = by_topic[topic["topic"]]
        assert topic["mean_score"] == entry["mean_score"] and topic["scored"] == entry["scored"]
        assert topic["rank"] == entry["rank"] and topic["from_outliers"] == entry["from_outliers"]
        assert [r["id"] for r in topic["representatives"]] == topic["representative_ids"]
        for item in topic["representatives"]:
            assert item["text"] == texts[item["id"]][:1000]
    assert printed["categories"] and printed["topics"][0]["representatives"]


def test_unscored_run_has_no_difficulty(tmp_path):
    run = build_run(tmp_path / "run", hostile=False, artifacts=("topics",))
    figures_ = _embedded(_report(run)[0])["figures"]
    assert "difficulty" not in figures_ and "map" in figures_
    assert "mean score" not in html_of(run)


def html_of(run: Path) -> str:
    return (run / "report" / "index.html").read_text("utf-8")


def test_plotly_labels_escape_markup_once():
    # plotly decodes &amp; &lt; &gt; after splitting on tags, and never &quot;.
    assert figures.label('"q" & <b>b</b> &lt;') == '"q" &amp; &lt;b&gt;b&lt;/b&gt; &amp;lt;'


def test_map_sample_keeps_small_topics(tmp_path):
    run = build_run(tmp_path / "run", hostile=False)
    topics = pd.read_parquet(run / "topics.parquet")
    small = topics.index[topics["topic"] == 5][3:]
    topics.loc[small, "topic"] = 0
    topics.to_parquet(run / "topics.parquet")
    data = _embedded(_report(run, map_points=30)[0])
    store = data["prompts"]["topic"]
    drawn = pd.Series([store[k] for t in data["figures"]["map"]["data"] for k in t["customdata"]])
    assert len(drawn) == 30
    assert (drawn == 5).sum() == 3, "all 3 prompts of the small topic are drawn"
    assert drawn.value_counts().min() >= 3


def test_cli_json_no_text_and_help(tmp_path):
    run = build_run(tmp_path / "run")
    runner = CliRunner()
    result = runner.invoke(main, ["report", "--run", str(run), "--json", "--no-text"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed == json.loads((run / "report" / "summary.json").read_text())
    assert printed["include_text"] is False
    assert sentinel(3) not in (run / "report" / "index.html").read_text()
    result = runner.invoke(main, ["report", "--run", str(run)])
    assert result.exit_code == 0
    assert result.stdout.strip() == str(run / "report" / "index.html")
    assert sentinel(3) in (run / "report" / "index.html").read_text()
    help_text = runner.invoke(main, ["report", "--help"]).output
    for option in ("--no-text", "--json", "--map-points", "--table-rows", "--screenshot", "--run"):
        assert option in help_text


@pytest.mark.parametrize(
    ("artifact", "content", "message"),
    [
        ("topic_info.json", "{not json", "topic_info.json: line 1: invalid JSON"),
        ("funnel.json", '[{"step": "read"}]', "funnel.json: entry 1: expected {step, count}"),
        (
            "benchmark/question.jsonl",
            '{"uid": "a"}\n{oops\n',
            "question.jsonl: line 2: invalid JSON",
        ),
        ("scores.parquet", "not parquet", "scores.parquet: cannot read Parquet"),
    ],
)
def test_bad_input_is_one_line(tmp_path, artifact, content, message):
    run = build_run(tmp_path / "run", hostile=False)
    (run / artifact).write_text(content)
    result = CliRunner().invoke(main, ["report", "--run", str(run)])
    assert_cli_error(result, message)


def test_missing_prompts_and_duplicate_ids(tmp_path):
    result = CliRunner().invoke(main, ["report", "--run", str(tmp_path / "empty")])
    assert_cli_error(result, "run `miner ingest")
    run = build_run(tmp_path / "run", hostile=False, artifacts=("topics",))
    topics = pd.read_parquet(run / "topics.parquet")
    pd.concat([topics, topics.head(1)]).to_parquet(run / "topics.parquet")
    result = CliRunner().invoke(main, ["report", "--run", str(run)])
    assert_cli_error(result, "topics.parquet: id 'p00000' appears more than once")


def test_large_run_stays_small(tmp_path):
    """200k prompts, 300 topics: the page stays far under 20 MB because its samples are capped."""
    n, n_topics = 200_000, 300
    base = "Explain how to configure the build so that tests run offline and fast " * 5
    run = tmp_path / "big"
    run.mkdir()
    build_large_run(run, n, [f"{i} {base}" for i in range(1000)], n_topics=n_topics)
    html, summary = _report(run)
    size = len(html.encode())
    assert size < 20_000_000, f"{size / 1e6:.1f} MB"
    data = _embedded(html)
    config = load_config()["report"]
    assert _map_points(data) == config["map_points"]
    assert len(data["table"]) == config["table_rows"]
    assert summary["prompts"]["total"] == n and len(summary["topics"]) == n_topics + 1
    shutil.rmtree(run)


def test_topics_of_the_wrong_type_is_one_line(tmp_path):
    run = build_run(tmp_path / "run", hostile=False, artifacts=("topics",))
    topics = pd.read_parquet(run / "topics.parquet")
    topics.assign(topic=topics["topic"].astype(str) + "x").to_parquet(run / "topics.parquet")
    result = CliRunner().invoke(main, ["report", "--run", str(run)])
    assert_cli_error(result, "topics.parquet: 'topic' must hold integers")

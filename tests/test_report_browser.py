"""The report in a real browser: Debian's headless Chromium driven through Playwright.

The page is opened from file:// with every request recorded (and any non-file request
aborted), then checked: charts drawn, search and filters working, hostile prompts shown as
text with no injected script running, and an overview screenshot saved in the run folder.
"""

from __future__ import annotations

import json
import shutil
import struct
import zlib

import pandas as pd
import pytest
from click.testing import CliRunner

from bench.report_screenshots import SHOTS, capture_in
from miner.cli import main
from miner.config import load_config
from miner.report import run_report
from miner.report.screenshot import FLAGS, find_browser
from miner.run import Run
from tests.test_report_fixtures import (
    HOSTILE,
    QUOTED_CATEGORY,
    QUOTED_LABEL,
    TOPIC_WORDS,
    build_run,
    sentinel,
)

CHROMIUM = find_browser()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (`make chromium` installs Debian's)"
)
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')"
)


class Page:
    """One browser tab on the report, with everything it asked for and printed."""

    def __init__(self, context, url: str) -> None:
        self.requests: list[str] = []
        self.blocked: list[str] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        context.route("**/*", self._route)
        self.page = context.new_page()
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.goto(url, wait_until="load")
        self.page.wait_for_selector("body[data-charts=drawn]", state="attached")

    def _route(self, route) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def count(self, selector: str) -> int:
        return self.page.locator(selector).count()

    def rows(self) -> list[list[str]]:
        return self.page.eval_on_selector_all(
            "#prompt-table tbody tr",
            "rows => rows.map(r => Array.from(r.cells, c => c.textContent))",
        )


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory):
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            args=[flag for flag in FLAGS if flag != "--headless"],
            viewport={"width": 1280, "height": 1000},
            offline=True,
        )
        yield context
        context.close()


@pytest.fixture(scope="module")
def report(tmp_path_factory, browser_context):
    run = build_run(tmp_path_factory.mktemp("browser") / "run")
    run_report(Run(run), load_config())
    page = Page(browser_context, (run / "report" / "index.html").resolve().as_uri())
    yield run, page
    page.page.close()


def test_loads_offline_with_no_request_leaving_the_machine(report):
    run, page = report
    assert page.requests == [(run / "report" / "index.html").resolve().as_uri()]
    assert page.blocked == []
    assert page.errors == [], "no script error, no blocked resource, no CSP violation"


def test_charts_render(report):
    run, page = report
    summary = json.loads((run / "report" / "summary.json").read_text())
    assert page.count(".js-plotly-plot") == 5, "funnel, map, difficulty, shares, scores"
    topics = [t for t in summary["topics"] if t["topic"] != -1]
    marked = sum(1 for t in topics if t["selected"])
    per_trace = page.page.eval_on_selector_all(
        '[data-figure="difficulty"] .scatterlayer .trace',
        "traces => traces.map(t => t.querySelectorAll('.point').length)",
    )
    assert per_trace == [len(topics) - marked, marked] and 0 < marked < len(topics)
    assert page.count('[data-figure="funnel"] .bars .point') == len(summary["funnel"])
    assert page.count('[data-figure="map"] .scatterlayer .point') == summary["prompts"]["total"]
    labels = page.count('[data-figure="map"] .annotation')
    assert labels >= len(summary["categories"]) + 1, "category and topic names on the map"
    assert page.count('[data-figure="map"] .legend') == 0
    assert page.count('[data-figure="shares"] .bars .point') == 2 * len(TOPIC_WORDS)
    bins = len(summary["scores"]["bins"])
    assert page.count('[data-figure="scores"] .bars .point') == 2 * bins
    assert page.count("#topic-cards details.topic") == len(TOPIC_WORDS) + 1
    assert page.count("#topic-cards details.topic[open]") == 5
    assert page.count("#answer .cat") == len(summary["categories"])


def test_topic_table_sorts_by_outlier_share(report):
    _, page = report
    p = page.page
    first = "() => document.querySelector('#topic-table tbody tr').cells[1].textContent"
    assert p.evaluate(first) == "python pandas dataframe", "largest first"
    p.click("#topic-table th:has-text('from outliers')")
    assert p.evaluate(first) == "python pandas dataframe", "the only topic with moved prompts"
    p.click("#topic-table th:has-text('from outliers')")
    assert p.evaluate(first) != "python pandas dataframe", "a second click sorts the other way"
    p.click("#topic-table th:has-text('#')")
    ranks = p.eval_on_selector_all("#topic-table tbody tr",
                                   "rows => rows.map(r => r.cells[0].textContent)")
    assert ranks == [str(r) for r in sorted(range(1, len(TOPIC_WORDS) + 1), reverse=True)]


def test_search_and_filters(report):
    run, page = report
    p = page.page
    assert len(page.rows()) == 180
    p.fill("#search", sentinel(61))
    rows = page.rows()
    assert len(rows) == 1 and rows[0][0] == "p00061" and sentinel(61) in rows[0][4]
    p.fill("#search", "pandas dataframe")
    assert {r[1] for r in page.rows()} <= {"#1 python pandas dataframe", "outliers"}
    p.fill("#search", "")
    p.select_option("#filter-topic", "3")
    rows = page.rows()
    assert len(rows) == 28 and {r[1] for r in rows} == {"#4 recipe oven flour"}
    p.select_option("#filter-topic", "")
    p.fill("#filter-score", "5")
    rows = page.rows()
    assert rows and all(float(r[2]) >= 5 for r in rows)
    p.fill("#filter-score-max", "5")
    rows = page.rows()
    scores = pd.read_parquet(run / "scores.parquet")
    assert len(rows) == (scores["score"] == 5).sum() and {r[2] for r in rows} == {"5"}
    p.fill("#filter-score", "")
    p.fill("#filter-score-max", "")
    p.select_option("#filter-selected", "yes")
    rows = page.rows()
    questions = (run / "benchmark" / "question.jsonl").read_text().splitlines()
    assert len(rows) == len(questions) and all(r[3] == "taken" for r in rows)
    p.select_option("#filter-selected", "")
    assert "180 of 180" in p.inner_text("#match-count")


def test_hostile_prompts_render_as_text_and_run_nothing(report):
    _, page = report
    p = page.page
    assert p.evaluate("window.__pwned") is None
    assert page.dialogs == []
    assert page.count("img, iframe, object, embed, a[href^='javascript']") == 0
    outside_charts = "s => !s.closest('.js-plotly-plot') && s.id !== 'js-plotly-tester'"
    assert (
        p.evaluate(f"Array.from(document.querySelectorAll('svg')).filter({outside_charts})") == []
    )
    assert p.evaluate("document.scripts.length") == 3
    p.fill("#search", sentinel(0))
    (row,) = page.rows()
    assert HOSTILE[0] in row[4], "the <script> prompt shows as its literal characters"
    p.fill("#search", sentinel(27))
    (row,) = page.rows()
    assert row[4].startswith(sentinel(27) + " W") and row[4].endswith("…")
    p.fill("#search", "")
    title = p.inner_text("#topic-1 h3")
    assert title == "#2 <script>window.__pwned = 10</script>"
    keyword = p.locator("#topic-2 .kw").last.inner_text()
    assert keyword == '"><img src=x onerror=alert(11)>'


def test_first_screen_shows_what_people_ask(report, browser_context, tmp_path):
    """At 1280x800 the first screen names categories and their topics; screenshots saved."""
    run, _ = report
    summary = json.loads((run / "report" / "summary.json").read_text())
    shown = capture_in(browser_context, run / "report" / "index.html", tmp_path)
    assert shown["categories"] == [c["label"] for c in summary["categories"]]
    wanted = {t["label"] for t in summary["topics"] if t["topic"] != -1}
    assert set(shown["topics"]) == wanted, "every topic of this small run is on the first screen"
    assert "overview" not in shown["sections"], "the funnel and number cards come below"
    for name in SHOTS:
        assert png_pixels(tmp_path / name)[0] > 300


def test_first_screen_check_fails_without_topic_names(browser_context, tmp_path):
    run = build_run(tmp_path / "run", hostile=False, artifacts=("funnel", "scores"))
    run_report(Run(run), load_config())
    with pytest.raises(AssertionError, match="no topic names"):
        capture_in(browser_context, run / "report" / "index.html", tmp_path / "shots")


def _texts(page: Page, selector: str) -> list[str]:
    return page.page.eval_on_selector_all(selector, "els => els.map(e => e.textContent)")


def test_labels_show_as_written_in_every_chart(report):
    _, page = report
    p = page.page
    name = f"{QUOTED_LABEL} (#5)"
    assert name in _texts(page, '[data-figure="shares"] .ytick text')
    assert QUOTED_CATEGORY in _texts(page, "#answer .cat h2 .name")
    assert QUOTED_LABEL in _texts(page, "#answer .tname")
    notes = _texts(page, '[data-figure="map"] .annotation-text')
    assert QUOTED_CATEGORY in notes and any(n.startswith('"q" & <b>b</b>') for n in notes)
    # No markup of a label became an element: no link, no bold or italic text.
    assert p.evaluate("document.querySelectorAll('.js-plotly-plot a').length") == 0
    styled = "Array.from(document.querySelectorAll('.js-plotly-plot tspan[style]'))"
    marked_up = ("t => !t.closest('.hoverlayer') && !t.closest('.annotation') "
                 "&& /bold|italic/.test(t.getAttribute('style'))")
    assert p.evaluate(f"{styled}.filter({marked_up}).length") == 0
    italic = ("Array.from(document.querySelectorAll('.annotation tspan[style]'))"
              ".filter(t => /italic/.test(t.getAttribute('style'))).length")
    assert p.evaluate(italic) == 0, "the category's <i> shows as text"

    hover = p.evaluate(
        """() => {
            const div = document.querySelector('[data-figure="difficulty"]');
            for (let c = 0; c < div.data.length; c++) {
                const i = div.data[c].hovertext.findIndex(t => t.includes('(#5)'));
                if (i >= 0) {
                    Plotly.Fx.hover(div, [{curveNumber: c, pointNumber: i}]);
                    return div.querySelector('.hoverlayer').textContent;
                }
            }
            return null;
        }"""
    )
    assert hover.startswith(name) and f"category: {QUOTED_CATEGORY}" in hover
    assert p.evaluate("window.__pwned") is None and page.dialogs == []


def test_map_hover_shows_the_prompt_as_text(report):
    _, page = report
    hover = page.page.evaluate(
        """() => {
            const div = document.querySelector('[data-figure="map"]');
            for (let c = 0; c < div.data.length; c++) {
                const i = div.data[c].hovertext.findIndex(t => t.includes('__pwned = 1;'));
                if (i >= 0) {
                    Plotly.Fx.hover(div, [{curveNumber: c, pointNumber: i}]);
                    return div.querySelector('.hoverlayer').textContent;
                }
            }
            return null;
        }"""
    )
    assert hover is not None and "<script>window.__pwned = 1; alert(1)</script>" in hover
    assert page.page.evaluate("window.__pwned") is None and page.dialogs == []


def png_pixels(path) -> tuple[int, int, set[bytes]]:
    """(width, height, distinct colours) of an 8-bit RGB or RGBA PNG, decoded here (no PIL)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    chunks, pos = {}, 8
    while pos < len(data):
        size, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunks.setdefault(kind, []).append(data[pos + 8:pos + 8 + size])
        pos += 12 + size
    width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][0][:10])
    assert depth == 8 and colour in (2, 6), (depth, colour)
    step = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(chunks[b"IDAT"]))
    stride = width * step
    previous = bytearray(stride)
    colours: set[bytes] = set()
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            left = line[i - step] if i >= step else 0
            up, corner = previous[i], previous[i - step] if i >= step else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc
                                      else corner)) & 255
        colours.update(bytes(line[i:i + 3]) for i in range(0, stride, step * 7))
        previous = line
    return width, height, colours


def assert_overview(path) -> None:
    """`path` is a 1280x1000 render of the report's top with its charts drawn (many colours;
    a blank or error page has a handful)."""
    width, height, colours = png_pixels(path)
    assert (width, height) == (1280, 1000)
    assert len(colours) >= 50, len(colours)


def test_overview_screenshot_saved_in_the_run(tmp_path):
    run = build_run(tmp_path / "run", hostile=False)
    outcome = run_report(Run(run), load_config(overrides={"report.screenshot": True}))
    assert not outcome.skipped
    target = run / "report" / "overview.png"
    assert_overview(target)
    assert "report/overview.png" in Run(run).stage_entry("report")["outputs"]


def test_no_text_page_works_without_text(tmp_path, browser_context):
    run = build_run(tmp_path / "run")
    result = CliRunner().invoke(main, ["report", "--run", str(run), "--no-text"])
    assert result.exit_code == 0, result.output
    page = Page(browser_context, (run / "report" / "index.html").resolve().as_uri())
    try:
        assert page.errors == [] and page.blocked == []
        assert page.count('[data-figure="map"] .scatterlayer .point') == 180
        assert sentinel(61) not in page.page.content()
        page.page.fill("#search", "p00061")
        assert [r[0] for r in page.rows()] == ["p00061"]
    finally:
        page.page.close()


def test_cli_screenshot_flag(tmp_path):
    run = build_run(tmp_path / "run", hostile=False)
    result = CliRunner().invoke(main, ["report", "--run", str(run), "--screenshot"])
    assert result.exit_code == 0, result.output
    assert_overview(run / "report" / "overview.png")
    shutil.rmtree(run)

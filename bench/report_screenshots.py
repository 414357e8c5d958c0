"""Screenshots of a report for docs/: the first screen at 1280x800, the map and a topic card.

    python bench/report_screenshots.py RUN_DIR [--out docs]

Opens RUN_DIR/report/index.html in Debian's headless Chromium through Playwright (offline,
every non-file request aborted), checks what the first screen shows and saves
`report-first-screen.png`, `report-map.png` and `report-topic-card.png` into --out. Exits
non-zero when the first screen shows no topic names. tests/test_report_browser.py runs the
same `capture` on a small fixture run, so the check is part of the test suite.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

FIRST_SCREEN = {"width": 1280, "height": 800}
TALL = {"width": 1280, "height": 1100}
SHOTS = ("report-first-screen.png", "report-map.png", "report-topic-card.png")

# Names (text) of the topics and categories drawn inside the first viewport, not hidden.
_VISIBLE = """([selector, height]) => Array.from(document.querySelectorAll(selector))
    .filter(e => { const r = e.getBoundingClientRect();
                   return r.width > 0 && r.height > 0 && r.top >= 0 && r.bottom <= height; })
    .map(e => e.textContent.trim()).filter(Boolean)"""


def first_screen(page) -> dict[str, list[str]]:
    """Topic and category names fully inside the first viewport of `page` (a Playwright page
    scrolled to the top), and the sections that start inside it."""
    height = page.viewport_size["height"]
    return {
        "topics": page.evaluate(_VISIBLE, ["#answer .tname", height]),
        "categories": page.evaluate(_VISIBLE, ["#answer .cat h2 .name", height]),
        "sections": page.evaluate(
            """(height) => Array.from(document.querySelectorAll('main > section'))
                .filter(s => s.getBoundingClientRect().top < height).map(s => s.id)""",
            height,
        ),
    }


def capture_in(context, report: Path, out: Path) -> dict[str, list[str]]:
    """Save the three screenshots of `report` into `out` from a new tab of a Playwright
    browser `context`; return what the first screen shows.

    Raises AssertionError when the first screen shows no topic names.
    """
    out.mkdir(parents=True, exist_ok=True)
    page = context.new_page()
    try:
        page.set_viewport_size(FIRST_SCREEN)
        page.goto(report.resolve().as_uri(), wait_until="load")
        page.wait_for_selector("body[data-charts=drawn]", state="attached", timeout=120_000)
        shown = first_screen(page)
        page.screenshot(path=str(out / SHOTS[0]))
        assert shown["topics"], "the first screen shows no topic names"
        # Tall enough for the whole map section: an element taller than the window is shot
        # by resizing it, which makes plotly redraw halfway.
        page.set_viewport_size(TALL)
        page.wait_for_function("document.querySelector('#map-section')"
                               ".getBoundingClientRect().height < innerHeight")
        page.wait_for_timeout(500)       # plotly's responsive redraw after the resize
        page.locator("#map-section").screenshot(path=str(out / SHOTS[1]))
        page.locator("details.topic[open]").first.screenshot(path=str(out / SHOTS[2]))
    finally:
        page.close()
    return shown


def capture(report: Path, out: Path, browser: str) -> dict[str, list[str]]:
    """`capture_in` a fresh, offline Chromium that aborts every request but file:// ones."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=browser, args=["--no-sandbox"])
        try:
            context = chromium.new_context(offline=True)
            context.route("**/*", lambda route: route.continue_()
                          if route.request.url.startswith("file://") else route.abort())
            return capture_in(context, report, out)
        finally:
            chromium.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--out", type=Path, default=Path("docs"))
    parser.add_argument("--browser", default="/usr/bin/chromium")
    args = parser.parse_args()
    try:
        shown = capture(args.run / "report" / "index.html", args.out, args.browser)
    except AssertionError as error:
        print(f"{args.run}: {error}", file=sys.stderr)
        return 1
    print(f"first screen: {len(shown['categories'])} categories, {len(shown['topics'])} topic "
          f"names, sections {shown['sections']}; saved {', '.join(SHOTS)} in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

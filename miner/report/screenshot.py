"""An overview screenshot of the report through headless Chromium's command line."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from miner.errors import MinerError
from miner.run import atomic_path

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
# Flags for a private, offline, one-shot browser.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def find_browser() -> str | None:
    """Path of an installed Chromium-family browser, or None."""
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def take_screenshot(page: Path, target: Path, *, width: int = 1280, height: int = 1000) -> None:
    """Save a PNG of the top of `page` (the overview) at `target`."""
    browser = find_browser()
    if browser is None:
        raise MinerError(f"cannot save {target}: no chromium on PATH (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="miner-chromium-") as scratch:
        shot = Path(scratch) / "overview.png"  # chromium picks the image format from the suffix
        command = [
            browser,
            *FLAGS,
            f"--user-data-dir={Path(scratch) / 'profile'}",
            f"--window-size={width},{height}",
            "--virtual-time-budget=5000",
            f"--screenshot={shot}",
            page.resolve().as_uri(),
        ]
        try:
            subprocess.run(command, capture_output=True, timeout=120, check=False)
        except subprocess.TimeoutExpired:
            raise MinerError(f"cannot save {target}: chromium took longer than 120 s") from None
        if not shot.exists():
            raise MinerError(f"cannot save {target}: chromium wrote no screenshot")
        with atomic_path(target) as tmp:
            shutil.move(shot, tmp)

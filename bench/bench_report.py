"""Report size and build time against the run's size: the caps keep the page small.

Builds synthetic run folders (prompts.parquet, topics.parquet, topic_info.json,
scores.parquet, benchmark/) of N prompts, with real prompt texts from
../shared/data/wild_dev.jsonl.gz cycled when that file exists (synthetic text otherwise),
then times `write_report` and prints page size and peak memory. The figures at the smallest
N are the baseline; larger N are printed as ratios to it.

    .venv/bin/python bench/bench_report.py            # 10k, 100k, 1M
    .venv/bin/python bench/bench_report.py 10000 200000
"""

from __future__ import annotations

import gzip
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the run builder lives in tests/

from miner.config import load_config  # noqa: E402
from miner.report import read_summary, run_report  # noqa: E402
from miner.run import Run  # noqa: E402
from tests.test_report_fixtures import build_large_run  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "wild_dev.jsonl.gz"


def source_texts() -> list[str]:
    if DATA.exists():
        with gzip.open(DATA, "rt", encoding="utf-8") as handle:
            return [json.loads(line)["prompt"] for line in handle]
    print(f"{DATA} not found: synthetic texts", file=sys.stderr)
    return [
        f"Synthetic prompt {i} about building and testing software offline. " * (1 + i % 9)
        for i in range(5000)
    ]


def main(sizes: list[int]) -> None:
    texts = source_texts()
    full_config = load_config()
    config = full_config["report"]
    print(f"caps: map_points={config['map_points']}, table_rows={config['table_rows']}")
    print(
        f"{'prompts':>9} {'topics':>6} {'MB':>6} {'wall s':>7} {'CPU s':>6} {'peak GiB':>8}"
        "  ratios to the first (MB, CPU s)"
    )
    baseline = None
    for n in sizes:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder)
            build_large_run(path, n, texts)
            started, cpu_started = time.perf_counter(), time.process_time()
            run_report(Run(path), full_config, force=True)
            summary = read_summary(Run(path))
            seconds = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
            megabytes = (path / "report" / "index.html").stat().st_size / 1e6
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        baseline = baseline or (megabytes, cpu)
        print(
            f"{n:>9,} {len(summary['topics']):>6} {megabytes:>6.1f} {seconds:>7.1f} {cpu:>6.1f}"
            f" {peak:>8.2f}  {megabytes / baseline[0]:.2f}, {cpu / baseline[1]:.1f}"
        )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 100_000, 1_000_000])

"""The whole pipeline at size: an LMSYS-Chat-1M shaped log of N conversations, `miner run`.

    python bench/bench_pipeline.py --n 10000 [--engine local|ray] [--backend static]
                                   [--out outputs/bench_pipeline]

The log is built from every prompt of ../shared/data that is not a benchmark or held out:
wild_dev (19,328), arena_catalog_dev (8,828) and the first user turns of the two samples
(arena_battles_sample, sharegpt_sample); Arena-Hard v0.1 and MT-bench stay out (they are the
contamination lists miner checks against). The texts are recombined so they are new: each
fresh prompt joins the opening sentences of one real prompt (at most HEAD_CHARS, so prompts
built on the same head still differ within the 256 tokens MiniLM reads) to the rest of
another, or keeps a real prompt whole (30%, while any are unused). Then, as in real logs:
popular prompts are asked again (exact repeats, some re-cased or re-spaced, which ingest's
normalised hash still matches), others reworded slightly (near-duplicates), a few are too
short, flagged by moderation or redacted, some conversations have a follow-up turn. The
shares and where they come from are in docs/performance.md ("The 1M generator").

`miner run` runs offline on it (heuristic judge, default config otherwise) in a child
process; this script prints each stage's wall time and peak resident memory, read from the
child's /proc status (VmHWM, reset at every stage boundary through clear_refs). With
--engine ray, the Ray workers' memory is not in these figures.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

from miner.demo.corpus import moderation, reworded

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT.parent / "shared" / "data"

# Shares of rows. Exact repeats: LMArena found ~25% of each day's Arena prompts close to an
# earlier day's (blog "How Many User Prompts are New?", 2025) and a published clean-up of
# LMSYS-Chat-1M dropped about half its instructions as exact copies after normalising case,
# space and punctuation; 25% is the low end, so the distinct texts to embed are not
# underestimated. Near-duplicates: 6%, as miner's own index stage marks on real Arena prompts
# (arena_catalog_dev: 460 of 7,803 English rows, cosine >= 0.95, after exact copies).
DUPLICATE_SHARE = 0.25
NEAR_DUPLICATE_SHARE = 0.06
SHORT_SHARE = 0.03
FLAGGED_SHARE = 0.02
REDACTED_SHARE = 0.005
FOLLOW_UP_SHARE = 0.2
HEAD_CHARS = 400
SHORT = ("hi", "hello", "test", "who are you?", "thanks", "continue")
MODELS = ("vicuna-13b", "gpt-3.5-turbo", "llama-2-13b-chat", "claude-instant-1", "koala-13b")
EDITS = ((".", "!"), ("?", " ?"), ("please", "pls"), ("Please", "please"), (" a ", " the "),
         ("write", "Write"), (",", ""))
SENTENCE = re.compile(r"(?<=[.!?\n])\s+")


def _jsonl(folder: Path, name: str) -> list[dict]:
    path = folder / name
    if not path.exists():
        return []
    opener = gzip.open if name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _first_user_turns(folder: Path) -> list[str]:
    """First user turns of the Arena battle and ShareGPT samples."""
    battles = _jsonl(folder, "arena_battles_sample.jsonl")
    texts = [row["conversation_a"][0]["content"] for row in battles if row.get("conversation_a")]
    sharegpt = folder / "sharegpt_sample.json"
    if sharegpt.exists():
        for row in json.loads(sharegpt.read_text(encoding="utf-8")):
            human = [turn["value"] for turn in row.get("conversations", [])
                     if turn.get("from") == "human"]
            texts += human[:1]
    return texts


def real_prompts(folder: Path = DATA_DIR) -> list[str]:
    """Every usable prompt in `folder` (at least 40 characters), exact copies once."""
    texts = [row["prompt"] for row in _jsonl(folder, "wild_dev.jsonl.gz")]
    texts += [row["prompt"] for row in _jsonl(folder, "arena_catalog_dev.jsonl.gz")]
    texts += _first_user_turns(folder)
    return list(dict.fromkeys(t for t in texts if isinstance(t, str) and len(t) >= 40))


def recombined(prompts: list[str], rng: random.Random) -> str:
    """A new prompt: the head of one real prompt (<= HEAD_CHARS) and the tail of another."""
    first, second = rng.sample(prompts, 2)
    head = SENTENCE.split(first)
    tail = SENTENCE.split(second)
    cut = max(1, len(head) // 2)
    opening = " ".join(head[:cut])[:HEAD_CHARS]
    return (opening + " " + " ".join(tail[len(tail) // 2:]))[:10000]


def records(n: int, seed: int, prompts: list[str]):
    """Yield `n` LMSYS-Chat-1M shaped conversations."""
    rng = random.Random(seed)
    unused = prompts[:]
    rng.shuffle(unused)
    asked: list[str] = []
    for index in range(n):
        roll = rng.random()
        flagged = redacted = False
        if roll < DUPLICATE_SHARE and asked:
            text = asked[min(int(rng.paretovariate(1.2)) - 1, len(asked) - 1)] \
                if rng.random() < 0.5 else rng.choice(asked)   # popular prompts recur most
            if rng.random() < 0.3:
                text = "  " + text.lower() + " "
        elif (roll := roll - DUPLICATE_SHARE) < NEAR_DUPLICATE_SHARE and asked:
            text = reworded(rng.choice(asked), rng, EDITS)
        elif (roll := roll - NEAR_DUPLICATE_SHARE) < SHORT_SHARE:
            text = rng.choice(SHORT)
        else:
            text = unused.pop() if unused and rng.random() < 0.3 else recombined(prompts, rng)
            asked.append(text)
            flagged = rng.random() < FLAGGED_SHARE
            redacted = not flagged and rng.random() < REDACTED_SHARE
        conversation = [{"role": "user", "content": text},
                        {"role": "assistant", "content": "Here is an answer."}]
        if rng.random() < FOLLOW_UP_SHARE:
            conversation += [{"role": "user", "content": "Can you explain more?"},
                             {"role": "assistant", "content": "Sure."}]
        yield {
            "conversation_id": hashlib.sha256(f"bench-{seed}-{index}".encode()).hexdigest()[:32],
            "model": rng.choice(MODELS), "conversation": conversation,
            "turn": len(conversation) // 2, "language": "English",
            "openai_moderation": [moderation(flagged and m["role"] == "user")
                                  for m in conversation],
            "redacted": redacted,
        }


def write_log(path: Path, n: int, seed: int, prompts: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        for record in records(n, seed, prompts):
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


class PeakWatcher:
    """Peak resident memory of a child process per stage, from /proc/PID/status."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak_kb, self.stopped = pid, 0, False
        self.thread = threading.Thread(target=self._poll, daemon=True)
        self.thread.start()

    def _read(self) -> int:
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return 0
        found = re.search(r"VmHWM:\s+(\d+) kB", status)
        return int(found.group(1)) if found else 0

    def _poll(self) -> None:
        while not self.stopped:
            self.peak_kb = max(self.peak_kb, self._read())
            time.sleep(0.2)

    def take(self) -> float:
        """Peak GiB since the last take; resets the kernel's high-water mark."""
        peak = max(self.peak_kb, self._read())
        with contextlib.suppress(OSError):
            Path(f"/proc/{self.pid}/clear_refs").write_text("5")
        self.peak_kb = 0
        return peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--engine", default="local")
    parser.add_argument("--backend", default=None, help="embed.backend (default: the config's)")
    parser.add_argument("--data", type=Path, default=DATA_DIR,
                        help="folder of the real prompts (default ../shared/data)")
    parser.add_argument("--precision", default=None,
                        help="embed.precision (default: the config's)")
    parser.add_argument("--out", type=Path, default=ROOT / "outputs" / "bench_pipeline")
    args = parser.parse_args()
    prompts = real_prompts(args.data)
    if len(prompts) < 2:
        print(f"skipped: no prompts in {args.data}")
        return
    folder = args.out / f"n{args.n}"
    log = folder / "log.jsonl"
    started = time.perf_counter()
    write_log(log, args.n, args.seed, prompts)
    print(f"log: {args.n:,} conversations in {log} ({time.perf_counter() - started:.0f} s)")
    config = folder / "bench.yaml"
    lines = ["score:\n  judge: heuristic\n", f"engine:\n  kind: {args.engine}\n"]
    embed = {"backend": args.backend, "precision": args.precision}
    if any(embed.values()):
        lines.append("embed:\n" + "".join(f"  {k}: {v}\n" for k, v in embed.items() if v))
    print(f"pool: {len(prompts):,} real prompts from {args.data}; load {os.getloadavg()}")
    config.write_text("".join(lines))
    command = [sys.executable, "-m", "miner.cli", "run", str(log), "--run", str(folder / "run"),
               "--config", str(config), "--force", "--json"]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watcher = PeakWatcher(child.pid)
    rows, stage, stage_started = [], None, time.perf_counter()
    assert child.stderr is not None
    for line in child.stderr:
        begun = re.match(r"\[(\d+)/\d+\] (\w+)", line)
        if begun:
            if stage:
                rows.append((stage, time.perf_counter() - stage_started, watcher.take()))
            stage, stage_started = begun.group(2), time.perf_counter()
        elif "error" in line.lower():
            print(line.rstrip(), file=sys.stderr)
    output = child.stdout.read() if child.stdout else ""
    peak_last = watcher.take()
    watcher.stopped = True
    if child.wait() != 0:
        raise SystemExit(f"miner run failed (exit {child.returncode})")
    rows.append((stage, time.perf_counter() - stage_started, peak_last))
    summary = json.loads(output)
    print(f"{'stage':<8} {'wall s':>8} {'peak GiB':>9}")
    for name, seconds, peak in rows:
        print(f"{name:<8} {seconds:>8.1f} {peak:>9.2f}")
    total = sum(seconds for _, seconds, _ in rows)
    print(f"{'total':<8} {total:>8.1f} {max(p for _, _, p in rows):>9.2f}")
    print(json.dumps({"funnel": summary.get("funnel"), "topics": summary.get("topics")}))
    print(duplicate_rates(folder / "run"))


def duplicate_rates(run: Path) -> str:
    """Exact and near-duplicate shares of the prompts ingest kept, as miner marked them."""
    from miner.artifacts import PROMPTS, read_table
    from miner.run import Run

    prompts = read_table(Run(run), PROMPTS, columns=["dup_of", "near_dup_of"])
    dup, near = prompts["dup_of"].is_valid(), prompts["near_dup_of"].is_valid()
    rows = max(len(prompts), 1)
    exact, near_share = sum(dup.to_pylist()) / rows, sum(near.to_pylist()) / rows
    pairs = zip(dup.to_pylist(), near.to_pylist(), strict=True)
    distinct = sum(1 for d, n in pairs if not (d or n))
    return (f"prompts kept {len(prompts):,}: exact duplicates {exact:.1%} (dup_of), "
            f"near-duplicates {near_share:.1%} (near_dup_of), {distinct:,} left")


if __name__ == "__main__":
    main()

"""Filters, each counted, and the funnel they make (read -> parsed -> kept per filter).

Order: redacted, moderation-flagged, copy-paste residue stripped (`miner.hygiene.residue`),
length (cheap) before language (detection costs), the hygiene screen (`miner.hygiene.rules`:
requests for harm, prompts with no task; only on prompts of the languages kept), then exact
duplicates, which are marked (`dup_of`), not dropped: they stay in prompts.parquet so counts
stay true to the log, and later stages skip them. Prompts the screen drops are kept aside
with their rule for screened.parquet.

When no record of the log has a moderation field, the funnel says "no moderation data"
instead of a "not moderation-flagged" step that checked nothing.
"""

from __future__ import annotations

import hashlib
from typing import Any

from miner.hygiene import screen, strip_residue
from miner.ingest.languages import detect_language, language_code
from miner.ingest.prompts import Prompt, ReadCounts
from miner.ingest.text import clean, text_hash


def prompt_id(source_key: str, row: int, turn: int) -> str:
    """Stable id: the same file content, row and turn always give the same id."""
    return hashlib.sha256(f"{source_key}\0{row}\0{turn}".encode()).hexdigest()[:16]


NO_MODERATION = "no moderation data (nothing checked)"
RESIDUE_STEP = "copy-paste residue stripped"
HARM_STEP = "not a request for harm"
NO_TASK_STEP = "has a task"


class PromptFilter:
    """Applies the filters in order to prompts, counting what each one drops."""

    def __init__(self, section: dict, source_keys: dict[str, str]) -> None:
        self.section = section
        self.source_keys = source_keys
        self.languages = {code.lower() for code in section["languages"]}
        self.dropped = {"redacted": 0, "flagged": 0, "length": 0, "language": 0, "harm": 0,
                        "no_task": 0}
        self.rules: dict[str, dict[str, int]] = {"harm": {}, "no_task": {}}
        self.screened: list[dict[str, Any]] = []   # screened.parquet rows
        self.moderated = 0      # prompts whose record has a moderation field
        self.stripped = 0       # prompts whose copy-paste residue was stripped
        self.cut = 0
        self.kept = 0
        self.duplicates = 0
        self._first_by_hash: dict[str, str] = {}

    def apply(self, prompt: Prompt) -> dict[str, Any] | None:
        """The prompts.parquet row for `prompt`, or None when a filter drops it."""
        section = self.section
        conversation = prompt.conversation
        if section["drop_redacted"] and conversation.redacted:
            self.dropped["redacted"] += 1
            return None
        self.moderated += conversation.moderated
        if section["drop_flagged"] and conversation.flagged:
            self.dropped["flagged"] += 1
            return None
        text = clean(prompt.text)
        if section["strip_residue"]:
            stripped = strip_residue(text)
            if stripped != text:
                self.stripped += 1
                text = stripped
        if len(text) < section["min_chars"]:
            self.dropped["length"] += 1
            return None
        if len(text) > section["max_chars"]:
            text = text[: section["max_chars"]]
            self.cut += 1
        language = language_code(conversation.language)
        if language is None and section["detect_language"]:
            language = detect_language(text, self.languages)
        if self.languages and language not in self.languages:
            self.dropped["language"] += 1
            return None
        key = self.source_keys[prompt.source.label]
        row_id = prompt_id(key, prompt.row, prompt.turn)
        if section["screen"]:
            finding = screen(text)
            if finding is not None:
                group, rule = finding.rule.split(":", 1)
                self.dropped[group] += 1
                self.rules[group][rule] = self.rules[group].get(rule, 0) + 1
                self.screened.append({
                    "id": row_id, "source": prompt.source.label, "row": prompt.row,
                    "turn": prompt.turn, "dataset": conversation.dataset,
                    "rule": finding.rule, "match": finding.match[:200], "text": text,
                })
                return None
        self.kept += 1
        digest = text_hash(text)
        dup_of = None
        if section["dedup"]:
            dup_of = self._first_by_hash.setdefault(digest, row_id)
            if dup_of == row_id:
                dup_of = None
            else:
                self.duplicates += 1
        return {
            "id": row_id,
            "text": text,
            "hash": digest,
            "source": prompt.source.label,
            "row": prompt.row,
            "conversation_id": conversation.conversation_id,
            "turn": prompt.turn,
            "language": language,
            "n_chars": len(text),
            "format": conversation.format,
            "dup_of": dup_of,
            "near_dup_of": None,
            "dataset": conversation.dataset,
        }

    def funnel(self, counts: ReadCounts) -> list[dict[str, Any]]:
        """The ordered funnel: read -> parsed -> prompts -> kept after each enabled filter."""
        section = self.section
        steps: list[dict[str, Any]] = [
            {"step": "read", "count": counts.read},
            {"step": "parsed", "count": counts.parsed, "dropped": counts.skipped},
            {"step": f"prompts (turns: {section['turns']})", "count": counts.prompts,
             "no_user_turn": counts.no_user_turn},
        ]
        remaining = counts.prompts
        moderation = ("flagged", "not moderation-flagged", section["drop_flagged"])
        if section["drop_flagged"] and not self.moderated:
            moderation = ("flagged", NO_MODERATION, True)
        named = [
            ("redacted", "not redacted", section["drop_redacted"]),
            moderation,
            ("residue", RESIDUE_STEP, section["strip_residue"]),
            ("length", f"at least {section['min_chars']} chars", True),
            ("language", f"language in {','.join(sorted(self.languages))}", bool(self.languages)),
            ("harm", HARM_STEP, section["screen"]),
            ("no_task", NO_TASK_STEP, section["screen"]),
        ]
        for key, label, enabled in named:
            if not enabled:
                continue
            remaining -= self.dropped.get(key, 0)
            step: dict[str, Any] = {"step": label, "count": remaining,
                                    "dropped": self.dropped.get(key, 0)}
            if key == "flagged" and label != NO_MODERATION and self.moderated < counts.prompts:
                step["without_moderation_data"] = counts.prompts - self.moderated
            if key == "residue":
                step["stripped"] = self.stripped
            if key == "length":
                step["cut_at_max_chars"] = self.cut
            if key in self.rules:
                step["rules"] = dict(sorted(self.rules[key].items(), key=lambda kv: -kv[1]))
            steps.append(step)
        if section["dedup"]:
            steps.append({"step": "distinct (exact duplicates marked dup_of)",
                          "count": self.kept - self.duplicates, "dropped": self.duplicates})
        return steps


def format_funnel(steps: list[dict[str, Any]]) -> str:
    """The funnel as an aligned table for people."""
    width = max(len(step["step"]) for step in steps)
    lines = []
    for step in steps:
        line = f"  {step['step']:<{width}}  {step['count']:>12,}"
        if step.get("dropped"):
            line += f"  (-{step['dropped']:,})"
        if step.get("cut_at_max_chars"):
            line += f"  [{step['cut_at_max_chars']:,} cut at max_chars]"
        if step.get("stripped"):
            line += f"  [{step['stripped']:,} stripped]"
        if step.get("without_moderation_data"):
            line += f"  [{step['without_moderation_data']:,} had no moderation data]"
        if step.get("rules"):
            line += "  [" + ", ".join(f"{r} {n:,}" for r, n in step["rules"].items()) + "]"
        lines.append(line)
    return "\n".join(lines)

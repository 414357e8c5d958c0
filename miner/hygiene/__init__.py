"""The hygiene screen: requests for harm and prompts with no task (rules.py, word lists per
language in words/), and copy-paste residue stripped at ingest (residue.py)."""

from miner.hygiene.residue import strip_residue
from miner.hygiene.rules import Finding, rules_digest, screen

__all__ = ["Finding", "rules_digest", "screen", "strip_residue"]

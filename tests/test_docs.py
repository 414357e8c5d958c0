"""The docs cannot drift from the CLI: every command's page (docs/commands/CMD.md) names
every long option `miner CMD --help` lists (read from click's command objects), every
option a page names exists (on that command, or on a command the page names),
and every relative link of README.md and the docs pages resolves to a file."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from miner.cli import main

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ROOT / "docs" / "commands"
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
NAMED = re.compile(r"\bminer ([a-z]+)|`([a-z]+) --")
LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)]*)?\)")


def _leaves(command: click.Command) -> list[click.Command]:
    if isinstance(command, click.Group):
        return [leaf for sub in command.commands.values() for leaf in _leaves(sub)]
    return [command]


def long_options(name: str) -> set[str]:
    """Every long option `miner NAME --help` lists (a group: all its subcommands')."""
    return {opt for leaf in _leaves(main.commands[name]) for param in leaf.params
            if isinstance(param, click.Option) and not param.hidden
            for opt in (*param.opts, *param.secondary_opts) if opt.startswith("--")}


def test_every_command_has_a_page_and_every_page_a_command():
    assert {p.stem for p in COMMANDS.glob("*.md")} == set(main.commands)


@pytest.mark.parametrize("name", sorted(main.commands))
def test_the_page_names_every_option_of_the_command(name):
    page = (COMMANDS / f"{name}.md").read_text("utf-8")
    missing = long_options(name) - set(FLAG.findall(page))
    assert not missing, f"docs/commands/{name}.md does not name {sorted(missing)}"


def known_options(name: str, page: str) -> set[str]:
    """The options a page may name: its command's, and those of every command it names
    (`miner score`, or `score --then` in backquotes)."""
    named = {a or b for a, b in NAMED.findall(page)} & set(main.commands)
    return {"--help"} | long_options(name) | {o for other in named for o in long_options(other)}


@pytest.mark.parametrize("name", sorted(main.commands))
def test_every_option_the_page_names_exists(name):
    page = (COMMANDS / f"{name}.md").read_text("utf-8")
    unknown = sorted(set(FLAG.findall(page)) - known_options(name, page))
    assert not unknown, f"docs/commands/{name}.md names options no such command has: {unknown}"


def _markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


@pytest.mark.parametrize("path", _markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(path):
    broken = [target for target in LINK.findall(path.read_text("utf-8"))
              if "://" not in target and not (path.parent / target).exists()]
    assert not broken, f"{path.relative_to(ROOT)}: links to missing files {broken}"


def test_readme_links_every_command_page():
    readme = (ROOT / "README.md").read_text("utf-8")
    linked = set(re.findall(r"\(docs/commands/([a-z]+)\.md\)", readme))
    assert linked == set(main.commands)


def test_the_checks_catch_a_missing_and_a_made_up_option():
    """Each check can fail: a page without one of its command's options, or naming an option
    no command it mentions has."""
    page = (COMMANDS / "select.md").read_text("utf-8")
    without = page.replace("--max-similarity", "--max-similar")
    assert "--max-similarity" in long_options("select") - set(FLAG.findall(without))
    assert "--max-similar" in set(FLAG.findall(without)) - known_options("select", without)
    assert "--then" not in known_options("select", "`--then`")
    assert "--then" in known_options("select", "`score --then`")


THEMES = ("judges", "calls", "run-folder", "engines", "configuration")


@pytest.mark.parametrize("path", ["README.md", *(f"docs/{theme}.md" for theme in THEMES)])
def test_options_in_the_readme_and_theme_pages_exist(path):
    every = {"--help"} | {o for name in main.commands for o in long_options(name)}
    text = re.sub(r"`python [^`]*`", "", (ROOT / path).read_text("utf-8"))  # scripts' own
    unknown = sorted(set(FLAG.findall(text)) - every)
    assert not unknown, f"{path} names options no miner command has: {unknown}"

"""Keep the README and ARCHITECTURE.md honest about the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mofasearch import cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _subparsers() -> dict[str, object]:
    parser = cli.build_parser()
    action = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return dict(action.choices)  # type: ignore[attr-defined]


def quick_start_lines(text: str = README) -> list[str]:
    """The lines of the ```sh block under the Quick start heading (what .ci/run executes)."""
    section = re.search(r"^## Quick start\n(.*?)(?=^## )", text, re.M | re.S)
    assert section, "README has no '## Quick start' section"
    block = re.search(r"^```sh\n(.*?)^```", section.group(1), re.M | re.S)
    assert block, "the Quick start section has no ```sh block"
    return block.group(1).splitlines()


def test_quick_start_is_two_lines_that_set_up_run_and_test() -> None:
    lines = quick_start_lines()
    assert len(lines) == 2, lines
    setup, test = lines
    assert "venv" in setup and "pip install ." in setup and "mofasearch search" in setup
    assert "pip install '.[test]'" in test and "pytest" in test


def test_every_subcommand_is_documented() -> None:
    commands = _subparsers()
    assert set(commands) == {"index", "search", "analyze", "stats"}
    for name in commands:
        assert re.search(rf"^mofasearch {name}\b", README, re.M), f"`mofasearch {name}` usage line"
        assert f"**`mofasearch {name}" in README, f"`mofasearch {name}` description"


@pytest.mark.parametrize("command", ["index", "search", "analyze", "stats"])
def test_every_flag_in_help_is_in_the_readme(command: str) -> None:
    helptext = _subparsers()[command].format_help()  # type: ignore[attr-defined]
    flags = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", helptext))
    assert flags, helptext
    missing = {flag for flag in flags if flag not in README}
    assert not missing, f"mofasearch {command} --help has flags the README does not mention"


def test_query_language_section_is_the_parsers_own() -> None:
    from mofasearch.query import QUERY_LANGUAGE

    assert QUERY_LANGUAGE.strip() in README, "README's query language section has drifted"


def test_architecture_maps_every_module() -> None:
    architecture = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    package = ROOT / "mofasearch"
    modules = {
        p.relative_to(ROOT).with_suffix("").as_posix().replace("/", ".")
        for p in package.glob("*.py")
        if p.name not in {"__init__.py", "__main__.py"}
    }
    modules |= {
        p.relative_to(ROOT).as_posix().replace("/", ".")
        for p in package.iterdir()
        if (p / "__init__.py").exists()
    }
    missing = {m for m in modules if f"`{m}`" not in architecture}
    assert not missing, f"ARCHITECTURE.md does not describe {sorted(missing)}"

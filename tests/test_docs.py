"""The documents stay true: every test docs/reliability.md cites exists, and the README's
command reference names every command and option, each of which says what it does in --help."""

import re
from typing import Any

import typer
from typer.testing import CliRunner

from vigil.cli import app

from tests.conftest import ROOT


def test_every_test_the_reliability_table_cites_exists() -> None:
    document = (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")
    current, cited, missing = None, 0, []
    for reference in re.findall(r"`([^`]*test_\w+[^`]*)`", document):
        parts = reference.split("::")
        if parts[0].startswith("tests/"):
            current, names = parts[0], parts[1:]
        else:
            names = [part for part in parts if part]
        assert current is not None, reference
        source = (ROOT / current).read_text(encoding="utf-8")
        for name in names:
            name = re.sub(r"\[.*", "", name)
            cited += 1
            if not re.search(rf"def {re.escape(name)}\b", source):
                missing.append(f"{current}::{name}")
    assert cited > 40 and missing == []


# -- the command reference -------------------------------------------------------------------


def _command_tree() -> list[tuple[str, Any]]:
    """Every command of the ``vigil`` app, root first, as ("rules check", click command).

    ``Any``: the click classes are typer's own copy in newer typer, click's in older."""
    found: list[tuple[str, Any]] = []

    def walk(path: str, command: Any) -> None:
        found.append((path, command))
        for name, sub in getattr(command, "commands", {}).items():
            walk(f"{path} {name}".strip(), sub)

    walk("", typer.main.get_command(app))
    return found


def _reference_rows() -> dict[str, str]:
    """The rows of the README's command table, by the command their first cell names."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## The `vigil` command\n", 1)[1].split("\n## ", 1)[0]
    paths = {path for path, _ in _command_tree()}
    rows: dict[str, str] = {}
    for row, cell in re.findall(r"^(\| `vigil ([^`]*)`.*)$", section, flags=re.MULTILINE):
        words = cell.split()
        prefixes = (" ".join(words[:n]) for n in range(len(words), 0, -1))
        named = next((prefix for prefix in prefixes if prefix in paths), None)
        assert named is not None, f"the README documents a command vigil does not have: {row}"
        rows[named] = rows.get(named, "") + row
    return rows


def _options(command: Any) -> list[Any]:
    # Hidden options are old spellings kept working (with a notice), not documented anew.
    return [
        p
        for p in command.params
        if p.param_type_name == "option" and p.name != "help" and not getattr(p, "hidden", False)
    ]


def _squeezed(text: str) -> str:
    return "".join(text.split())  # --help wraps lines, at spaces and after hyphens


def test_every_command_and_option_is_in_the_readme_command_reference() -> None:
    rows = _reference_rows()
    # A group is documented by the rows of its commands; one that runs itself needs its own.
    documented = {
        " ".join(path.split()[:n]) for path in rows for n in range(1, path.count(" ") + 2)
    }
    missing = []
    for path, command in _command_tree()[1:]:
        if path not in documented:
            missing.append(f"vigil {path}")
            continue
        own = rows.get(path, "")
        if getattr(command, "commands", None) and not _options(command):
            continue
        if not own:
            missing.append(f"vigil {path} (its own row)")
        for option in _options(command):
            names = [*option.opts, *option.secondary_opts]
            if not any(re.search(rf"{re.escape(name)}(?![\w-])", own) for name in names):
                missing.append(f"vigil {path} {option.opts[0]}")
    assert missing == [], f"not in the README's command reference: {', '.join(missing)}"


def test_every_command_option_and_argument_says_what_it_does_in_help() -> None:
    runner = CliRunner()
    silent = []
    for path, command in _command_tree():
        result = runner.invoke(app, [*path.split(), "--help"])
        assert result.exit_code == 0, (path, result.output)
        shown = _squeezed(result.output)
        if not (command.help or "").strip() or _squeezed(command.help) not in shown:
            silent.append(f"vigil {path}".strip())
        for param in command.params:
            if param.name == "help" or getattr(param, "hidden", False):
                continue
            help_text = (getattr(param, "help", None) or "").strip()
            if not help_text or _squeezed(help_text) not in shown:
                silent.append(f"vigil {path} {param.name}".strip())
    assert silent == [], f"no help text in --help: {', '.join(silent)}"


def test_every_option_shows_a_metavar_a_person_reads() -> None:
    """DATE, FILE, ID or the choices; never a type's name (<path>, <list[str]>, <float range>)
    or a strftime pattern."""
    runner = CliRunner()
    unreadable = []
    for path, _command in _command_tree():
        shown = runner.invoke(app, [*path.split(), "--help"]).output
        for found in re.finditer(r"^\s+(--[a-z-]+) (\S+)", shown, re.MULTILINE):
            option, metavar = found.groups()
            if not (
                re.fullmatch(r"[A-Z][A-Z:]*", metavar)
                or re.fullmatch(r"<[a-z]+(\|[a-z]+)+>", metavar)
            ):
                unreadable.append(f"vigil {path} {option} {metavar}".replace("  ", " "))
    assert unreadable == [], unreadable

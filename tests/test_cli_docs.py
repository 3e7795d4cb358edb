"""Every command has help text and is documented in README.md (as sqlite-utils checks)."""

from pathlib import Path

import click
import pytest

from regwatch.cli import cli

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in group.commands.items():
        full = f"{prefix}{name}"
        found.append((full, command))
        if isinstance(command, click.Group):
            found += _commands(command, full + " ")
    return found


@pytest.mark.parametrize("name,command", _commands(cli), ids=lambda v: v if isinstance(v, str) else "")
def test_command_has_help_and_is_in_readme(name, command):
    assert (command.help or "").strip(), f"{name} has no help text"
    assert f"regwatch {name}" in README, f"`regwatch {name}` is not documented in README.md"

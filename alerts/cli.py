"""CLI commands of the alerts stage."""

COMMANDS: list = []

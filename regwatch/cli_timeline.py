"""CLI commands of the timeline and search."""

COMMANDS: list = []

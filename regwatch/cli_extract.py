"""CLI commands of the extraction stage (defined in extract/cli.py)."""

from extract.cli import eval_command

COMMANDS = [eval_command]

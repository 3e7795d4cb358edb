"""YAML data files read with libyaml's loader where PyYAML has it (the pure-Python one
reads the country table in a tenth of a second, which every portfolio reading paid)."""

from __future__ import annotations

from typing import IO, Any

import yaml

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(text: str | bytes | IO[str]) -> Any:
    """``yaml.safe_load``, faster: the same plain data, the same ``yaml.YAMLError``."""
    return yaml.load(text, Loader=LOADER)  # noqa: S506 - a safe loader, C or Python

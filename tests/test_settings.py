"""One settings module: every environment variable is declared in core/settings.py, read
only there, and documented in the README's one table."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from core import clock, settings

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = sorted(p.parent.name for p in ROOT.glob("*/__init__.py")
                  if p.parent.name not in ("tests", "bench"))


def _project_modules() -> list[Path]:
    return [p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))]


def test_no_module_but_core_settings_touches_the_environment():
    offenders = []
    for path in _project_modules():
        if path == ROOT / "core" / "settings.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id == "os" and node.attr in ("environ", "getenv", "putenv")):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            if isinstance(node, ast.ImportFrom) and node.module == "os" and any(
                    a.name in ("environ", "getenv") for a in node.names):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_every_variable_read_is_declared():
    used = set()
    for path in _project_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "env" and node.args
                    and isinstance(node.args[0], ast.Constant)):
                used.add(node.args[0].value)
    assert used - set(settings.ENV) == set()
    assert {"REGWATCH_DB", "REGWATCH_CONFIG", "REGWATCH_MIRROR", "REGWATCH_ALERTS_NOW"} <= used


def test_the_readme_table_is_the_declared_table():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(REGWATCH_[A-Z_]+)` \| [^|]+ \| [^|]+ \| ([^|]+) \|$", readme,
                           re.M))
    assert set(rows) == set(settings.ENV)
    assert {name: default.strip() for name, default in rows.items()} == {
        name: default for name, (_, default, _) in settings.ENV.items()}


def test_an_undeclared_variable_is_refused(monkeypatch):
    monkeypatch.setenv("REGWATCH_NOT_A_SETTING", "1")
    with pytest.raises(KeyError, match="not declared"):
        settings.env("REGWATCH_NOT_A_SETTING")
    monkeypatch.setenv("REGWATCH_REVISIT_MAX", "7")
    assert settings.env("REGWATCH_REVISIT_MAX") == "7"


def test_the_clock_gives_the_regulators_day(monkeypatch):
    # 20:30 UTC on 9 October is already 10 October in Beijing
    monkeypatch.setenv("REGWATCH_ALERTS_NOW", "2025-10-09T20:30:00Z")
    assert clock.today() == "2025-10-10"
    assert clock.now().isoformat() == "2025-10-09T20:30:00+00:00"
    monkeypatch.setenv("REGWATCH_ALERTS_NOW", "2025-10-09T15:59:00Z")
    assert clock.today() == "2025-10-09"
    assert clock.stamp(clock.parse("2025-10-09T15:59:00.000001Z")) == "2025-10-09T15:59:00.000001Z"

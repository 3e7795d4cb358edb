"""Every benchmark runs, at its seconds-long ``--smoke`` size, so a broken one breaks
``make test`` (bench/alerts_bench.py once imported a module that no longer existed and
nothing noticed). A benchmark is any ``bench/*.py`` that runs as a script."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCHES = sorted(p.stem for p in (ROOT / "bench").glob("*.py")
                 if 'if __name__ == "__main__"' in p.read_text(encoding="utf-8"))


def test_the_benchmarks_are_found():
    assert {"crawl", "attachments_bench", "extract_bench", "alerts_bench", "timeline_bench",
            "web_bench"} <= set(BENCHES)


@pytest.mark.timeout(240)
@pytest.mark.parametrize("name", BENCHES)
def test_benchmark_runs_at_smoke_size(name, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", f"bench.{name}", "--smoke"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=220)
    assert done.returncode == 0, f"bench.{name} --smoke failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    assert done.stdout.strip(), f"bench.{name} printed no figures"

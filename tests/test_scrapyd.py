"""Deploy the project to a real local Scrapyd, schedule a crawl over its HTTP API, and find
the documents in the catalogue."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import scrapyd_deploy, scrapyd_get, scrapyd_run

from mirror.site import load_entries, state_on
from store import catalogue

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("alerts", "crawler", "extract", "mirror", "regwatch", "store")


def test_deploy_schedule_and_store(scrapyd, make_mirror, db_path, tmp_path):
    url = scrapyd("scrapyd", max_proc=2)
    # deploy from a copy of the project, as `scrapyd-deploy local` does from a checkout
    project = tmp_path / "project"
    project.mkdir()
    for name in PACKAGES:
        shutil.copytree(ROOT / name, project / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("setup.py", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, project / name)
    scrapyd_deploy(url, project)
    assert "gacc" in scrapyd_get(f"{url}/listspiders.json?project=regwatch")["spiders"]

    server = make_mirror(day=1)
    scrapyd_run(url, [
        ("spider", "gacc"), ("mirror", server.url),
        ("setting", f"REGWATCH_DB={db_path}"), ("setting", "AUTOTHROTTLE_ENABLED=False"),
        ("setting", "DOWNLOAD_DELAY=0"),
    ], 90, "the Scrapyd job")

    db = catalogue.open_db(db_path)
    expected = len([e for e in state_on(load_entries(), 1) if e["site"] == "gacc"])
    assert db.execute("select count(*) from documents where source = 'gacc'").fetchone()[0] == expected
    run = db.execute("select status, new_documents from crawl_runs").fetchall()
    assert run == [("ok", expected)]

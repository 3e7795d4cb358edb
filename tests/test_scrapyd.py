"""Deploy the project to a real local Scrapyd, schedule a crawl over its HTTP API, and find
the documents in the catalogue."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from mirror.site import load_entries, state_on
from store import catalogue

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PACKAGES = ("alerts", "crawler", "extract", "mirror", "regwatch", "store")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def _post(url: str, fields: list[tuple[str, str]]) -> dict:
    data = urllib.parse.urlencode(fields).encode()
    with urllib.request.urlopen(url, data=data, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture
def scrapyd(tmp_path):
    if not (BIN / "scrapyd").exists():
        pytest.skip("scrapyd is not installed (make test installs it)")
    port = _free_port()
    home = tmp_path / "scrapyd"
    home.mkdir()
    (home / "scrapyd.conf").write_text(
        f"[scrapyd]\nbind_address = 127.0.0.1\nhttp_port = {port}\n"
        f"eggs_dir = {home}/eggs\nlogs_dir = {home}/logs\ndbs_dir = {home}/dbs\n"
        "items_dir =\nmax_proc = 2\npoll_interval = 0.5\n")
    proc = subprocess.Popen([str(BIN / "scrapyd")], cwd=home, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            _get(f"{url}/daemonstatus.json")
            break
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                raise
            time.sleep(0.3)
    yield url, home
    proc.terminate()
    proc.wait(timeout=10)


def test_deploy_schedule_and_store(scrapyd, make_mirror, db_path, tmp_path):
    url, home = scrapyd
    # deploy from a copy of the project, as `scrapyd-deploy local` does from a checkout
    project = tmp_path / "project"
    project.mkdir()
    for name in PACKAGES:
        shutil.copytree(ROOT / name, project / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("setup.py", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, project / name)
    cfg = (ROOT / "scrapy.cfg").read_text().replace("http://127.0.0.1:6800/", url + "/")
    (project / "scrapy.cfg").write_text(cfg)
    deployed = subprocess.run([str(BIN / "scrapyd-deploy"), "local", "-p", "regwatch"],
                              cwd=project, capture_output=True, text=True, timeout=120)
    assert deployed.returncode == 0, deployed.stderr
    assert "gacc" in _get(f"{url}/listspiders.json?project=regwatch")["spiders"]

    server = make_mirror(day=1)
    job = _post(f"{url}/schedule.json", [
        ("project", "regwatch"), ("spider", "gacc"), ("mirror", server.url),
        ("setting", f"REGWATCH_DB={db_path}"), ("setting", "AUTOTHROTTLE_ENABLED=False"),
        ("setting", "DOWNLOAD_DELAY=0"),
    ])
    assert job["status"] == "ok"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        jobs = _get(f"{url}/listjobs.json?project=regwatch")
        if any(j["id"] == job["jobid"] for j in jobs["finished"]):
            break
        time.sleep(0.5)
    else:
        pytest.fail("the Scrapyd job did not finish")

    db = catalogue.open_db(db_path)
    expected = len([e for e in state_on(load_entries(), 1) if e["site"] == "gacc"])
    assert db.execute("select count(*) from documents where source = 'gacc'").fetchone()[0] == expected
    run = db.execute("select status, new_documents from crawl_runs").fetchall()
    assert run == [("ok", expected)]

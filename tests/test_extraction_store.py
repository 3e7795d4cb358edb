"""Extractions stored per (version, extractor version): reproducible, never replaced."""

from __future__ import annotations

import json

from click.testing import CliRunner

from crawler.run import crawl
from extract.pipeline import load_extractor
from regwatch.cli import cli
from regwatch.jobs import extract_pending
from store import catalogue
from store.extractions import extraction_history


def test_extractions_are_reproducible_and_versioned(make_mirror, db_path, tmp_path, monkeypatch):
    server = make_mirror(day=1)
    crawl(["mofcom"], db_path, mirror=server.url)
    db = catalogue.open_db(db_path)
    first = extract_pending(db)
    versions = db["versions"].count
    assert first["extracted"] == versions

    # the same versions and extractor version, extracted into a second catalogue: same rows
    other = str(tmp_path / "other.db")
    crawl(["mofcom"], other, mirror=server.url)
    db2 = catalogue.open_db(other)
    extract_pending(db2)
    rows = lambda d: {r[0]: r[1] for r in d.execute(  # noqa: E731
        "select v.content_hash, e.result from extractions e join versions v on v.id = e.version_id")}
    assert rows(db) == rows(db2)

    # running again with the same extractor adds nothing
    assert extract_pending(db)["extracted"] == 0

    # a new extractor version adds rows and keeps the old ones
    extractor = load_extractor()
    monkeypatch.setattr(extractor, "version", extractor.version + "+next")
    result = CliRunner().invoke(cli, ["reextract", "--db", db_path, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["extracted"] == versions
    assert db["extractions"].count == 2 * versions
    doc = db.execute("select id from documents where number = 'MOFCOM-2025-61'").fetchone()[0]
    history = extraction_history(db, doc)
    assert [h["extractor_version"] for h in history] == [extractor.version.removesuffix("+next"),
                                                         extractor.version]

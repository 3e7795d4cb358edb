"""A counterparty file: the CSV a compliance officer keeps (``name``, ``country``, optional
``address`` and ``aliases`` separated by ``;``), read into plain dicts for screening and
for subscriptions that watch it."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from core import userfiles

COLUMNS = ("name", "country", "address", "aliases")


class BadCounterparties(ValueError):
    """The file cannot be read as a counterparty CSV."""


def read_csv(path: str | Path) -> list[dict[str, Any]]:
    """One dict per row with a name: ``{"name", "country", "address", "aliases": [...]}``.

    :raises BadCounterparties: when the file is unreadable or has no ``name`` column.
    """
    try:
        text = userfiles.decode(Path(path).read_bytes())
    except OSError as exc:
        raise BadCounterparties(f"{path}: {exc.strerror}") from exc
    except userfiles.UnreadableText as exc:
        raise BadCounterparties(f"{path}: {exc}") from exc
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=userfiles.delimiter(text))
    rows = []
    try:
        if not reader.fieldnames or "name" not in [f.strip().lower() for f in reader.fieldnames]:
            raise BadCounterparties(f"{path}: needs a 'name' column")
        for raw in reader:
            row = {k.strip().lower(): (v or "").strip() for k, v in raw.items()
                   if isinstance(k, str) and k}
            if not row.get("name"):
                continue
            rows.append({"name": row["name"], "country": row.get("country") or None,
                         "address": row.get("address") or None,
                         "aliases": [a.strip() for a in (row.get("aliases") or "").split(";")
                                     if a.strip()]})
    except csv.Error as exc:  # a cell past the csv module's size limit, …
        raise BadCounterparties(f"{path}: not a readable CSV at line {reader.line_num} "
                                f"({exc})") from exc
    return rows


def entities_matched(screener: Any, counterparty: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The listed entities a counterparty matches (band ``match``, at the screener's
    threshold), by entity id: the best hit over its name and aliases, with score and why."""
    best: dict[str, dict[str, Any]] = {}
    for name in [counterparty["name"], *(counterparty.get("aliases") or [])]:
        for hit in screener.screen(name, counterparty.get("country") or None):
            if hit["band"] != "match":
                continue
            known = best.get(hit["entity_id"])
            if known is None or hit["score"] > known["score"]:
                best[hit["entity_id"]] = {"score": hit["score"], "query": name,
                                          "why": hit["why"].get("rule")}
    return best

"""Entity lists from their YAML form: listings, change events and count checks.

The YAML (``mirror/data/entities.yaml``) holds one block per list announcement with its
entities, and the later notices that suspend or remove them. This module flattens it
into plain rows: one listing per (entity, list, announcement) and one event per
(entity, list) change, which ``screening.state.state_on`` reads.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from core import yamldata


class BadLists(ValueError):
    """A lists file that cannot be read, or is not shaped as one."""


# what each block of a lists file must carry (mirror/data/entities.yaml)
ANNOUNCEMENT_KEYS = ("id", "list", "applies_from", "entities")
ENTITY_KEYS = ("id", "zh", "en")
NOTICE_KEYS = ("id", "effective", "changes")
CHANGE_KEYS = ("target", "action")
ACTIONS = ("suspend", "remove")


def load(path: str | Path) -> dict[str, Any]:
    """Read a lists file: ``{"announcements": [...], "changes": [...]}``.

    :raises BadLists: naming the file and what is wrong (not YAML, not UTF-8, a block
        without a key every block needs), before anything is stored
    """
    try:
        data = yamldata.load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise BadLists(f"{path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise BadLists(f"{path}: not UTF-8 text") from exc
    except yaml.YAMLError as exc:
        raise BadLists(f"{path}: not YAML ({' '.join(str(exc).split())})") from exc
    check(data, str(path))
    return data


def check(data: Any, where: str) -> None:
    """That ``data`` is shaped as a lists file (see :func:`load`)."""
    if not isinstance(data, dict) or not isinstance(data.get("announcements"), list):
        raise BadLists(f"{where}: a lists file is a mapping with an 'announcements' list")
    for n, ann in enumerate(data["announcements"], 1):
        _needs(ann, ANNOUNCEMENT_KEYS, f"{where}: announcement {n}")
        if not isinstance(ann["entities"], list):
            raise BadLists(f"{where}: announcement {ann['id']}: 'entities' is not a list")
        for k, entity in enumerate(ann["entities"], 1):
            _needs(entity, ENTITY_KEYS, f"{where}: announcement {ann['id']}, entity {k}")
    known = {ann["id"] for ann in data["announcements"]}
    notices = data.get("changes") or []
    if not isinstance(notices, list):
        raise BadLists(f"{where}: 'changes' is not a list")
    for n, notice in enumerate(notices, 1):
        _needs(notice, NOTICE_KEYS, f"{where}: change notice {n}")
        if not isinstance(notice["changes"], list):
            raise BadLists(f"{where}: change notice {notice['id']}: 'changes' is not a list")
        for k, change in enumerate(notice["changes"], 1):
            _needs(change, CHANGE_KEYS, f"{where}: change notice {notice['id']}, change {k}")
            if change["target"] not in known:
                raise BadLists(f"{where}: change notice {notice['id']} targets "
                               f"{change['target']!r}, which no announcement of the file is")
            if change["action"] not in ACTIONS:
                raise BadLists(f"{where}: change notice {notice['id']}: action "
                               f"{change['action']!r} is not one of {', '.join(ACTIONS)}")


def _needs(block: Any, keys: tuple[str, ...], where: str) -> None:
    if not isinstance(block, dict):
        raise BadLists(f"{where} is not a mapping")
    missing = [key for key in keys if block.get(key) in (None, "")]
    if missing:
        raise BadLists(f"{where} has no {', '.join(repr(k) for k in missing)}")


def listings(data: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per entity per list announcement."""
    rows = []
    for ann in data["announcements"]:
        for entity in ann["entities"]:
            rows.append(
                {
                    "entity_id": entity["id"],
                    "zh": entity["zh"],
                    "en": entity["en"],
                    "aliases": list(entity.get("aliases", [])),
                    "country": entity.get("country"),
                    "address": entity.get("address"),
                    "kind": entity.get("kind", "company"),
                    "list": ann["list"],
                    "announcement": ann["id"],
                    "announcement_number": ann.get("number"),
                    "applies_from": str(ann["applies_from"]),
                }
            )
    return rows


def entities(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Distinct entities (an entity on two lists is one entity), with all its names."""
    merged: dict[str, dict[str, Any]] = {}
    for row in listings(data):
        entity = merged.setdefault(
            row["entity_id"],
            {"id": row["entity_id"], "zh": row["zh"], "en": row["en"], "aliases": [],
             "country": row["country"], "kind": row["kind"], "address": row["address"]},
        )
        for name in [row["zh"], row["en"], *row["aliases"]]:
            if name not in (entity["zh"], entity["en"]) and name not in entity["aliases"]:
                entity["aliases"].append(name)
    return list(merged.values())


def events(data: dict[str, Any]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Change events keyed by (entity id, list), oldest first.

    A listing is an ``add`` on its ``applies_from`` date; a change notice's ``suspend``
    and ``remove`` apply to every entity of the announcement it targets, or to the
    entities it names.
    """
    by_announcement = {ann["id"]: ann for ann in data["announcements"]}
    out: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in listings(data):
        out[(row["entity_id"], row["list"])].append(
            {"date": row["applies_from"], "action": "add", "announcement": row["announcement"],
             "about": row["announcement"], "fictional": False}
        )
    for notice in data.get("changes", []):
        for change in notice["changes"]:
            target = by_announcement[change["target"]]
            wanted = set(change.get("entities") or [e["id"] for e in target["entities"]])
            for entity in target["entities"]:
                if entity["id"] not in wanted:
                    continue
                event = {
                    "date": str(notice["effective"]),
                    "action": change["action"],
                    "announcement": notice["id"],
                    "about": target["id"],
                    "fictional": bool(notice.get("fictional")),
                }
                if change.get("until"):
                    event["until"] = str(change["until"])
                out[(entity["id"], target["list"])].append(event)
    for key in out:
        out[key].sort(key=lambda e: (e["date"], e["action"] != "add"))
    return dict(out)


def reconcile(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Announcements whose stated count differs from the entities carried.

    An announcement marked ``names_verified: false`` carries no names on purpose and is
    reported with ``reason: "names not verified"`` rather than as a mismatch.
    """
    problems = []
    for ann in data["announcements"]:
        stated = ann.get("stated_count")
        carried = len(ann["entities"])
        if ann.get("names_verified", True) is False:
            problems.append({"announcement": ann["id"], "stated": stated, "carried": carried,
                             "reason": "names not verified"})
        elif stated is not None and stated != carried:
            problems.append({"announcement": ann["id"], "stated": stated, "carried": carried,
                             "reason": "count mismatch"})
    return problems

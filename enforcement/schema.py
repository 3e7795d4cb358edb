"""Tables of the enforcement stage: ``enforcement`` migration 1, registered with the runner.

| table | one row per |
|---|---|
| ``cases`` | (page version, case-extractor version): a penalty decision read from a stored page (or its PDF) |

The whole case dict (with its source spans) is kept as JSON in ``data``; the columns
beside it are the ones listings filter and group on. Rows are never replaced: a new
extractor version adds rows, as ``extractions`` does for announcements.
"""

from __future__ import annotations

from sqlite_utils import Database

from store.migrations import register


def create_cases(db: Database) -> None:
    db["cases"].create(
        {"id": int, "document_id": int, "version_id": int, "extractor_version": str,
         "created_at": str, "read_from": str, "case_number": str, "case_type": str,
         "office": str, "region": str, "category": str, "material": str, "hs_code": str,
         "control_code": str, "decision_date": str, "fine": float, "export_control": int,
         "leniency": str, "data": str},
        pk="id", foreign_keys=[("document_id", "documents", "id"), ("version_id", "versions", "id")],
        if_not_exists=True,
    )
    db["cases"].create_index(["version_id", "extractor_version"], unique=True, if_not_exists=True)
    db["cases"].create_index(["decision_date"], if_not_exists=True)
    db["cases"].create_index(["case_number"], if_not_exists=True)
    db["cases"].create_index(["hs_code"], if_not_exists=True)


register("enforcement", [create_cases])

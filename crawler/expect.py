"""A source's declared expectations (sources.yaml ``expect``), checked on every crawl.

As zavod's assertions: a minimum that is not met is a failure, recorded as a source
error (so it reaches `regwatch status` and, once per transition, a health alert); a
maximum that is exceeded is only a warning (the site published more than usual, which
is news, not breakage).

- ``min_list_entries`` (default 1): announcement links the crawl must find on its list
  pages. A list page with none is an ``empty-list`` error whenever the minimum is 1 or
  more; a crawl that found some but fewer than the minimum is ``too-few-entries``.
  A source whose lists may legitimately be empty declares 0.
- ``max_list_entries`` (default none): more links than this in one crawl logs a warning
  and counts ``regwatch/expect/max_list_entries`` in the crawl's stats.
"""

from __future__ import annotations

from typing import Any

TOO_FEW = "too-few-entries"
DEFAULTS: dict[str, int | None] = {"min_list_entries": 1, "max_list_entries": None}


def expectations(source: dict[str, Any]) -> dict[str, int | None]:
    """The source's expectations, defaults filled in.

    :raises ValueError: for an unknown key or a value that is not a whole number >= 0
    """
    declared = source.get("expect") or {}
    unknown = sorted(set(declared) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"source {source.get('id')!r}: unknown expect keys {unknown} "
                         f"(known: {sorted(DEFAULTS)})")
    for key, value in declared.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"source {source.get('id')!r}: expect.{key} must be a whole "
                             f"number >= 0, not {value!r}")
    return {**DEFAULTS, **declared}


def check(expect: dict[str, int | None], entries: int, list_pages: int,
          empty_pages: int) -> tuple[list[tuple[str, str]], list[str]]:
    """Failures ``(reason, detail)`` and warnings for a crawl that read ``list_pages`` list
    pages (``empty_pages`` of them with no link, each already an ``empty-list`` error) and
    found ``entries`` announcement links on them."""
    failures: list[tuple[str, str]] = []
    warnings: list[str] = []
    if not list_pages:
        return failures, warnings  # no list page was read: the errors that stopped it say why
    least, most = expect["min_list_entries"] or 0, expect["max_list_entries"]
    if entries < least and not empty_pages:
        failures.append((TOO_FEW, f"{entries} list entries in this crawl; "
                                  f"sources.yaml expects at least {least}"))
    if most is not None and entries > most:
        warnings.append(f"{entries} list entries in this crawl; sources.yaml expects at most {most}")
    return failures, warnings

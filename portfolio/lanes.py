"""What tells one lane of a portfolio from another.

A shipment file lists the same SKU to one country for two customers, or for a civil and
a military end use: those are two lanes, each with its own verdict and screening. The
reader's duplicates, the stored versions, the changes, the alerts' kept verdicts and the
web page all key a lane so (kept light: the web and alerts import it).
"""

from __future__ import annotations

from typing import Any

LANE_FIELDS = ("sku", "destination", "counterparty", "end_use", "end_user")


def lane_key(row: dict[str, Any]) -> tuple[str, ...]:
    """A lane's identity: a product (sku) shipped to a destination, for a counterparty and
    an end use and end user, any of the last three empty."""
    return tuple(str(row.get(name) or "").strip() for name in LANE_FIELDS)

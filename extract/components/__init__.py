"""The regwatch rule components; importing this package registers every factory."""

from . import (  # noqa: F401
    announcements,
    codes,
    conditions,
    dates,
    issuers,
    kind,
    materials,
    number,
    references,
    structure,
)

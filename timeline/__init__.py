"""The timeline: items, derivation, state queries and search over the catalogue."""

from timeline import schema as _schema  # noqa: F401  (registers the timeline migrations)
from timeline import summary as _summary  # noqa: F401,E402  (registers the summary tables)

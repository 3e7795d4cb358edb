"""Counterparty screening against China's entity lists (control, watch, unreliable).

Small normalisers (``normalise``), a token index (``index``), a scorer that explains
itself (``score``), the screener that ties them together (``match``), the entity
timeline (``state``) and the list loader (``lists``). Every function takes and
returns plain dicts and strings. Thresholds live in ``config``.
"""

from screening import schema as _schema  # noqa: F401, E402  (registers the screening migrations)

"""A company's own products and lanes (its portfolio), read from the CSV or XLSX it already has.

``read`` validates a file into plain dicts, ``records`` stores lanes with history,
``status`` reads each lane's verdict from ``status`` answers (no matcher of its own; a
portfolio's questions of a day answered together by ``timeline.batch``), ``changes`` compares verdicts across the timeline's change dates, ``report`` writes
CSV and XLSX.
May import only core, store, extract, timeline and screening.
"""

from portfolio import schema as _schema  # noqa: F401  (registers the portfolio migration)

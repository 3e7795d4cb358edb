"""A company's own products and lanes (its portfolio), read from the CSV or XLSX it already has.

Phase 1 reads and validates a file into plain dicts (``portfolio.read.read_portfolio``);
storage, status and changes come later and will use the timeline's query semantics.
May import only core, store, extract, timeline and screening.
"""

from portfolio import schema as _schema  # noqa: F401  (registers the portfolio migration)

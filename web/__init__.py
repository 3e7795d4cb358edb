"""The web catalogue: Datasette over the regwatch catalogue, read-only, with Atom feeds.

One job per module: app (assemble Datasette), views (the SQL views it browses), guard
(no writes, private tables unreadable), search (Chinese full-text search), announcement
and pages (the announcement page), atom (Atom documents and the .atom renderer), feeds
(the feed routes), tokens (per-subscription feed tokens). See docs/web.md.
"""

from web import schema as _schema  # noqa: F401  (registers the web migrations)

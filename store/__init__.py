"""The versioned SQLite catalogue (sqlite-utils)."""

from store.catalogue import open_db
from store.errors import CatalogueError, NotFound

__all__ = ["CatalogueError", "NotFound", "open_db"]

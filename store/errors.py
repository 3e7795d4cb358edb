"""Domain exceptions of the catalogue."""


class CatalogueError(Exception):
    """Base class for catalogue errors."""


class NotFound(CatalogueError, KeyError):
    """A document, version or run asked for by id does not exist."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "not found"

"""Tables of the timeline (placeholder until the timeline lands)."""

from sqlite_utils import Database


def create_tables(db: Database) -> None:
    pass

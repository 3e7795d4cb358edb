"""Tables of the alerts stage (placeholder until the alerts stage lands)."""

from sqlite_utils import Database


def create_tables(db: Database) -> None:
    pass

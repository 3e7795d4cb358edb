"""The migration runner: each package registers its own numbered migrations.

The catalogue knows nothing of its consumers. A stage that owns tables (alerts, the
timeline, the web catalogue, …) calls :func:`register` when it is imported; the store's
own migrations are registered by ``store/schema.py``. Each package's version is kept in
``meta`` under ``schema_version`` (the store) or ``schema_version.<package>``.

Migrations are append-only: a shipped function is never edited (tests/test_migrations.py
pins each one's text by hash); a change to a table is a new function at the end of its
package's list.

Several processes may open a fresh catalogue at once (the service, a CLI, a crawl child):
each package's pending steps run inside ``BEGIN IMMEDIATE`` and the version is read again
once the write lock is held, so a step never runs twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlite_utils import Database

Migration = Callable[[Database], None]

STORE = "store"
_REGISTRY: dict[str, list[Migration]] = {}
_AFTER: dict[str, tuple[str, ...]] = {}


def register(package: str, migrations: Sequence[Migration],
             after: Sequence[str] = ()) -> None:
    """Declare ``package``'s migrations, in order; ``after`` names packages whose tables
    its migrations read (they are brought up to date first when registered).

    Registering the same list again (a module imported twice) is a no-op.

    :raises ValueError: when a different list is registered under the same name
    """
    steps = list(migrations)
    known = _REGISTRY.get(package)
    if known is not None and [f.__qualname__ for f in known] != [f.__qualname__ for f in steps]:
        raise ValueError(f"migrations of {package!r} registered twice with different steps")
    _REGISTRY[package] = steps
    _AFTER[package] = tuple(after)


def registered() -> dict[str, list[Migration]]:
    """The registered packages and their migrations, in the order they are applied."""
    order: list[str] = []

    def visit(name: str) -> None:
        if name in order or name not in _REGISTRY:
            return
        for dep in _AFTER.get(name, ()):
            visit(dep)
        order.append(name)

    visit(STORE)
    for name in _REGISTRY:
        visit(name)
    return {name: _REGISTRY[name] for name in order}


def version_key(package: str) -> str:
    return "schema_version" if package == STORE else f"schema_version.{package}"


def version(db: Database, package: str = STORE) -> int:
    """The migration number ``package`` has reached in ``db`` (0: none)."""
    if "meta" not in db.table_names():
        return 0
    row = db.execute("select value from meta where key = ?", [version_key(package)]).fetchone()
    return int(row[0]) if row else 0


def pending(db: Database) -> dict[str, int]:
    """Packages not at their head, with the version each has reached."""
    heads = {name: len(steps) for name, steps in registered().items()}
    return {name: v for name, v in ((n, version(db, n)) for n in heads) if v != heads[name]}


def migrate(db: Database) -> dict[str, int]:
    """Bring every registered package up to its last migration; return the versions.

    Reads only when nothing is pending, so opening an up-to-date catalogue writes nothing.

    :raises RuntimeError: when the file was written by a newer regwatch
    """
    plan = registered()
    reached: dict[str, int] = {}
    for name, steps in plan.items():
        current = version(db, name)
        if current == len(steps):
            reached[name] = current
            continue
        reached[name] = _upgrade(db, name, steps)
    return reached


def _upgrade(db: Database, package: str, steps: list[Migration]) -> int:
    own = not db.conn.in_transaction
    if own:
        db.execute("BEGIN IMMEDIATE")
    try:
        db.execute("create table if not exists [meta] ([key] TEXT PRIMARY KEY, [value] TEXT)")
        current = version(db, package)  # again, now that the write lock is held
        if current > len(steps):
            raise RuntimeError(f"catalogue schema {current} of {package} is newer than this "
                               f"regwatch ({len(steps)})")
        for number, step in enumerate(steps[current:], start=current + 1):
            step(db)
            db.execute("insert or replace into meta ([key], value) values (?, ?)",
                       [version_key(package), str(number)])
    except BaseException:
        if own:
            db.conn.rollback()
        raise
    if own:
        db.conn.commit()
    return len(steps)

"""Issue #14 finding 6 (CLI): a bad --db is one clear line and exit 2; only the commands
that create a catalogue create one.

Every command of the click group is found by walking it, so a command added later is
checked without editing this file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from regwatch.cli import cli
from store import catalogue

# The only commands that may create a catalogue where there is none (issue #14). `ingest`
# is the crawl's writer when Scrapyd nodes crawl; `lists load` loads the lists file, a
# source like a crawled site. `run` is not here: its --db only overrides the config's
# [catalogue] path, and the service creates the catalogue it crawls into.
CREATORS = {("crawl",), ("demo",), ("init",), ("ingest",), ("lists", "load")}
OWN_DB_OPTION = {("run",): "--db overrides the config's [catalogue] path; the service creates it"}


def regwatch(*args: str, prefix: tuple[str, ...] = (), **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([*prefix, sys.executable, "-c", "from regwatch.cli import cli; cli()",
                           *args], capture_output=True, text=True, timeout=120, **kwargs)


def one_line_error(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], lines[0]


def commands(group: click.Group = cli, path: tuple[str, ...] = ()) -> Iterator[
        tuple[tuple[str, ...], click.Command]]:
    """Every command and group under ``group`` with a ``--db`` option, by its words."""
    for name, command in sorted(group.commands.items()):
        words = (*path, name)
        if any(p.name == "db_path" for p in command.params):
            yield words, command
        if isinstance(command, click.Group):
            yield from commands(command, words)


def _value(param: click.Parameter, tmp: Path) -> list[str]:
    """A value the parameter's type accepts, so that parsing gets as far as the --db check."""
    kind = param.type
    if isinstance(kind, click.Path) and kind.exists:
        if kind.dir_okay and not kind.file_okay:
            folder = tmp / "a-folder"
            folder.mkdir(exist_ok=True)
            return [str(folder)]
        file = tmp / "a-file.csv"
        file.write_text("name\nx\n", encoding="utf-8")
        return [str(file)]
    if isinstance(kind, click.Choice):
        return [str(kind.choices[0])]
    if isinstance(kind, click.types.IntParamType | click.types.FloatParamType):
        return ["1"]
    return ["x"]


def invocation(words: tuple[str, ...], command: click.Command, db: Path, tmp: Path) -> list[str]:
    args = [*words, "--db", str(db)]
    for param in command.params:
        if isinstance(param, click.Argument) and param.required:
            args += _value(param, tmp)
        elif isinstance(param, click.Option) and param.required:
            args += [param.opts[0], *_value(param, tmp)]
    return args


def run_in_process(args: list[str]) -> click.testing.Result:
    return CliRunner().invoke(cli, args, env={"REGWATCH_DB": None})


def test_every_db_option_is_the_shared_one_and_only_the_creators_create():
    found = {words: getattr(command.callback, "creates_catalogue", None)
             for words, command in commands()}
    assert len(found) >= 30  # the walk found the commands, not an empty group
    unchecked = {words for words, creates in found.items() if creates is None}
    assert unchecked == set(OWN_DB_OPTION), unchecked  # a --db of its own skips the checks
    assert {words for words, creates in found.items() if creates} == CREATORS


def test_a_missing_catalogue_is_refused_by_every_command_but_the_creators(tmp_path):
    checked = []
    for words, command in commands():
        if words in CREATORS or words in OWN_DB_OPTION:
            continue
        path = tmp_path / f"mistyped-{'-'.join(words)}.db"
        result = run_in_process(invocation(words, command, path, tmp_path))
        assert result.exit_code == 2, (words, result.output)
        lines = result.stderr.strip().splitlines()
        assert lines == [f"Error: no catalogue at {path} (a mistyped --db? `regwatch crawl` or "
                         f"`regwatch init --db {path}` creates one)"], (words, result.stderr)
        assert not path.exists(), words
        checked.append(" ".join(words))
    assert {"subscribe", "portfolio import", "alerts send", "alerts", "reextract", "serve",
            "feeds token", "screen"} <= set(checked)


def test_a_non_sqlite_file_is_refused_by_every_command(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a catalogue\n" * 20)
    for words, command in commands():
        if words in OWN_DB_OPTION:
            continue
        result = run_in_process(invocation(words, command, path, tmp_path))
        assert result.exit_code == 2, (words, result.output)
        assert result.stderr.strip().splitlines() == [f"Error: {path} is not an SQLite database"]
    assert path.read_text().startswith("these are my notes")


def test_a_group_default_does_not_stand_in_for_the_subcommands_db(tmp_path, monkeypatch):
    """`alerts send --db X` checks X, not the `alerts` listing's default (regwatch.db here)."""
    path = tmp_path / "there.db"
    catalogue.open_db(path).close()
    monkeypatch.chdir(tmp_path / "..")
    assert not Path("regwatch.db").exists()
    for args in (["alerts", "send", "--no-record", "--db", str(path)],
                 ["subscriptions", "load", "--db", str(path), str(_toml(tmp_path))],
                 ["events", "--db", str(path)], ["alerts", "--db", str(path)]):
        result = run_in_process(args)
        assert result.exit_code == 0, (args, result.output, result.stderr)
    assert not Path("regwatch.db").exists()


def _toml(tmp_path: Path) -> Path:
    file = tmp_path / "subs.toml"
    file.write_text('[[subscription]]\nname = "ops"\nemail = "ops@example.com"\n', encoding="utf-8")
    return file


def test_the_creators_create_and_init_makes_one_for_subscribe(tmp_path):
    path = tmp_path / "new" / "regwatch.db"
    made = regwatch("init", str(tmp_path / "regwatch.toml"), "--db", str(path))
    assert made.returncode == 0, made.stderr
    assert {"documents", "crawl_runs"} <= set(catalogue.open_db(path).table_names())
    subscribed = regwatch("subscribe", "--db", str(path), "--email", "desk@example.org")
    assert subscribed.returncode == 0, subscribed.stderr


def test_a_non_sqlite_file_stops_a_crawl(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a catalogue\n" * 20)
    one_line_error(regwatch("runs", "--db", str(path)), "not an SQLite database")
    one_line_error(regwatch("crawl", "--db", str(path), "mofcom"), "not an SQLite database")
    assert path.read_text().startswith("these are my notes")


def test_a_corrupt_catalogue(tmp_path):
    path = tmp_path / "corrupt.db"
    catalogue.open_db(path).close()
    data = bytearray(path.read_bytes())
    data[100:4096] = os.urandom(3996)  # the schema page, after the header
    path.write_bytes(bytes(data))
    one_line_error(regwatch("runs", "--db", str(path)), str(path))


# -- read-only: by file permissions, and on a read-only file system -------------------

NOBODY = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")
RO_MOUNT = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'


def _works(*command: str) -> bool:
    try:
        return subprocess.run(command, capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@pytest.fixture
def read_only(request, tmp_path):
    """(catalogue path, command prefix) such that the CLI run with the prefix cannot write
    the catalogue; skipped, with the reason, only when the machine offers no way."""
    folder = Path(tempfile.mkdtemp(prefix="rw-ro-", dir="/tmp"))  # reachable by nobody
    path = folder / "ro.db"
    catalogue.open_db(path).close()
    os.chmod(folder, 0o755)
    os.chmod(path, 0o644)
    try:
        if request.param == "permissions":
            if os.geteuid() != 0:
                os.chmod(path, 0o444)
                os.chmod(folder, 0o555)
                yield path, ()
            elif shutil.which("setpriv") and _works(*NOBODY, sys.executable, "-c", "import regwatch"):
                yield path, NOBODY  # root ignores permissions: run as nobody, who may only read
            else:
                pytest.skip("root ignores file permissions and setpriv cannot run the CLI as nobody")
        else:
            prefix = ("unshare", "-m", "sh", "-c", RO_MOUNT, str(folder))
            if not (shutil.which("unshare") and _works(*prefix, "true")):
                pytest.skip("no private mount namespace (unshare -m needs CAP_SYS_ADMIN)")
            yield path, prefix
    finally:
        os.chmod(folder, 0o755)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("read_only", ["permissions", "mount"], indirect=True)
def test_a_read_only_catalogue(read_only):
    path, prefix = read_only
    before = path.read_bytes()
    for command in (["reextract"], ["runs"], ["subscribe", "--email", "a@example.org"]):
        one_line_error(regwatch(*command, "--db", str(path), prefix=prefix), "read-only", str(path))
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["ro.db"]  # no -wal, no -shm


def test_a_writable_catalogue_passes_the_same_prefix(tmp_path):
    """The read-only prefixes themselves do not break the CLI: a catalogue nobody may
    write is used by nobody (so the refusal above is the read-only check, not setpriv)."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("only as root: the prefix switches to nobody")
    folder = Path(tempfile.mkdtemp(prefix="rw-w-", dir="/tmp"))
    try:
        path = folder / "w.db"
        catalogue.open_db(path).close()
        os.chown(folder, 65534, 65534)
        os.chown(path, 65534, 65534)
        done = regwatch("runs", "--db", str(path), "--json", prefix=NOBODY)
        assert done.returncode == 0 and done.stdout.strip() == "[]", done.stderr
    finally:
        shutil.rmtree(folder, ignore_errors=True)

"""A portfolio's questions answered together from spans (timeline/batch.py) give every lane
the row it gets when each question is asked of ``status`` alone: on the crawled mirror
with the sample portfolio, and on a small synthetic catalogue with lanes drawn from its
own codes and materials (destinations, end uses, codes it does not hold). A group read
into the wrong state, a lot's goods flag wrong, a part dropped or an announcement out of
order shows here as a different row.

Where a question matches more announcements than the batch reads in full
(``batch.SHOWN``), only the listing is shorter: the verdict is the same and every
announcement shown is one the full answer shows."""

from __future__ import annotations

import random
from typing import Any

import pytest


class OneByOne:
    """``Lookups`` that asks ``status`` question by question (the reference)."""

    @staticmethod
    def make(db: Any) -> Any:
        from portfolio.status import Lookups

        lookups = Lookups(db)
        lookups.plan = lambda asked: None  # type: ignore[method-assign]
        return lookups


def _rows(db: Any, lanes: list[dict[str, Any]], on: str, batched: bool
          ) -> tuple[list[dict[str, Any]], Any]:
    from portfolio.status import Lookups, portfolio_status

    lookups = Lookups(db) if batched else OneByOne.make(db)
    return portfolio_status(db, lanes, on, screen=False, lookups=lookups), lookups


def _compare(db: Any, lanes: list[dict[str, Any]], dates: list[str], capped: bool = False
             ) -> int:
    """Rows both ways on each date; returns how many answers came from the batch (with
    ``capped``, how many rows list fewer announcements than the full answer)."""
    batched_answers = shorter = 0
    for on in dates:
        fast, lookups = _rows(db, lanes, on, True)
        slow, reference = _rows(db, lanes, on, False)
        assert "batch" not in reference.asked
        for one, other in zip(fast, slow, strict=True):
            where = (on, one["sku"], one["destination"])
            if not capped:
                assert one == other, where
                continue
            assert one["verdict"] == other["verdict"], where
            assert set(one["announcements"]) <= set(other["announcements"]), where
            assert set(one["related"]) <= set(other["related"]) | set(
                other["announcements"]), where
            assert bool(one["announcements"]) == bool(other["announcements"]), where
            shorter += len(one["announcements"]) + len(one["related"]) < len(
                other["announcements"]) + len(other["related"])
        batched_answers += sum(n for kind, (n, _) in lookups.asked.items()
                               if kind.startswith("batched "))
    return shorter if capped else batched_answers


@pytest.fixture
def every(monkeypatch: pytest.MonkeyPatch) -> None:
    """The batch reads every announcement of every question (no listing is shortened)."""
    from timeline import batch

    monkeypatch.setattr(batch, "SHOWN", 1_000_000)


@pytest.fixture(scope="module")
def sample(mirror_history: str, tmp_path_factory: pytest.TempPathFactory
           ) -> tuple[Any, list[dict[str, Any]]]:
    """A copy of the mirror catalogue with the sample portfolio imported, and its lanes."""
    from conftest import with_sample_portfolio

    from portfolio import records
    from store import catalogue as store

    path = with_sample_portfolio(mirror_history, tmp_path_factory.mktemp("batch-mirror"))
    db = store.open_db(path)
    lanes = records.rows(db, "exporter")
    assert len(lanes) >= 40
    return db, lanes


MIRROR_DATES = ["2023-09-01", "2025-01-15", "2025-11-15", "2026-11-29"]


def test_batched_rows_match_status_on_the_mirror(sample: tuple, every: None) -> None:
    db, lanes = sample
    answered = _compare(db, lanes, MIRROR_DATES)
    assert answered >= len(lanes), answered  # most questions come from the batch


def test_a_shortened_listing_keeps_the_verdict_on_the_mirror(
        sample: tuple, monkeypatch: pytest.MonkeyPatch) -> None:
    """One announcement read per question besides each group's representatives: the
    verdicts (suspended until, pending from) stay those of the full answer."""
    from portfolio.status import portfolio_status
    from timeline import batch

    db, lanes = sample
    verdicts = {r["verdict"].split(" until ")[0].split(" from ")[0] for on in MIRROR_DATES
                for r in portfolio_status(db, lanes, on, screen=False)}
    assert {"control suspended", "licence required"} <= verdicts, verdicts
    monkeypatch.setattr(batch, "SHOWN", 1)
    assert _compare(db, lanes, MIRROR_DATES, capped=True)


def _lanes(db: Any, count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    codes = [r[0] for r in db.execute(
        "select distinct term from item_terms where kind = 'hs' order by term")]
    materials = [r[0] for r in db.execute(
        "select distinct term from item_terms where kind = 'material' order by term")]
    materials += ["rare earths", "heavy rare earths", "superhard materials"]
    out = []
    for n in range(count):
        code = rng.choice(codes) if rng.random() < 0.6 else \
            f"{rng.randrange(1000, 9800)}{rng.randrange(10**6):06d}"
        out.append({"sku": f"SKU-{n:04d}", "destination": rng.choice(("US", "JP", "DE", "KR")),
                    "description": "", "hs_code": code,
                    "materials": rng.sample(materials, k=rng.choice((0, 1, 1, 2))),
                    "end_use": rng.choice(("", "", "military: test")), "counterparty": None})
    return out


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory, synthetic: Any) -> str:
    path = str(tmp_path_factory.mktemp("batch") / "synthetic.db")
    synthetic.build(path, 60, 600)
    return path


def test_batched_rows_match_status_on_a_synthetic_catalogue(small: str, every: None) -> None:
    from store import catalogue

    db = catalogue.open_db(small)
    lanes = _lanes(db, 120, 5)
    answered = _compare(db, lanes, ["2005-06-01", "2015-03-01", "2024-12-31"])
    assert answered >= len(lanes), answered


def test_a_shortened_listing_keeps_the_verdict(small: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """With one announcement read per question, besides each group's representatives,
    every code matching more lots than that goes through the representatives."""
    from store import catalogue
    from timeline import batch

    monkeypatch.setattr(batch, "SHOWN", 1)
    db = catalogue.open_db(small)
    lanes = _lanes(db, 120, 5)
    assert _compare(db, lanes, ["2005-06-01", "2015-03-01", "2024-12-31"], capped=True)


def test_codes_under_a_code_of_the_catalogue_are_left_to_status(small: str) -> None:
    from store import catalogue
    from timeline import batch

    db = catalogue.open_db(small)
    code = db.execute("select term from item_terms where kind = 'hs' limit 1").fetchone()[0]
    under, unheld = code + "99", "9999999999"
    asked = batch.answerable(db, [("hs", code), ("hs", under), ("hs", unheld),
                                  ("hs", code[:4]), ("material", "gallium")])
    assert asked == {("hs", code), ("hs", unheld), ("material", "gallium")}


def test_lots_say_whether_they_can_name_goods(small: str) -> None:
    """The writer's goods flag equals the one read from every clause's control codes."""
    from store import catalogue
    from timeline.lots import names_goods

    db = catalogue.open_db(small)
    codes: dict[tuple, list[str]] = {}
    for number, clause, code in db.execute(
            "select announcement, provision, control_code from items where current = 1 "
            "and kind = 'item' and control_code is not null"):
        codes.setdefault((number, clause), []).append(code)
    lots = db.execute("select announcement, provision, kind, goods from lots").fetchall()
    assert {g for *_, g in lots} == {0, 1}
    for number, clause, kind, goods in lots:
        found = codes.get((number, clause), [])
        assert goods == int(kind == "provision" or not found
                            or any(names_goods(c) for c in found)), (number, clause)


def _day(value: str, days: int) -> str:
    import datetime as dt

    return (dt.date.fromisoformat(value) + dt.timedelta(days=days)).isoformat()


def _answers_both_ways(db: Any, questions: list[tuple[str, str]], first: str, last: str,
                       step: int = 1) -> int:
    """Every day of the window answered from one read equals the day answered alone;
    returns how many (question, day) answers had rows."""
    from timeline import batch

    memo: dict[Any, Any] = {}
    batch.window(memo, first, last)
    day, seen = first, 0
    while day <= last:
        windowed = batch.answers(db, questions, day, memo)
        alone = batch.answers(db, questions, day, {})
        assert windowed.keys() == alone.keys(), day
        for question, found in alone.items():
            other = windowed[question]
            assert other["own"] == found["own"], (day, question)
            assert sorted(other["rows"], key=repr) == sorted(found["rows"], key=repr), (
                day, question)
            assert {n: other["states"][n] for n in found["states"]} == found["states"], (
                day, question)
            seen += bool(found["rows"])
        day = _day(day, step)
    return seen


def test_a_window_of_days_is_answered_as_each_day_alone_on_the_mirror(
        sample: tuple, every: None) -> None:
    """The window spans the end of the No. 46 二 suspension (2026-11-28) and other
    boundaries: each day read from the window's rows equals that day read alone."""
    from portfolio.status import queries_of
    from timeline import queries, status

    db, lanes = sample
    questions = sorted({status.classify(q, queries.normalise_announcement)
                        for lane in lanes for _, q in queries_of(lane)})
    assert _answers_both_ways(db, questions, "2026-11-20", "2026-12-02") > 0
    assert _answers_both_ways(db, questions, "2023-06-01", "2025-12-31", step=45) > 0


@pytest.mark.parametrize("stretch", [100, 5])
def test_a_window_of_days_is_answered_as_each_day_alone(
        small: str, stretch: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a synthetic catalogue whose announcements start and end every few days, with the
    listing shortened (groups' representatives, the newest announcements): every day of
    a window equals the day alone, read at once or a few days at a time."""
    from portfolio.status import queries_of
    from store import catalogue
    from timeline import batch, queries, status

    monkeypatch.setattr(batch, "WINDOW_DAYS", stretch)

    db = catalogue.open_db(small)
    lanes = _lanes(db, 120, 5)
    questions = sorted({status.classify(q, queries.normalise_announcement)
                        for lane in lanes for _, q in queries_of(lane)})
    starts = [r[0] for r in db.execute(
        "select start from lot_spans where start > '2010-01-01' group by start "
        "order by count(*) desc limit 1")]
    first = _day(starts[0], -6)
    assert _answers_both_ways(db, questions, first, _day(first, 12)) > 0


@pytest.mark.parametrize("stretch", [100, 7])
def test_verdict_changes_follow_the_groups(small: str, stretch: int,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Read on the days a question's groups change (``batch.verdict_days``), the verdict
    changes over fifteen years are those of the full reading, which reads every day a lot
    starts or ends (a window read in stretches of 100 and of 7 days)."""
    from portfolio.changes import verdict_changes
    from store import catalogue
    from timeline import batch

    monkeypatch.setattr(batch, "WINDOW_DAYS", stretch)
    db = catalogue.open_db(small)
    lanes = _lanes(db, 120, 5)
    full = verdict_changes(db, lanes, "2005-01-01", "2019-12-31")["changes"]
    alone = verdict_changes(db, lanes, "2005-01-01", "2019-12-31", basis=False)["changes"]
    assert sum(c["verdict_changed"] for c in full) >= 5
    assert alone == [c for c in full if c["verdict_changed"]]


def test_a_verdict_is_read_only_on_days_what_it_reads_changes(small: str) -> None:
    """Of the days a question's groups change, those on which its answer gives every lane
    the verdict it gave the day before (a part joins a group listed in force all along)
    are not read: fewer days, none outside the groups' days, on each day kept what a
    verdict reads of the answer (``verdict_inputs``) differs from the day before's for
    one of the end uses, and every verdict change of the full reading is on one of them."""
    from portfolio.changes import _uses, verdict_boundaries, verdict_changes
    from portfolio.status import Lookups, queries_of, verdict_inputs
    from store import catalogue

    db = catalogue.open_db(small)
    lanes = _lanes(db, 120, 5)
    lookups = Lookups(db)
    asked = [query for lane in lanes for _, query in queries_of(lane)]
    lookups.plan(asked)
    start, until = "2004-12-31", "2019-12-31"
    lookups.window(start, until)
    keys = sorted({(kind, query, lane["destination"]) for lane in lanes
                   for kind, query in queries_of(lane)})
    uses = _uses(lanes)
    assert set(uses) == {None, "military"}
    kept = verdict_boundaries(lookups, keys, start, until, uses)
    groups = lookups.verdict_days(asked, start, until)
    assert sum(map(len, kept.values())) < sum(len(groups[key[1]]) for key in kept) / 2
    for key, days in kept.items():
        assert set(days) <= groups[key[1]]
        for day in days:
            before, after = (lookups.found(*key, on) for on in (_day(day, -1), day))
            assert [verdict_inputs(before, use) for use in uses] != \
                [verdict_inputs(after, use) for use in uses]
    changed = [c for c in verdict_changes(db, lanes, "2005-01-01", until)["changes"]
               if c["verdict_changed"]]
    assert len(changed) >= 5
    for change in changed:
        lane = next(lane for lane in lanes if lane["sku"] == change["sku"])
        assert any(change["date"] in kept[(kind, query, lane["destination"])]
                   for kind, query in queries_of(lane))


@pytest.fixture(scope="module")
def denser(tmp_path_factory: pytest.TempPathFactory, synthetic: Any) -> str:
    """Five times the announcements of ``small``, ten times the items."""
    path = str(tmp_path_factory.mktemp("batch-denser") / "synthetic.db")
    synthetic.build(path, 300, 6000)
    return path


def test_a_verdict_change_reads_the_answers_of_its_day(denser: str) -> None:
    """A verdict change read for the verdict alone lists what the full reading lists: the
    chain of the day before and every announcement starting or ending there, those of a
    question whose groups did not change that day too (an answer kept from an earlier day
    missed them: one change in the catalogue's first five years, before)."""
    from portfolio.changes import verdict_changes
    from store import catalogue

    db = catalogue.open_db(denser)
    lanes = _lanes(db, 300, 5)
    full = verdict_changes(db, lanes, "2000-01-01", "2004-12-31")["changes"]
    alone = verdict_changes(db, lanes, "2000-01-01", "2004-12-31", basis=False)["changes"]
    assert len(alone) >= 100
    assert alone == [c for c in full if c["verdict_changed"]]


class _FailsHalfWay:
    """A connection whose reads of ``marker`` fail after their first row."""

    def __init__(self, db: Any, marker: str) -> None:
        self.db, self.marker, self.failed = db, marker, False

    def execute(self, sql: str, params: Any = None) -> Any:
        rows = self.db.execute(sql, params) if params is not None else self.db.execute(sql)
        return _HalfWay(self, rows) if self.marker in sql else rows


class _HalfWay:
    """A cursor that gives its first row, then fails (a read in one step fails at once)."""

    def __init__(self, owner: _FailsHalfWay, rows: Any) -> None:
        self.owner, self.rows = owner, rows

    def __iter__(self) -> Any:
        import sqlite3

        for n, row in enumerate(self.rows):
            if n == 1:
                self.owner.failed = True
                raise sqlite3.OperationalError("disk I/O error")
            yield row

    def fetchall(self) -> list[Any]:
        return list(self)

    def fetchone(self) -> Any:  # a read made in one step (rows_at_once) fails at it
        import sqlite3

        self.owner.failed = True
        raise sqlite3.OperationalError("disk I/O error")


def test_reads_beside_the_codes_on_a_second_connection_give_the_same_answers(
        small: str) -> None:
    """Past :data:`batch.FEW` questions, the materials' groups, the own lists and the
    clauses reached through materials are read on a second read-only connection while
    the codes' groups are read, and the lot rows' reads while the clauses are
    shortlisted: the answers equal those read on one connection."""
    from sqlite_utils import Database

    from portfolio.status import queries_of
    from store import catalogue
    from timeline import batch, queries, status

    db = catalogue.open_db(small)
    questions = sorted({status.classify(q, queries.normalise_announcement)
                        for lane in _lanes(db, 120, 5) for _, q in queries_of(lane)})
    assert len(questions) > batch.FEW
    for on in ("2005-06-01", "2015-03-01"):
        beside: dict[Any, Any] = {}
        two = batch.answers(db, questions, on, beside)
        assert beside["side"] is not None
        assert beside["side"].conn is not db.conn
        one = batch.answers(db, questions, on, {"side": None})
        # a second connection that fails (here: to an empty database) is given up and its
        # reads made on the first
        broken: dict[Any, Any] = {"side": Database(memory=True)}
        again = batch.answers(db, questions, on, broken)
        assert broken["side"] is None
        # one that fails half-way through the lot rows' read beside the clauses'
        # shortlists, after some rows: nothing of that read is kept, it is made again here
        failing = _FailsHalfWay(catalogue.connect_readonly(small), "kind in (:kind, :other)")
        late: dict[Any, Any] = {"side": failing}
        halfway = batch.answers(db, questions, on, late)
        assert failing.failed and late["side"] is None
        for other in (two, again, halfway):
            assert other.keys() == one.keys()
            for question, found in one.items():
                assert other[question]["own"] == found["own"], (on, question)
                assert sorted(other[question]["rows"], key=repr) == sorted(found["rows"],
                                                                           key=repr)
                assert other[question]["states"] == found["states"], (on, question)


def test_verdict_days_read_beside_the_codes_give_the_same_days(small: str) -> None:
    """The days a verdict can change are the same whether the materials' groups and the
    clauses reached through materials are read on a second connection beside the codes'
    groups, on the first one, or on a second one that fails half-way."""
    from portfolio.status import bears, queries_of
    from store import catalogue
    from timeline import batch, queries, status

    db = catalogue.open_db(small)
    questions = sorted({status.classify(q, queries.normalise_announcement)
                        for lane in _lanes(db, 120, 5) for _, q in queries_of(lane)})
    assert len(questions) > batch.FEW
    first, last = "2005-01-01", "2019-12-31"
    found = []
    failing = _FailsHalfWay(catalogue.connect_readonly(small), "s.kind = 'material'")
    for side in ("open", None, failing):
        memo: dict[Any, Any] = {} if side == "open" else {"side": side}
        batch.window(memo, first, last)
        found.append(batch.verdict_days(db, questions, first, last, memo, bears))
        if side == "open":
            assert memo["side"] is not None and memo["side"].conn is not db.conn
    assert failing.failed
    assert sum(len(days) for days in found[0].values()) > 50
    assert found[0] == found[1] == found[2]


def test_a_pending_group_names_the_lot_taking_effect_first(small: str) -> None:
    """A pending group's representative for the verdict's date is the lot that takes
    effect first, as the verdict reads a pending part (``portfolio.status._pending_from``:
    its announcement's effective date, else the day after its pending interval), not the
    first announced."""
    from portfolio.status import _pending_from
    from store import catalogue
    from timeline import batch

    db = catalogue.open_db(small)
    materials = [r[0] for r in db.execute(
        "select distinct term from item_terms where kind = 'material' order by term")]
    checked = differs = 0
    pending = [r[0] for r in db.execute(  # days some lot is pending on
        "select distinct start from lot_spans where kind = 'material' and state = 'pending' "
        "order by start")]
    for on in pending[::max(1, len(pending) // 12)]:
        groups = batch._groups(db, materials, [], on, batch._cache({}, on))
        for (_, material), found in groups.items():
            for state, shape, _, good, *_, effect in found:
                if state != "pending":
                    continue
                spans = db.execute(
                    "select s.start, s.end, a.effective_date from lot_spans s join lots l on "
                    "l.id = s.lot_id left join announcements a on a.number = s.announcement "
                    "where s.kind = 'material' and s.term = ? and s.state = 'pending' and "
                    "s.shape = ? and l.goods = ? and s.start <= ? and (s.end is null or "
                    "s.end >= ?)", [material, shape, good, on, on]).fetchall()
                first = min(_pending_from({"effective": e, "since": s, "until": u})
                            for s, u, e in spans)
                assert effect.split("|")[0] == first, (on, material, shape)
                checked += 1
                differs += first != min(s for s, _, _ in spans)
    assert checked >= 5 and differs >= 1, (checked, differs)


def test_lean_answers_give_every_lane_its_verdict(small: str) -> None:
    """Answers read for the verdict alone (a material's groups by their representatives)
    give every lane the verdict its full answers give, and list fewer announcements."""
    from portfolio.status import Lookups, lane_status, queries_of, verdict_words
    from store import catalogue

    db = catalogue.open_db(small)
    lanes = _lanes(db, 120, 5)
    shorter = 0
    for on in ("2005-06-01", "2010-01-15", "2015-03-01", "2024-12-31"):
        lookups = Lookups(db)
        lookups.plan(q for lane in lanes for _, q in queries_of(lane))
        for lane in lanes:
            full = lane_status(db, lane, on, lookups)
            lean = verdict_words(lane, lambda kind, query, lane=lane, on=on, lookups=lookups:
                                 lookups.found(kind, query, lane["destination"], on, lean=True))
            assert lean == full["verdict"], (on, lane["sku"])
            for kind, query in queries_of(lane):
                if kind == "material":
                    shorter += len(lookups.found(kind, query, lane["destination"], on,
                                                 lean=True)["announcements"]) < len(
                        lookups.found(kind, query, lane["destination"], on)["announcements"])
    assert shorter > 0


SPLIT = """
import json, sys
sys.path.insert(0, ".")
from tests.test_portfolio_batch import _lanes
from portfolio import changes, status
from store import catalogue

db = catalogue.open_db(sys.argv[1])
lanes = _lanes(db, 120, 5)
where = []
read = status._rows_of
def rows_of(lookups, part, on, at, *rest):
    rows = read(lookups, part, on, at, *rest)
    return [{**row, "read in": at} for row in rows]
status._rows_of = rows_of
def changes_of(lookups, part, edges, start, basis, at, **due):
    return [{**change, "read in": at} for change in read_changes(lookups, part, edges, start,
                                                                  basis, at, **due)]
read_changes = changes._lane_changes
changes._lane_changes = changes_of
out = {}
for split in (10**9, 2):
    status.SPLIT_LANES = split
    out[split] = [status.portfolio_status(db, lanes, on, screen=False)
                  for on in ("2005-06-01", "2024-12-31")]
    out[f"changes {split}"] = [changes.verdict_changes(db, lanes, "2008-01-01", "2016-12-31",
                                                       basis=basis) for basis in (False, True)]
print(json.dumps(out))
"""


def test_a_portfolio_read_in_two_processes_gives_the_same_rows(small: str) -> None:
    """Past ``status.SPLIT_LANES`` lanes a portfolio is read in two halves at once, the
    second in a forked child (core/halves.py) on a connection of its own: every row, and
    every change of a period, is the one read in one process (in a fresh interpreter: one with threads, as a test
    session may be, reads in one)."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", SPLIT, small], cwd=root, capture_output=True,
                          text=True, timeout=300, check=True)
    out = json.loads(done.stdout)
    alone, split = out[str(10**9)], out["2"]
    for one, two in zip(alone, split, strict=True):
        assert {row.pop("read in") for row in one} == {"alone"}
        read_in = [row.pop("read in") for row in two]  # the first lanes here, the rest there
        cut = read_in.index("child")
        assert 0 < cut and read_in == ["parent"] * cut + ["child"] * (len(two) - cut)
        assert one == two
        assert {row["verdict"] for row in one} > {"not found in the catalogue"}
    # and the changes of a period, verdicts alone and every change
    alone, split = out[f"changes {10**9}"], out["changes 2"]
    for one, two in zip(alone, split, strict=True):
        assert {c.pop("read in") for c in one["changes"]} == {"alone"}
        assert {c.pop("read in") for c in two["changes"]} <= {"parent", "child"}
        assert two["changes"]
        assert one == two
    assert any(c["verdict_changed"] for c in alone[0]["changes"])

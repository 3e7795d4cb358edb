"""The regulation timeline: recomputed from the latest extractions, history kept.

:func:`update_timeline` runs after every extraction (``regwatch.jobs.run_once``). It reads
one input per announcement — the latest extraction of the current version of its
document — and recomputes the announcements whose input changed, plus every announcement
their references reach (a new suspension changes its target's timeline, a repeal of the
suspending announcement ends the suspension early). Nothing is overwritten: a derivation
run is recorded with what it read, item rows are added per extraction, and intervals a
run no longer produces are marked ``retired_in`` instead of deleted, so "what did we
believe before the correction of 2025 No. 61" stays answerable.

The derivation itself is pure (timeline/derive.py); this module gathers inputs and writes.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from extract.items import model_version
from extract.numbers import canonical
from store.catalogue import now, transaction
from timeline import lots, summary
from timeline.derive import (
    Effect,
    Interval,
    clause_covers,
    clause_parts,
    clause_text,
    day_after,
    day_before,
    derive_intervals,
    iso_or_none,
)
from timeline.items import catalogue_rows, destinations, terms_of
from timeline.schema import create_tables, item_model

RELATIONS = {"suspends": "suspends", "repeals": "repeals", "amends": "amends", "cites": "cites",
             "supersedes": "supersedes", "replaces": "supersedes"}
NUMBER = re.compile(r"^(?P<series>[A-Z]+(?:-[A-Z]+)*)-(?P<year>\d{4})-(?P<seq>\d+)$")
# A repeal by an announcement that publishes a list or catalogue replaces the target
# ("统一纳入本清单管理，上述公告同时废止"): its items are superseded, not dropped.
LIST_TITLE = re.compile(r"清单|目录|名录|(?i:\blist\b|catalogue)")
BATCH = 500
BULK_THRESHOLD = 2000  # dirty announcements above which a build is treated as large
CACHE_KIB = 256 * 1024  # page cache of a large build
TIMELINE_TABLES = ("subjects", "items", "item_terms", "intervals", "material_deltas",
                   "announcement_refs", "derivation_inputs")


def watermark(db: Database) -> str:
    """The newest version and extraction ids: when they move, the timeline may be stale."""
    row = db.execute("select (select max(id) from versions), (select max(id) from extractions), "
                     "(select count(*) from extractions)").fetchone()
    return ":".join(str(v or 0) for v in row)


def is_stale(db: Database) -> bool:
    """Whether versions or extractions arrived since the last :func:`update_timeline`."""
    if "intervals" not in db.table_names():
        return True
    row = db.execute("select value from meta where key = 'timeline_watermark'").fetchone()
    return row is None or row[0] != watermark(db)


def refresh(db: Database, trigger: str = "query") -> dict[str, Any] | None:
    """Bring the timeline up to date before answering a query (cheap when it is)."""
    if is_stale(db):
        return update_timeline(db, trigger=trigger)
    return None


@dataclass
class Input:
    """What the derivation needs of one announcement without reading its full result."""

    number: str
    document_id: int
    version_id: int
    extraction_id: int
    title: str | None
    issuers: list[str]
    issue: str | None
    effective_dates: list[str]
    refs: list[dict[str, Any]]
    has_controls: bool
    source: str | None = None
    items: int = 0
    materials: list[str] = field(default_factory=list)

    @property
    def effective(self) -> str | None:
        """The first day any of it applies ("on publication" is the issue date)."""
        return min(self.effective_dates) if self.effective_dates else self.issue


@dataclass
class Plan:
    inputs: dict[str, Input]
    effects: dict[str, list[Effect]] = field(default_factory=dict)


def _json(value: str | None, default: Any) -> Any:
    if not value:
        return default
    try:
        return json.loads(value)
    except ValueError:
        return default


def normalise_number(value: Any) -> str | None:
    """A stored number in the one canonical form (extract/numbers.py)."""
    if not isinstance(value, str) or not value.strip():
        return None
    return canonical(value) or value.strip().upper()


def normalise_refs(number: str, refs: Any) -> list[dict[str, Any]]:
    """References of an extraction in one shape; self-references and duplicates dropped."""
    out: list[dict[str, Any]] = []
    seen: set[tuple] = set()
    for ref in refs if isinstance(refs, list) else []:
        if not isinstance(ref, dict):
            continue
        target = normalise_number(ref.get("target"))
        relation = RELATIONS.get(str(ref.get("relation") or "cites").lower(), "cites")
        if not target or target == number:
            continue
        clause = ref.get("clause") or None
        row = {"target": target, "relation": relation, "from": iso_or_none(ref.get("from")),
               "until": iso_or_none(ref.get("until")), "clause": clause,
               "clause_label": clause_text(clause_parts(clause))}
        key = (target, relation, row["from"], row["until"], row["clause_label"])
        if key not in seen:
            seen.add(key)
            out.append(row)
    return out


def read_inputs(db: Database, documents: Iterable[int] | None = None) -> dict[str, Input]:
    """One input per announcement number: the latest extraction of each current version.

    When several documents carry one number (the MOFCOM page and the GACC copy of a joint
    announcement) the page of the issuing series wins, then the one with more items.
    ``documents`` limits the reading to those documents (the incremental path).
    """
    where, params = "", []
    if documents is not None:
        params = sorted(set(documents))
        where = f" and d.id in ({','.join('?' for _ in params)})"
    rows = db.execute(
        "select d.id, d.source, d.current_version_id, e.id, e.number, e.issue_date, "
        "json_extract(e.result, '$.title'), json_extract(e.result, '$.issuers'), "
        "json_extract(e.result, '$.effective_dates'), json_extract(e.result, '$.references'), "
        "json_extract(e.result, '$.materials'), "
        "coalesce(json_array_length(e.result, '$.items'), 0), "
        "coalesce(json_array_length(e.result, '$.control_codes'), 0) "
        "+ coalesce(json_array_length(e.result, '$.hs_codes'), 0) "
        "+ coalesce(json_array_length(e.result, '$.materials'), 0) "
        "from documents d join extractions e on e.id = "
        "(select max(x.id) from extractions x where x.version_id = d.current_version_id) "
        "where e.number is not null and e.number != ''" + where, params
    )
    best: dict[str, tuple[tuple, Input]] = {}
    for (doc_id, source, version_id, extraction_id, number, issue, title, issuers, effective,
         refs, materials, items, codes) in rows:
        number = normalise_number(number)
        if not number:
            continue
        dates = sorted({d for d in (iso_or_none(v) for v in _json(effective, [])) if d})
        issue = iso_or_none(issue)
        if issue is None and dates:
            issue = dates[0]
        entry = Input(number, doc_id, version_id, extraction_id, title,
                      [str(i) for i in _json(issuers, [])], issue, dates,
                      normalise_refs(number, _json(refs, [])), bool(items or codes),
                      source, items,
                      [str(m).lower() for m in _json(materials, []) if isinstance(m, str)])
        series = number.split("-")[0].lower()
        rank = (0 if (source or "").lower() == series else 1, -items, doc_id)
        if number not in best or rank < best[number][0]:
            best[number] = (rank, entry)
    return {number: entry for number, (_, entry) in best.items()}


# -- the incremental path -----------------------------------------------------------------

def _marks(value: str | None) -> tuple[int, int, int] | None:
    try:
        versions, extractions, count = (int(v) for v in (value or "").split(":"))
    except ValueError:
        return None
    return versions, extractions, count


def _placeholders(values: Iterable[Any]) -> tuple[str, list[Any]]:
    values = list(values)
    return ",".join("?" for _ in values), values


@dataclass
class Partial:
    """The inputs of an incremental derivation: what changed, and what it reaches.

    Announcements whose documents did not change are read back from the derived tables
    (``announcements``, ``announcement_refs``), which hold exactly what :func:`read_inputs`
    would give for them, so a new page in a 100k catalogue reads a few dozen rows, not
    100k extraction results.
    """

    inputs: dict[str, Input]
    previous: dict[str, tuple]
    old_targets: dict[str, set[str]]
    touched: set[str]
    total: int
    loaded: set[str] = field(default_factory=set)

    def load(self, db: Database, numbers: Iterable[str]) -> list[str]:
        """Read the stored input, previous row and old references of ``numbers`` not yet read."""
        missing = sorted(set(numbers) - self.loaded)
        if not missing:
            return []
        self.loaded.update(missing)
        marks, values = _placeholders(missing)
        refs: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for source, target, relation, start, until, clause, label in db.execute(
                "select source, target, relation, from_date, until_date, clause, clause_label "
                f"from announcement_refs where source in ({marks}) order by id", values):
            self.old_targets[source].add(target)
            refs[source].append({"target": target, "relation": relation, "from": start,
                                 "until": until, "clause": clause, "clause_label": label})
        for (number, in_catalogue, document_id, version_id, extraction_id, title, issuers,
             issue, dates, has_controls, materials, built_with) in db.execute(
                "select number, in_catalogue, document_id, version_id, extraction_id, title, "
                "issuers, issue_date, effective_dates, has_controls, materials, model "
                f"from announcements where number in ({marks})", values):
            self.previous.setdefault(number, (extraction_id, in_catalogue, built_with))
            if in_catalogue and number not in self.inputs and number not in self.touched:
                self.inputs[number] = Input(
                    number, document_id, version_id, extraction_id, title,
                    _json(issuers, []), issue, _json(dates, []), refs[number],
                    bool(has_controls), materials=_json(materials, []))
        return missing

    def widen(self, db: Database, seeds: set[str]) -> None:
        """Load everything the seeds' references reach, transitively (old and new refs)."""
        frontier = set(seeds)
        while frontier:
            self.load(db, frontier)
            reached: set[str] = set()
            for number in frontier:
                reached |= self.old_targets.get(number, set())
                if number in self.inputs:
                    reached.update(ref["target"] for ref in self.inputs[number].refs)
            frontier = reached - self.loaded

    def actors_of(self, db: Database, targets: set[str]) -> None:
        """Load the announcements acting on ``targets``, and those repealing the actors
        (a repealed suspension ends early: :func:`plan_effects`)."""
        actors = self._sources_of(db, targets)
        self.load(db, actors)
        self.load(db, self._sources_of(db, actors, ("repeals", "supersedes")))

    def _sources_of(self, db: Database, targets: set[str],
                    relations: tuple[str, ...] | None = None) -> set[str]:
        found = {number for number, entry in self.inputs.items()
                 if any(ref["target"] in targets and (relations is None
                                                       or ref["relation"] in relations)
                        for ref in entry.refs)}
        for start in range(0, len(targets), 500):
            marks, values = _placeholders(sorted(targets)[start:start + 500])
            sql = f"select distinct source from announcement_refs where target in ({marks})"
            if relations:
                sql += f" and relation in ({','.join('?' for _ in relations)})"
                values += list(relations)
            found.update(row[0] for row in db.execute(sql, values))
        return found


def incremental_inputs(db: Database, model: str) -> Partial | None:
    """The inputs of what changed since the last derivation, or None when a full read is due.

    Full when: no derivation yet, extractions went missing, the item model changed, or
    so many documents changed that reading everything is cheaper.
    """
    if "announcements" not in db.table_names():
        return None
    row = db.execute("select value from meta where key = 'timeline_watermark'").fetchone()
    old = _marks(row[0] if row else None)
    new = _marks(watermark(db))
    if old is None or new is None or new < old:
        return None
    added = db.execute("select count(*) from extractions where id > ?", [old[1]]).fetchone()[0]
    if new[2] - old[2] != added:
        return None
    if db.execute("select 1 from announcements where in_catalogue = 1 and model is not ? "
                  "limit 1", [model]).fetchone():
        return None
    documents = {r[0] for r in db.execute(
        "select document_id from versions where id > ? union "
        "select v.document_id from extractions e join versions v on v.id = e.version_id "
        "where e.id > ?", [old[0], old[1]])}
    if len(documents) > BULK_THRESHOLD:
        return None
    marks, values = _placeholders(documents)
    numbers = {r[0] for r in db.execute(
        f"select number from announcements where document_id in ({marks})", values)}
    raw = {r[0] for r in db.execute(
        "select e.number from documents d join extractions e on e.id = (select max(x.id) from "
        f"extractions x where x.version_id = d.current_version_id) where d.id in ({marks})",
        values) if r[0]}
    numbers |= {normalise_number(n) for n in raw} - {None}
    # Other pages carrying one of these numbers (a joint announcement's copy) compete for it.
    if numbers | raw:
        marks, values = _placeholders(numbers | raw)
        documents |= {r[0] for r in db.execute(
            f"select id from search_docs where number in ({marks})", values)}
        documents |= {r[0] for r in db.execute(
            f"select document_id from announcements where number in ({marks}) "
            "and document_id is not null", values)}
    inputs = read_inputs(db, documents)
    total = db.execute("select count(*) from announcements where in_catalogue = 1").fetchone()[0]
    partial = Partial(inputs, {}, defaultdict(set), numbers | set(inputs), total)
    partial.load(db, partial.touched)  # their previous rows; their inputs are the new ones
    partial.total += sum(1 for n in inputs if not (partial.previous.get(n) or (0, 0))[1])
    partial.total -= sum(1 for n in numbers if n not in inputs
                         and (partial.previous.get(n) or (0, 0))[1])
    return partial


# -- effects ------------------------------------------------------------------------------

def _relation_of(actor: Input, relation: str) -> str:
    if relation == "repeals" and (actor.has_controls or LIST_TITLE.search(actor.title or "")):
        return "supersedes"
    return relation


def plan_effects(inputs: dict[str, Input]) -> dict[str, list[Effect]]:
    """Every target's incoming effects, with dates defaulted and suspensions clipped.

    A reference without its own start date acts from the day the acting announcement
    takes effect. A suspension ends early when the suspending announcement is itself
    repealed (the repeal of a repeal does not revive, so repeals are not clipped).
    """
    ends: dict[str, tuple[str, str]] = {}
    for actor in inputs.values():
        for ref in actor.refs:
            if ref["relation"] in ("repeals", "supersedes") and not ref["clause_label"]:
                start = ref["from"] or actor.effective
                if start and (ref["target"] not in ends or start < ends[ref["target"]][0]):
                    ends[ref["target"]] = (start, actor.number)
    effects: dict[str, list[Effect]] = defaultdict(list)
    for actor in inputs.values():
        for ref in actor.refs:
            if ref["relation"] == "cites":
                continue
            start = ref["from"] or actor.effective
            if not start:
                continue
            relation = _relation_of(actor, ref["relation"])
            end = ref["until"] if relation == "suspends" else None
            step: dict[str, Any] = {"announcement": actor.number, "relation": relation,
                                    "from": start}
            if end:
                step["until"] = end
            if ref["clause_label"]:
                step["clause"] = ref["clause_label"]
            chain = [step]
            if relation == "suspends" and actor.number in ends:
                stop, by = ends[actor.number]
                if end is None or stop <= end:
                    end = day_before(stop)
                    chain.append({"announcement": by, "relation": "repeals", "from": stop,
                                  "target": actor.number})
            if end is not None and end < start:
                continue
            effects[ref["target"]].append(
                Effect(actor.number, relation, start, end, ref["clause_label"], tuple(chain)))
    return dict(effects)


def dirty_closure(seeds: Iterable[str], inputs: dict[str, Input],
                  old_targets: dict[str, set[str]]) -> set[str]:
    """The seeds plus everything their references reach, transitively (old and new refs)."""
    dirty = set(seeds)
    stack = list(dirty)
    while stack:
        number = stack.pop()
        targets = set(old_targets.get(number, ()))
        if number in inputs:
            targets.update(ref["target"] for ref in inputs[number].refs)
        for target in targets - dirty:
            dirty.add(target)
            stack.append(target)
    return dirty


# -- writing ------------------------------------------------------------------------------

class Writer:
    """Batches the rows of one derivation and keeps the interval history.

    In bulk mode (the first build of a catalogue: nothing to compare with) subject ids are
    handed out here and nothing is read back, so a large build only appends.
    """

    def __init__(self, db: Database, derivation_id: int, bulk: bool = False) -> None:
        self.db = db
        self.conn = db.conn
        self.derivation_id = derivation_id
        self.bulk = bulk
        self.next_id = (db.execute("select max(id) from subjects").fetchone()[0] or 0) + 1
        self.counts = {"items_added": 0, "intervals_added": 0, "intervals_retired": 0}

    def subjects(self, number: str, wanted: list[tuple[str, str, str | None]]) -> dict[str, int]:
        """Stable subject ids for (kind, key, label), created when new; all of ``number``'s."""
        if self.bulk:
            ids = {}
            rows = []
            for kind, key, label in wanted:
                if key not in ids:
                    ids[key] = self.next_id
                    rows.append((self.next_id, kind, key, number, label))
                    self.next_id += 1
            self.conn.executemany(
                "insert into subjects (id, kind, key, announcement, label) values (?, ?, ?, ?, ?)",
                rows)
            return ids
        have = {key: sid for sid, key in self.conn.execute(
            "select id, key from subjects where announcement = ?", [number])}
        missing = [(kind, key, number, label) for kind, key, label in wanted if key not in have]
        if missing:
            self.conn.executemany(
                "insert into subjects (kind, key, announcement, label) values (?, ?, ?, ?)",
                missing)
            have = {key: sid for sid, key in self.conn.execute(
                "select id, key from subjects where announcement = ?", [number])}
        return have

    def items(self, entry: Input, rows: list[dict[str, Any]], ids: dict[str, int]) -> None:
        """Add the catalogue rows of a new extraction and make them the current ones."""
        exists = None
        model = model_version()
        if not self.bulk:
            exists = self.conn.execute("select 1 from items where extraction_id = ? "
                                       "and model = ? limit 1",
                                       [entry.extraction_id, model]).fetchone()
            self.conn.execute("update items set current = 0 where announcement = ? "
                              "and current = 1 and (extraction_id != ? or model is not ?)",
                              [entry.number, entry.extraction_id, model])
        if exists:
            self.conn.execute("update items set current = 1 where extraction_id = ? "
                              "and model = ?", [entry.extraction_id, model])
            return
        self.conn.executemany(
            "insert into items (subject_id, item_key, kind, announcement, document_id, "
            "version_id, extraction_id, ordinal, control_code, text, text_en, materials, "
            "hs_codes, provision, clause, effective_date, conditions, destinations, measure, "
            "source, span, announcement_date, scope, destination_wide, model, current) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
            [(ids[r["key"]], r["key"], r["kind"], entry.number, entry.document_id,
              entry.version_id, entry.extraction_id, r["ordinal"], r["control_code"],
              r["text"], r["text_en"], _dump(r["materials"]), _dump(r["hs_codes"]),
              r["provision"], r["clause"], r["effective_date"],
              _dump(r["conditions"]) if r["conditions"] else None, destinations(r),
              r["measure"], r["source"], _dump(r["span"]) if r["span"] is not None else None,
              entry.issue, _dump(r.get("scope") or {}), int(bool(r.get("destination_wide"))),
              model)
             for r in rows])
        self.counts["items_added"] += len(rows)

    def terms(self, number: str, terms: list[tuple[str, str, int]]) -> None:
        if not self.bulk:
            self.conn.execute("delete from item_terms where subject_id in "
                              "(select id from subjects where announcement = ?)", [number])
        self.conn.executemany(
            "insert or ignore into item_terms (kind, term, subject_id) values (?, ?, ?)", terms)

    def deltas(self, announcement_sid: int, rows: list[tuple]) -> None:
        """Replace an announcement's contribution to the per-material state counts."""
        if not self.bulk:
            self.conn.execute("delete from material_deltas where announcement_sid = ?",
                              [announcement_sid])
        self.conn.executemany(
            "insert into material_deltas (term, day, announcement_sid, state, measure, dest, "
            "delta) values (?, ?, ?, ?, ?, ?, ?)", rows)

    def intervals(self, number: str, produced: dict[int, tuple[str, list[Interval]]]) -> None:
        """Replace the current intervals of ``number``'s subjects by ``produced``, keeping history.

        Rows that stay the same are left alone; rows no longer produced are retired.
        """
        current: dict[int, dict[tuple, int]] = defaultdict(dict)
        if not self.bulk:
            for row in self.conn.execute(
                    "select id, subject_id, state, start, end, cause, relation, clause, reason, "
                    "prev_state, chain from intervals where subject_id in "
                    "(select id from subjects where announcement = ?) "
                    "and retired_in is null", [number]):
                chain = json.loads(row[10]) if row[10] else []
                key = Interval(row[2], row[3], row[4], row[5], row[6], row[7], row[8], chain,
                               row[9]).key()
                current[row[1]][key] = row[0]
        retire: list[int] = []
        insert: list[tuple] = []
        for sid in set(current) - set(produced):
            retire.extend(current[sid].values())
        for sid, (kind, intervals) in produced.items():
            have = current.get(sid, {})
            keys = set()
            for interval in intervals:
                key = interval.key() if have else None
                keys.add(key)
                if key is None or key not in have:
                    insert.append((sid, kind, number, interval.state, interval.start,
                                   interval.end, interval.prev_state, interval.cause,
                                   interval.relation, interval.clause, interval.reason,
                                   _dump(interval.chain) if interval.chain else None,
                                   self.derivation_id))
            retire.extend(row_id for key, row_id in have.items() if key not in keys)
        if retire:
            self.conn.executemany("update intervals set retired_in = ? where id = ?",
                                  [(self.derivation_id, row_id) for row_id in retire])
        if insert:
            self.conn.executemany(
                "insert into intervals (subject_id, subject_kind, announcement, state, start, "
                "end, prev_state, cause, relation, clause, reason, chain, derivation_id) "
                "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", insert)
        self.counts["intervals_added"] += len(insert)
        self.counts["intervals_retired"] += len(retire)


def material_deltas(rows: list[dict[str, Any]], per_row: list[list[Interval]]
                    ) -> list[tuple[str, str, str, str | None, str | None, int]]:
    """(material, day, state, measure, dest, ±n): how many of an announcement's items enter
    (+) or leave (−) each state on each day, per material. Summed up to a date they give
    the state counts on that date without visiting every item (see timeline/queries.py)."""
    counter: Counter[tuple] = Counter()
    for row, intervals in zip(rows, per_row, strict=True):
        if not row["materials"]:
            continue
        dest = destinations(row)
        for material in {m.lower() for m in row["materials"]}:
            for interval in intervals:
                counter[(material, interval.start, interval.state, row["measure"], dest)] += 1
                if interval.end is not None:
                    counter[(material, day_after(interval.end), interval.state, row["measure"],
                             dest)] -= 1
    return [(*key, n) for key, n in counter.items() if n]


_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _dump(value: Any) -> str:
    return _ENCODE(value)


def _result(db: Database, extraction_id: int) -> dict[str, Any]:
    row = db.execute("select result from extractions where id = ?", [extraction_id]).fetchone()
    return _json(row[0] if row else None, {})


def derive_announcement(entry: Input, rows: list[dict[str, Any]],
                        effects: list[Effect]) -> tuple[list[Interval],
                                                        list[list[Interval]]]:
    """Intervals of an announcement and of each of its catalogue rows (same order as rows)."""
    whole = [e for e in effects if not e.clause]
    parts = [e for e in effects if e.clause]
    pending_parts: dict[str, str] = {}
    start = entry.effective
    for row in rows:
        if row["effective_date"] and start and row["effective_date"] > start and row["provision"]:
            pending_parts.setdefault(row["provision"], row["effective_date"])
    own = derive_intervals(entry.issue, start, whole, notes=parts, pending_parts=pending_parts)
    memo: dict[tuple, list[Interval]] = {}
    per_row: list[list[Interval]] = []
    for row in rows:
        reaching = tuple(
            e if e.relation != "amends" or not e.clause else
            Effect(e.by, "supersedes", e.start, None, e.clause, e.chain)
            for e in parts if clause_covers(e.clause, row["provision"]))
        key = (row["effective_date"], reaching)
        if key not in memo:
            memo[key] = derive_intervals(entry.issue, row["effective_date"] or start,
                                         [*whole, *reaching])
        per_row.append(memo[key])
    return own, per_row


LEASE_SECONDS = 120.0  # a derivation's claim on the timeline, renewed with every batch
POLL_SECONDS = 0.05  # how often a run waiting for another's derivation looks again
LEASE_KEY = "timeline_lease"


@dataclass
class Draft:
    """What one derivation will write, read from one snapshot of the catalogue."""

    mark: str  # the watermark of the inputs read
    stored: str | None  # the timeline's watermark when they were read
    inputs: dict[str, Input]
    changes: dict[str, str]
    total: int
    incremental: bool
    previous: bool = True  # the timeline had rows before (False: a first build)
    dirty: set[str] = field(default_factory=set)
    effects: dict[str, list[Effect]] = field(default_factory=dict)
    inputs_hash: str | None = None


def update_timeline(db: Database, trigger: str = "run", full: bool = False) -> dict[str, Any]:
    """Recompute the timeline where its inputs changed; index new documents for search.

    Nothing holds the write lock for long: the inputs are read in one read transaction (a
    snapshot; other writers and readers go on), the rows written in short BEGIN IMMEDIATE
    transactions, one batch of announcements each. Two processing runs at once must not
    interleave derivations read from different snapshots, so a writer first claims the
    timeline (a lease in ``meta``, taken in the same short transaction that checks the
    timeline did not move since its snapshot): a run that finds it claimed waits, one that
    finds it moved reads again. Every write is idempotent (subjects and items are looked up
    before they are added, inside the batch's transaction), so a rerun adds nothing twice.

    :param trigger: recorded with the derivation (run, cli, bench, …)
    :param full: recompute every announcement even when its input did not change
    :returns: counts of the derivation (``changed`` False when nothing needed doing)
    """
    from timeline.search import index_documents

    if "model" not in db["items"].columns_dict:
        with transaction(db):
            item_model(db)  # tables remade by an older layout's rebuild lack the model's columns
    began = time.perf_counter()
    search = index_documents(db)  # short transactions of its own; idempotent per document
    search["seconds"] = round(time.perf_counter() - began, 2)
    token = uuid.uuid4().hex
    waited = 0.0
    while True:
        began = time.perf_counter()
        draft = _read_draft(db, full)
        claim = _claim(db, draft, token)
        while claim == "busy":
            time.sleep(POLL_SECONDS)
            waited += POLL_SECONDS
            claim = _claim(db, draft, token)
        if claim != "moved":
            break
    if claim == "done":
        return {"changed": False, "announcements": draft.total, "search": search,
                **({"waited": round(waited, 2)} if waited else {})}
    try:
        result = _write_draft(db, draft, trigger, token)
    finally:
        _release(db, token)
    result.update(seconds=round(time.perf_counter() - began, 2), search=search)
    if waited:
        result["waited"] = round(waited, 2)
    return result


@contextmanager
def _snapshot(db: Database) -> Iterator[None]:
    """A read transaction: every read inside sees one state of the catalogue (WAL)."""
    if db.conn.in_transaction:
        yield
        return
    db.execute("BEGIN")
    try:
        yield
    finally:
        db.conn.rollback()


def _stored_mark(db: Database) -> str | None:
    row = db.execute("select value from meta where key = 'timeline_watermark'").fetchone()
    return row[0] if row else None


def _read_draft(db: Database, full: bool) -> Draft:
    """Read the inputs and plan the derivation (no writes, no write lock)."""
    with _snapshot(db):
        stored = _stored_mark(db)
        mark = watermark(db)
        model = model_version()
        partial = None if full else incremental_inputs(db, model)
        if partial is None:
            inputs = read_inputs(db)
            previous = {number: (extraction_id, in_catalogue, built_with)
                        for number, extraction_id, in_catalogue, built_with in db.execute(
                            "select number, extraction_id, in_catalogue, model "
                            "from announcements")}
            old_targets: dict[str, set[str]] = defaultdict(set)
            for source, target in db.execute("select source, target from announcement_refs"):
                old_targets[source].add(target)
        else:
            inputs, previous, old_targets = partial.inputs, partial.previous, partial.old_targets
        changes: dict[str, str] = {}
        for number, entry in inputs.items():
            before = previous.get(number)
            if before is None or not before[1]:
                changes[number] = "added"
            elif before[0] != entry.extraction_id or before[2] != model:
                changes[number] = "updated"  # a new extraction, or a new item model
        for number, (_, in_catalogue, _) in previous.items():
            if in_catalogue and number not in inputs and (partial is None
                                                          or number in partial.touched):
                changes[number] = "removed"
        total = len(inputs) if partial is None else partial.total
        draft = Draft(mark, stored, inputs, changes, total, partial is not None,
                      previous=bool(previous))
        seeds = set(inputs) if full else set(changes)
        if partial is not None:
            # Every announcement of a changed document, even one whose row is current: a
            # run that stopped part-way wrote it, but maybe not what it reaches.
            seeds |= partial.touched & set(inputs)
        if not seeds:
            return draft
        if partial is not None:
            partial.widen(db, seeds)  # the closure and the actors on it, read from the catalogue
        draft.dirty = dirty_closure(seeds, inputs, old_targets)
        if partial is not None:
            partial.actors_of(db, draft.dirty)
        draft.previous = bool(previous)  # read after the closure: it loads more rows
    draft.effects = plan_effects(inputs)
    if partial is None:
        draft.inputs_hash = hashlib.sha1(_dump(sorted((n, e.extraction_id)
                                                      for n, e in inputs.items()))
                                         .encode()).hexdigest()
    return draft


def _claim(db: Database, draft: Draft, token: str) -> str:
    """Claim the timeline for ``draft``: "ok", "done" (nothing to write; the watermark is
    set), "busy" (another run holds it) or "moved" (derived since the snapshot: read again)."""
    with transaction(db):
        stored = _stored_mark(db)
        lease = db.execute("select value from meta where key = ?", [LEASE_KEY]).fetchone()
        if lease and _lease_live(lease[0]) and not lease[0].startswith(token):
            return "busy"
        if stored != draft.stored:
            return "done" if stored == draft.mark else "moved"
        if not draft.changes and not draft.dirty:
            _set_mark(db, draft.mark)
            return "done"
        _hold(db, token)
    return "ok"


def _lease_live(value: str) -> bool:
    try:
        return float(value.split()[1]) > time.time()
    except (IndexError, ValueError):
        return False


def _hold(db: Database, token: str) -> None:
    """Take or renew the lease (inside the caller's transaction)."""
    db.execute("insert or replace into meta (key, value) values (?, ?)",
               [LEASE_KEY, f"{token} {time.time() + LEASE_SECONDS:.3f}"])


def _holds(db: Database, token: str) -> bool:
    row = db.execute("select value from meta where key = ?", [LEASE_KEY]).fetchone()
    return bool(row and row[0].startswith(token + " "))


def _release(db: Database, token: str) -> None:
    with transaction(db):
        db.execute("delete from meta where key = ? and value like ?", [LEASE_KEY, token + " %"])


class LeaseLost(RuntimeError):
    """Another run took the timeline over (this one stalled past its lease)."""


def _write_draft(db: Database, draft: Draft, trigger: str, token: str) -> dict[str, Any]:
    """Write a claimed draft in short transactions, renewing the lease with each."""
    inputs, changes, dirty, effects = draft.inputs, draft.changes, draft.dirty, draft.effects
    with transaction(db):
        derivation_id = db["derivations"].insert({
            "started_at": now(), "status": "running", "trigger": trigger,
            "announcements": draft.total, "dirty": len(dirty),
            "inputs_hash": draft.inputs_hash,
        }).last_pk
        db["derivation_inputs"].insert_all(
            [{"derivation_id": derivation_id, "announcement": number,
              "extraction_id": inputs[number].extraction_id if number in inputs else None,
              "change": change} for number, change in sorted(changes.items())])
    # A first build has nothing to compare with: append only, and for a large one build
    # the secondary indexes once at the end instead of row by row.
    bulk = not draft.previous
    writer = Writer(db, derivation_id, bulk=bulk)
    order = sorted(dirty, key=lambda n: (inputs[n].issue or "" if n in inputs else "", n))
    large = len(dirty) > BULK_THRESHOLD
    cache = db.execute("pragma cache_size").fetchone()[0]
    if large:
        db.execute(f"pragma cache_size = -{CACHE_KIB}")
        if bulk:
            _drop_indexes(db)
    try:
        for batch in _batches(order, BATCH):
            with transaction(db):
                if not _holds(db, token):
                    raise LeaseLost(f"derivation {derivation_id}: the timeline was claimed")
                _hold(db, token)
                for number in batch:
                    if number in inputs:
                        _write_announcement(db, writer, inputs[number],
                                            effects.get(number, []))
                    else:
                        _write_stub(db, writer, number, effects.get(number, []))
    finally:
        if large and bulk:
            with transaction(db):
                create_tables(db)
                item_model(db)  # the item-model index replaces the per-extraction one
            db.execute("analyze")
        db.execute(f"pragma cache_size = {cache}")
    with transaction(db):
        db["derivations"].update(derivation_id, {"finished_at": now(), "status": "ok",
                                                 **writer.counts})
        _set_mark(db, draft.mark)
        db.execute("delete from meta where key = ? and value like ?", [LEASE_KEY, token + " %"])
        summary.refresh(db)  # the web's facet counts and matrix sums (timeline/summary.py)
    return {"changed": True, "derivation_id": derivation_id, "announcements": draft.total,
            "incremental": draft.incremental, "inputs_read": len(inputs),
            "inputs_changed": len(changes), "dirty": len(dirty), **writer.counts}


def _drop_indexes(db: Database) -> None:
    """Drop the secondary indexes of the timeline tables (create_tables makes them again)."""
    marks = ",".join("?" for _ in TIMELINE_TABLES)
    names = [row[0] for row in db.execute(
        f"select name from sqlite_master where type = 'index' and sql is not null "
        f"and tbl_name in ({marks})", TIMELINE_TABLES)]
    with transaction(db):
        for name in names:
            db.execute(f'drop index "{name}"')


def _set_mark(db: Database, mark: str) -> None:
    """Record the inputs the timeline now reflects (inside the caller's transaction)."""
    db.execute("insert or replace into meta (key, value) values ('timeline_watermark', ?)",
               [mark])


def _batches(values: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _announcement_row(entry: Input | None, number: str, derivation_id: int) -> dict[str, Any]:
    match = NUMBER.match(number)
    row: dict[str, Any] = {
        "number": number, "series": match["series"] if match else None,
        "year": int(match["year"]) if match else None,
        "seq": int(match["seq"]) if match else None, "in_catalogue": 0,
        "derivation_id": derivation_id, "updated_at": now(),
    }
    if entry is not None:
        row.update({
            "in_catalogue": 1, "document_id": entry.document_id, "version_id": entry.version_id,
            "extraction_id": entry.extraction_id, "title": entry.title,
            "issuers": _dump(entry.issuers), "materials": _dump(entry.materials),
            "issue_date": entry.issue,
            "effective_date": entry.effective, "effective_dates": _dump(entry.effective_dates),
            "has_controls": int(entry.has_controls), "model": model_version(),
        })
    else:
        row.update({"document_id": None, "version_id": None, "extraction_id": None,
                    "title": None, "issuers": None, "materials": None, "issue_date": None,
                    "effective_date": None,
                    "effective_dates": None, "has_controls": None, "model": None})
    return row


def _write_refs(db: Database, writer: Writer, number: str, entry: Input | None) -> None:
    if not writer.bulk:
        db.conn.execute("delete from announcement_refs where source = ?", [number])
    if entry is None:
        return
    db.conn.executemany(
        "insert into announcement_refs (source, target, relation, from_date, until_date, clause, "
        "clause_label, extraction_id) values (?, ?, ?, ?, ?, ?, ?, ?)",
        [(number, r["target"], r["relation"], r["from"], r["until"], r["clause"],
          r["clause_label"], entry.extraction_id) for r in entry.refs])


def _upsert_announcement(db: Database, row: dict[str, Any]) -> None:
    columns = list(row)
    db.conn.execute(
        f"insert or replace into announcements ({', '.join(columns)}) "
        f"values ({', '.join('?' for _ in columns)})", [row[c] for c in columns])


def _write_announcement(db: Database, writer: Writer, entry: Input,
                        effects: list[Effect]) -> None:
    result = _result(db, entry.extraction_id)
    rows = catalogue_rows(entry.number, result)
    wanted = [("announcement", entry.number, entry.title)]
    wanted += [(row["kind"], row["key"], row["control_code"] or row["provision"]) for row in rows]
    ids = writer.subjects(entry.number, wanted)
    writer.items(entry, rows, ids)
    own, per_row = derive_announcement(entry, rows, effects)
    produced: dict[int, tuple[str, list[Interval]]] = {ids[entry.number]: ("announcement", own)}
    for row, intervals in zip(rows, per_row, strict=True):
        produced[ids[row["key"]]] = (row["kind"], intervals)
    writer.intervals(entry.number, produced)
    lots.write(db.conn, entry.number, entry.issue, rows, per_row, ids)
    writer.deltas(ids[entry.number], [(m, day, ids[entry.number], state, measure or "",
                                       dest or "", n)
                                      for m, day, state, measure, dest, n
                                      in material_deltas(rows, per_row)])
    terms: list[tuple[str, str, int]] = []
    for row in rows:
        terms.extend((kind, term, ids[row["key"]]) for kind, term in terms_of(row))
    # The announcement's own terms, where no item of it carries them (kinds a_material,
    # a_hs, a_control: kept apart so item lookups never scan them).
    carried = {(kind, term) for kind, term, _ in terms}
    top = {"materials": result.get("materials"), "hs_codes": result.get("hs_codes"),
           "control_code": None}
    own_terms = [*terms_of(top), *(("control", str(c).lower())
                                   for c in result.get("control_codes") or []
                                   if isinstance(c, str))]
    terms.extend(("a_" + kind, term, ids[entry.number]) for kind, term in own_terms
                 if (kind, term) not in carried)
    writer.terms(entry.number, sorted(set(terms)))
    _write_refs(db, writer, entry.number, entry)
    _upsert_announcement(db, _announcement_row(entry, entry.number, writer.derivation_id))


def _write_stub(db: Database, writer: Writer, number: str, effects: list[Effect]) -> None:
    """An announcement known only because others reference it (or no longer extracted)."""
    if not writer.bulk:
        db.conn.execute("update items set current = 0 where announcement = ? and current = 1",
                        [number])
        db.conn.execute("delete from material_deltas where announcement_sid in "
                        "(select id from subjects where key = ?)", [number])
    writer.terms(number, [])
    lots.delete(db.conn, number)
    _write_refs(db, writer, number, None)
    whole = [e for e in effects if not e.clause]
    intervals = derive_intervals(None, None, whole)
    produced: dict[int, tuple[str, list[Interval]]] = {}
    if effects:
        ids = writer.subjects(number, [("announcement", number, None)])
        produced[ids[number]] = ("announcement", intervals)
    writer.intervals(number, produced)
    if effects or db.conn.execute("select 1 from announcements where number = ?",
                                  [number]).fetchone():
        _upsert_announcement(db, _announcement_row(None, number, writer.derivation_id))

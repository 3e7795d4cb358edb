"""A portfolio's verdicts on a date: one row per lane, built on ``status`` answers.

The matching is the timeline's (one implementation): each lane asks ``status`` for its HS
code and for each of its materials, with its destination and end use; a portfolio's
questions of a day are answered together from spans (``timeline.batch``, the same
answers, each listing at most the newest ten announcements besides those that can decide
the verdict). This module only reads those answers as a product's verdict:

- Only parts that can name goods decide: items of equipment (B), software (D) or
  technology (E) do not cover a product, and a part that names only a group (rare
  earths) for a member element, or a category (superhard materials), is shown as
  related, not deciding; so is an all-destination clause reached only through the
  material of the product's HS item.
- A measure bound to a destination (No. 46 二) or covering every dual-use item to it
  (No. 46 一, 2026 No. 1) reaches the product only when a listed item covers it that day.
- State trading is outside the verdict vocabulary: shown, never deciding.
- The verdict is the strictest measure in force; else ``control suspended until D`` when
  every matching control is suspended (D the first day a suspension ends before); else
  ``pending from D``; else ``not found in the catalogue`` (never "not controlled").
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from typing import Any

from sqlite_utils import Database

from core import collector, halves
from extract import items as model
from extract.end_use import end_use_class
from portfolio import fields
from store.catalogue import connect_readonly, in_chunks
from timeline import batch, near, queries
from timeline import status as timeline_status
from timeline.lots import names_goods

VERDICTS = {"prohibited": "prohibited", "denied": "denied in principle",
            "strict_review": "stricter review", "licence": "licence required",
            "case_by_case": "licence required"}
NOT_FOUND = "not found in the catalogue"
ORDER = ("prohibited", "denied in principle", "stricter review", "licence required",
         "control suspended", "pending", NOT_FOUND)
SPLIT_LANES = 1000  # lanes from which a portfolio is read in two parts at once (core/halves.py)
CHILD_PART = 0.65  # the child's part of the lanes: the parent answers the materials too
MATCH_LABELS = {"exact": "HS exact", "contained_in": "HS within an 8-digit line",
                "contains": "HS code under the product's"}


def end_use_of(lane: dict[str, Any]) -> str | None:
    """The class of end use a measure may be bound to, of the lane's end use and end user
    as written (``extract.end_use``: ``missile guidance``, ``defence prime contractor``,
    ``军用`` read as military), as ``status --end-use`` reads them."""
    return end_use_class(lane.get("end_use"), lane.get("end_user"))


def queries_of(lane: dict[str, Any]) -> list[tuple[str, str]]:
    """What the lane asks of the catalogue: (how, query) for its HS code and materials."""
    asked = []
    if lane.get("hs_code"):
        asked.append(("hs", lane["hs_code"]))
    asked += [("material", m) for m in lane.get("materials") or []]
    return asked


def _how(kind: str, part: dict[str, Any], query: str) -> str:
    if part.get("destination_wide"):
        return "destination-wide measure"
    if kind == "hs":
        if part.get("via_material"):
            return f"material of the HS item ({part['via_material']})"
        return MATCH_LABELS.get(part.get("match"), "HS") + f" {query}"
    if part.get("via_group"):
        return f"group {part['via_group']} ({query})"
    return f"material ({query})"


def _parts(answer: dict[str, Any], kind: str, query: str, control_codes: ControlCodes,
           ask_announcement: Callable[[str], dict[str, Any]]) -> list[dict[str, Any]]:
    """The answer's matched parts, marked with how they matched and whether they can decide.

    A category (superhard materials) names a family, not the product: its material-only
    matches are related, not deciding. An announcement whose own list (an annex without
    items, No. 89's catalogue) names the material is read through its own provisions.
    """
    category = kind == "material" and bool(model.members(answer.get("value") or ""))
    known = answer.get("goods")  # a batched answer says it per clause (timeline/batch.py)
    if known is None:
        control_codes.read(a["number"] for a in answer.get("announcements") or [])
    out = []
    for ann, matched in _pairs(answer):
        of_announcement = {"effective": ann.get("effective_date"), "why": ann.get("why"),
                           "title": ann.get("title"), "document_id": ann.get("document_id")}
        listed_by_annex = not matched and kind == "material" and ann.get("state") == "in_force"
        if listed_by_annex:
            own = ask_announcement(ann["number"])
            matched = [{**p, "via_list": True} for a, found in _pairs(own)
                       if a["number"] == ann["number"] for p in found
                       if p["kind"] == "provision"]
        for part in matched:
            clause = (part["announcement"], part["provision"], part["kind"])
            if known is not None and not part.get("via_list") and clause in known:
                goods = known[clause]
            else:
                codes = control_codes.of(part["announcement"], part["provision"])
                goods = not codes or any(names_goods(c) for c in codes) \
                    or part["kind"] == "provision"
            if part.get("via_material"):
                scope = part.get("scope") or {}
                if not any(scope.get(k) for k in ("destinations", "end_uses", "end_users")):
                    # a clause reached through the HS item's material adds only a measure
                    # bound to a destination or end use (No. 46 二); an all-destination
                    # clause of another list (No. 33's superhard header) is related, not
                    # deciding
                    goods = False
            how = _how(kind, part, query)
            if part.get("via_list"):
                how = f"material ({query}) named in the announcement's list"
            out.append({**part, **of_announcement, "how": how,
                        "goods": goods and not category})
    return out


def _pairs(answer: dict[str, Any]) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """(announcement, its matched parts) of an answer: a batched one pairs them
    (``batch.for_destination``, ``shared``), a ``status`` answer lists them inside."""
    if "listed" in answer:
        return answer["listed"]
    return [(a, a.get("matched") or []) for a in answer.get("announcements") or []]


class ControlCodes:
    """(announcement, provision) → the control codes of its items (to tell goods apart),
    read for the announcements the answers name, as they name them (a scan of every item
    costs seconds on a large catalogue; a portfolio names a part of it)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._read: set[str] = set()
        self._codes: dict[tuple[str, str | None], list[str]] = {}

    def read(self, numbers: Any) -> None:
        new = {n for n in numbers if n not in self._read}
        for chunk, marks in in_chunks(new):
            for number, provision, code in self.db.execute(
                    "select announcement, provision, control_code from items where "
                    f"announcement in ({marks}) and current = 1 and kind = 'item' "
                    "and control_code is not null", chunk):
                self._codes.setdefault((number, provision), []).append(code)
        self._read |= new

    def of(self, number: str, provision: str | None) -> list[str]:
        if number not in self._read:
            self.read([number])
        return self._codes.get((number, provision), [])


def _next_day(day: str) -> str:
    return (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()


def _listed(part: dict[str, Any]) -> bool:
    """A part that makes the product a listed item by itself (not bound to a destination)."""
    scope = part.get("scope") or {}
    return (part["goods"] and not part.get("via_group") and not part.get("destination_wide")
            and not scope.get("destinations") and part.get("measure") in VERDICTS)


def bears(kind: str, value: str, state: str, shape: dict[str, Any] | None, goods: bool,
          through: bool = False) -> str:
    """How a group of lots matched by a question, in this state and shape, bears on the
    verdict of a lane asking it (``batch.verdict_days`` follows the days that matter):
    never, when its parts cannot decide (:func:`_parts`: a category's members, lots that
    cannot name goods, a measure outside the verdict vocabulary, a destination-wide
    measure, which is read apart, and, ``through`` the material of the product's HS item,
    a clause bound to no destination or end use); listed, when in force it lists the
    product for every destination and end use (:func:`_listed`, :func:`_binds`): the
    verdict is then the strictest measure in force, whatever is suspended or pending."""
    if shape is None:
        return batch.MAY
    if (kind in ("material", "group") and model.members(value)) or not goods \
            or shape["measure"] not in VERDICTS or shape["destination_wide"]:
        return batch.NEVER
    scope = shape["scope"]
    bound = any(scope.get(k) for k in ("destinations", "end_uses", "end_users"))
    if through:
        return batch.MAY if bound else batch.NEVER
    if state in ("in_force", "superseded") and not shape["destinations"] and not bound:
        return batch.LISTED
    return batch.MAY


def _binds(part: dict[str, Any], end_use: str | None) -> bool:
    scope = part.get("scope") or {}
    conditions = set(scope.get("end_uses") or []) | set(scope.get("end_users") or [])
    return not conditions or (end_use is not None and end_use in conditions)


def verdict_of(parts: list[dict[str, Any]], wide: list[dict[str, Any]],
               end_use: str | None) -> dict[str, Any]:
    """The verdict from the lane's matched parts and the destination-wide measures."""
    return _verdict([digest(parts, end_use)], wide, end_use)


def digest(parts: list[dict[str, Any]], end_use: str | None) -> dict[str, Any]:
    """What the verdict reads of some of a lane's parts, in their order: the parts that can
    decide, in force (with the rank of their verdict and whether they list the product
    by themselves), suspended and pending, and what the verdict's words take from them
    (the best rank in force, the soonest end of a suspension, the soonest start of a
    pending measure). A lane's verdict joins its answers' digests (:func:`decide`), each
    made once per answer and end use."""
    deciding = [p for p in parts if p["goods"] and not p.get("via_group")
                and p.get("measure") in VERDICTS and _binds(p, end_use)]
    now = [(ORDER.index(VERDICTS[p["measure"]]), _listed(p), p) for p in deciding
           if p["state"] in ("in_force", "superseded")]
    suspended = [p for p in deciding if p["state"] == "suspended" and _listed(p)]
    pending = [p for p in deciding if p["state"] == "pending" and _listed(p)]
    untils = [p["until"] for p in suspended if p.get("until")]
    return {"now": now, "listed": any(listed for _, listed, _ in now),
            "best": min((rank for rank, _, _ in now), default=None),
            "suspended": suspended, "until": min(untils) if untils else None,
            "pending": pending, "from": min((_pending_from(p) for p in pending), default=None)}


def _pending_from(part: dict[str, Any]) -> str:
    """The day a pending part takes effect: its announcement's effective date when later
    than the interval's start, else the day after the interval ends, else its start."""
    if part.get("effective") and part["effective"] > part["since"]:
        return part["effective"]
    return _next_day(part["until"]) if part.get("until") else part["since"]


def _wide_binding(wide: list[dict[str, Any]], end_use: str | None
                  ) -> list[tuple[int, dict[str, Any]]]:
    """(rank, measure) of the destination-wide measures in force that bind the end use."""
    return [(ORDER.index(VERDICTS[w["measure"]]), w) for w in wide
            if w["state"] == "in_force" and w.get("measure") in VERDICTS and _binds(w, end_use)]


def _soonest(digests: list[dict[str, Any]], key: str) -> str | None:
    """The earliest of the digests' ``until`` (a suspension's end) or ``from`` dates."""
    return min((d[key] for d in digests if d[key]), default=None)


def verdict_name(digests: list[dict[str, Any]], wide: list[dict[str, Any]],
                 end_use: str | None) -> str:
    """The verdict's words (:func:`verdict_of`) from the digests alone: what a change
    compares, without the chain."""
    if any(d["listed"] for d in digests):
        return ORDER[min([d["best"] for d in digests if d["now"]]
                         + [rank for rank, _ in _wide_binding(wide, end_use)])]
    if any(d["suspended"] for d in digests):
        until = _soonest(digests, "until")
        return f"control suspended until {until}" if until else "control suspended"
    start = _soonest(digests, "from")
    return f"pending from {start}" if start else NOT_FOUND


def verdict_inputs(found: dict[str, Any], end_use: str | None) -> tuple:
    """What :func:`verdict_name` reads of one answer (:meth:`Lookups.found`) for an end
    use: whether it lists the product, its best rank in force, the best rank of the
    destination-wide measures binding the end use and, when it does not list the product
    (a lane's other answers may not either), whether something is suspended, the soonest
    end of a suspension and start of a pending measure. Answers with the same inputs give
    every lane the same verdict (portfolio/changes.py reads no day on which none of a
    question's inputs change)."""
    d = _digest_of(found, end_use)
    wide = min((rank for rank, _ in _wide_binding(found["wide"], end_use)), default=None)
    best = d["best"] if d["now"] else None
    if d["listed"]:  # the verdict is then the best rank in force of every answer
        return (True, best, wide)
    return (False, best, wide, bool(d["suspended"]), d["until"], d["from"])


def _digest_of(found: dict[str, Any], end_use: str | None) -> dict[str, Any]:
    """The answer's :func:`digest` for the end use, kept with the answer."""
    kept = found.setdefault("digests", {})  # per end use (Lookups.found keeps answers)
    if end_use not in kept:
        kept[end_use] = digest(found["parts"], end_use)
    return kept[end_use]


def _verdict(digests: list[dict[str, Any]], wide: list[dict[str, Any]],
             end_use: str | None) -> dict[str, Any]:
    """:func:`verdict_of` from the digests of the lane's parts, in order: the verdict's
    words (:func:`verdict_name`) with the parts that decide and apply."""
    name = verdict_name(digests, wide, end_use)
    if any(d["listed"] for d in digests):
        # a listed item in force: every measure in force applies, those bound to a
        # destination included, and the destination-wide ones
        applying = [p for d in digests for _, _, p in d["now"]]
        ranks = [rank for d in digests for rank, _, _ in d["now"]]
        for rank, w in _wide_binding(wide, end_use):
            applying.append({**w, "how": "destination-wide measure", "goods": True})
            ranks.append(rank)
        best = ORDER.index(name)
        chosen = [p for p, rank in zip(applying, ranks, strict=True) if rank == best]
        if not all(_listed(p) for p in chosen):
            # a destination-bound measure decides: the listed items it bites on are the chain
            taken = {id(p) for p in chosen}
            chosen += [p for d in digests for _, listed, p in d["now"]
                       if listed and id(p) not in taken]
        return {"verdict": name, "deciding": chosen, "applying": applying}
    suspended = [p for d in digests for p in d["suspended"]]
    if suspended:
        return {"verdict": name, "deciding": suspended, "applying": suspended,
                "until": _soonest(digests, "until")}
    pending = [p for d in digests for p in d["pending"]]
    if pending:
        return {"verdict": name, "deciding": pending, "applying": pending,
                "from": _soonest(digests, "from")}
    return {"verdict": name, "deciding": [], "applying": []}


class Lookups:
    """``status`` answers read as a lane's parts, kept per (query, destination, day): lanes
    with the same query and destination share one answer whatever their end use (an end
    use only binds measures, which :func:`verdict_of` checks per lane).

    The questions a portfolio asks (:meth:`plan`) are answered from spans, together for
    a date (:meth:`prefetch`; timeline/batch.py); the others (a code under another code
    of the catalogue, a heading) one by one through ``status``."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.codes = ControlCodes(db)
        self._answers: dict[tuple, dict[str, Any]] = {}
        self._found: dict[tuple, dict[str, Any]] = {}
        self._planned: dict[str, tuple[str, str]] = {}
        self._batched: dict[tuple[str, bool], dict[tuple[str, str], dict[str, Any]]] = {}
        self._tried: dict[tuple[str, bool], set[tuple[str, str]]] = {}
        self._wide: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._places: dict[str | None, list[str]] = {}  # destination as written → codes
        self.chains: dict[tuple, Any] = {}  # what lanes share of their rows (_chain)
        self._days: dict[tuple[str, str], dict[tuple[str, str], Any]] = {}  # verdict days
        self._memo: dict[Any, Any] = {}  # what the batch keeps between dates
        self.asked: dict[str, list[float]] = {}  # query kind → [status calls, seconds]

    def plan(self, asked: Any) -> None:
        """The queries the portfolio asks (only these are answered from spans)."""
        for query in asked:
            if query not in self._planned:
                self._planned[query] = timeline_status.classify(
                    query, queries.normalise_announcement)

    def window(self, first: str, last: str) -> None:
        """Answer the days ``first`` to ``last`` from one read (``batch.window``)."""
        batch.window(self._memo, first, last)

    def read_groups(self, asked: Any, first: str, last: str,
                    then: Callable[[], Any] | None = None) -> None:
        """Read the groups of these planned queries for the days ``first`` to ``last``
        (``batch.read_groups``): what every day's answers and verdict days read first;
        ``then`` runs once the materials' are read, while the codes' are read beside."""
        questions = sorted({self._planned[q] for q in asked if q in self._planned})
        batch.read_groups(self.db, questions, first, last, self._memo, then)

    def verdict_days(self, asked: list[str], first: str, last: str
                     ) -> dict[str, set[str]]:
        """Per planned query the spans answer, the days after ``first`` up to ``last`` on
        which its groups can change (``batch.verdict_days``): a verdict changes on no
        other day."""
        questions = {q: self._planned[q] for q in asked if q in self._planned}
        known = self._days.setdefault((first, last), {})  # per question, once a period
        todo = sorted(set(questions.values()) - known.keys())
        if todo:
            known.update(batch.verdict_days(self.db, todo, first, last, self._memo, bears))
            known.update({question: None for question in todo if question not in known})
        return {q: known[question] for q, question in questions.items()
                if known[question] is not None}

    def prefetch(self, asked: Any, on: str, lean: bool = False) -> None:
        """Answer these planned queries on ``on`` together (those not answered yet);
        ``lean``: for a verdict alone (``batch.answers``)."""
        tried = self._tried.setdefault((on, lean), set())
        questions = {self._planned[q] for q in asked if q in self._planned} - tried
        if not questions:
            return
        started = time.perf_counter()
        self._batched.setdefault((on, lean), {}).update(
            batch.answers(self.db, sorted(questions), on, self._memo, lean))
        tried |= questions
        tally = self.asked.setdefault("batch", [0, 0.0])
        tally[0] += 1
        tally[1] += time.perf_counter() - started

    def shared(self, asked: Any) -> list[str]:
        """Of these planned queries, those many lanes may ask whatever their HS code (a
        material, a group): the parent answers them for both parts of a portfolio read in
        two processes (:func:`portfolio_status`)."""
        return [q for q in asked if self.kind_of(q) != "hs"]

    def kind_of(self, query: str) -> str:
        """How a lane asks a planned query: ``hs`` or ``material`` (a group too)."""
        return "hs" if self._planned.get(query, ("hs",))[0] == "hs" else "material"

    def found_of(self, keys: list[tuple[str, str, str]], on: str
                 ) -> dict[tuple, dict[str, Any]]:
        """:meth:`found` of each (kind, query, destination) on ``on``, keyed so (what a
        forked child adopts, :meth:`adopt`)."""
        return {key: self.found(*key, on) for key in keys}

    def adopt(self, found: dict[tuple, dict[str, Any]] | None, on: str) -> bool:
        """Keep answers another process read (:meth:`found_of`) as this one's; False when
        there are none (the caller then reads them)."""
        if not found:
            return False
        for (kind, query, destination), value in found.items():
            self._found.setdefault((kind, query, destination, on, False), value)
        return True

    def forks(self) -> bool:
        """Whether the catalogue can be opened again by a forked child (a file)."""
        return bool(batch.path_of(self.db))

    def split(self, where: str) -> None:
        """Read as one of two processes sharing the two cores (core/halves.py): none beside
        on a second connection; and, in the forked child, on a connection of its own (the
        parent's are left open and unused: the child must not touch them)."""
        if self._memo.get("split") == where:  # read so already
            return
        self._memo["split"] = where
        if where == halves.CHILD:  # the parent's connections, kept from being closed here
            self._inherited = (self.db, self._memo.get("side"))
            self.db = connect_readonly(batch.path_of(self.db))
            self.codes.db = self.db
        batch.alone(self._memo)

    def answer(self, query: str, destination: str | None, on: str, lean: bool = False
               ) -> dict[str, Any]:
        key = (query, destination, on, lean)
        if key not in self._answers:
            question = self._planned.get(query)
            if question:
                self.prefetch([query], on, lean)
            batched = self._batched.get((on, lean), {})
            if lean and question not in batched:  # asked of status: one answer for both
                return self.answer(query, destination, on)
            started = time.perf_counter()
            if question in batched:
                if destination not in self._places:
                    self._places[destination] = timeline_status.destinations_of(destination)
                places = self._places[destination]
                place = (",".join(places), on)
                if place not in self._wide:
                    self._wide[place] = timeline_status._destination_wide(self.db, on, places)
                found = self._answers[key] = batch.for_destination(
                    self.db, *question, batched[question], on, places, self._wide[place],
                    shared=True)
                kind = "batched " + found["kind"]
            else:
                found = self._answers[key] = queries.status(
                    self.db, query, on, destination, None, limit=0, announcements_limit=None)
                kind = found["kind"]
            tally = self.asked.setdefault(kind, [0, 0.0])
            tally[0] += 1
            tally[1] += time.perf_counter() - started
        return self._answers[key]

    def found(self, kind: str, query: str, destination: str, on: str, lean: bool = False
              ) -> dict[str, Any]:
        """The lane-independent reading of one answer: its parts (marked with how they
        matched and whether they can decide), the destination-wide measures, what was
        searched and the announcements' own states (``lean``: enough for the verdict,
        not for the row, :meth:`prefetch`)."""
        key = (kind, query, destination, on, lean)
        if key not in self._found:
            answer = self.answer(query, destination, on, lean)
            if lean and answer is self._answers.get((query, destination, on, False)):
                return self.found(kind, query, destination, on)
            self._found[key] = {
                "parts": _parts(answer, kind, query, self.codes,
                                lambda n: self.answer(n, None, on)),
                "wide": answer.get("destination_wide") or [],
                "searched": answer.get("searched"), "on": on,
                "announcements": answer.get("announcements") or []}
        return self._found[key]


def lane_status(db: Database, lane: dict[str, Any], on: str,
                lookups: Lookups | None = None) -> dict[str, Any]:
    """One lane's row: verdict, the parts that apply and how they matched, the chain."""
    lookups = lookups or Lookups(db)
    return lane_row(lane, on, lambda kind, query: lookups.found(
        kind, query, lane["destination"], on), lookups.chains)


def decide(lane: dict[str, Any], found: Callable[[str, str], dict[str, Any]]
           ) -> tuple[dict[str, Any], list[str]]:
    """The lane's verdict (:func:`verdict_of`) and the announcements in its chain (deciding
    ones, then their causes), from ``found(kind, query)``."""
    result = _verdict(*_digests(lane, found))
    return result, _chain_numbers(result["deciding"])


def _chain_numbers(deciding: list[dict[str, Any]]) -> list[str]:
    """The chain's announcements: the deciding ones, then their causes."""
    return _unique([*(p["announcement"] for p in deciding),
                    *(p.get("cause") for p in deciding)])


def verdict_words(lane: dict[str, Any], found: Callable[[str, str], dict[str, Any]]) -> str:
    """The lane's verdict alone (:func:`verdict_name`), without its chain."""
    return verdict_name(*_digests(lane, found))


def _digests(lane: dict[str, Any], found: Callable[[str, str], dict[str, Any]]
             ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str | None]:
    """The digests of the lane's answers (each kept with its answer, per end use), the
    destination-wide measures and the end use."""
    wide: list[dict[str, Any]] = []
    digests = []
    end_use = end_use_of(lane)
    for kind, query in queries_of(lane):
        answer = found(kind, query)
        wide = wide or answer["wide"]
        digests.append(_digest_of(answer, end_use))
    return digests, wide, end_use


def _chain(lane: dict[str, Any], found: Callable[[str, str], dict[str, Any]],
           kept: dict[tuple, Any] | None) -> dict[str, Any]:
    """What a lane's row reads of its verdict: the verdict, the chain's announcements, how
    the deciding parts matched, why, and the parts that apply. It depends on the digests,
    the destination-wide measures and the end use alone, so lanes with the same ones share
    it (``kept``; the entry holds the digests, so their ids stay theirs)."""
    digests, wide, end_use = _digests(lane, found)
    key = (tuple(id(d) for d in digests if d["now"] or d["suspended"] or d["pending"]),
           id(wide) if wide else None, end_use)
    if kept is not None and key in kept:
        return kept[key][1]
    result = _verdict(digests, wide, end_use)
    deciding = result["deciding"]
    chain = {"verdict": result["verdict"], "decided": bool(deciding),
             "numbers": _chain_numbers(deciding),
             "matched": _unique(p["how"] for p in deciding),
             "why": "; ".join(_part_why(p) for p in _merged(deciding)),
             "parts": [_brief(p) for p in _merged(result["applying"])]}
    if kept is not None:
        kept[key] = ((digests, wide), chain)
    return chain


def lane_row(lane: dict[str, Any], on: str,
             found: Callable[[str, str], dict[str, Any]],
             kept: dict[tuple, Any] | None = None) -> dict[str, Any]:
    """The row of ``lane`` from ``found(kind, query)``: :meth:`Lookups.found` of each of the
    lane's queries on ``on`` (or on a day with the same answer: its texts say ``on``);
    ``kept`` shares the verdict's reading between lanes (:func:`_chain`)."""
    chain = _chain(lane, found, kept)
    searched = []
    related: list[str] = []
    aside: list[str] = []
    for kind, query in queries_of(lane):
        answer = found(kind, query)
        if "announced" not in answer:  # what every lane reading this answer shows of it
            answer["announced"] = _unique(p["announcement"] for p in answer["parts"])
            answer["aside"] = _unique(
                f"{p['announcement']} {p.get('provision') or ''}: {p['measure']} in force "
                f"since {p['since']} (outside the verdict vocabulary)".replace(" :", ":")
                for p in answer["parts"] if p["state"] == "in_force"
                and p.get("measure") and p["measure"] not in VERDICTS)
        related += answer["announced"]
        aside += answer["aside"]
        text = answer["searched"]
        if text and answer.get("on") not in (None, on):
            text = timeline_status.searched_on(text, answer["on"], on)
        searched.append(text)
    deciding_numbers = set(chain["numbers"])
    related = _unique(n for n in related if n not in deciding_numbers)
    why = chain["why"]
    if not chain["decided"]:
        why = ("Nothing in the catalogue decides this product on " + on + " (searched "
               + "; ".join(s for s in searched if s) + "). Not found in the catalogue is not "
               "'not controlled'." + _families(lane, found))
    aside = _unique(aside)
    if aside:
        why += " Also: " + "; ".join(aside) + "."
    return {"sku": lane["sku"], "destination": lane["destination"],
            "description": lane.get("description"), "hs_code": lane.get("hs_code"),
            "materials": lane.get("materials") or [], "end_use": lane.get("end_use"),
            "end_user": lane.get("end_user"), "counterparty": lane.get("counterparty"),
            "on": on,
            "verdict": chain["verdict"], "announcements": chain["numbers"],
            "matched": chain["matched"], "related": related, "why": why,
            "parts": [dict(p) for p in chain["parts"]]}


def _families(lane: dict[str, Any], found: Callable[[str, str], dict[str, Any]]) -> str:
    """What a lane nothing decides is told of its materials that name a family (rare
    earths, superhard materials): the measures in force on its members, which decide only
    for the members the product contains (:func:`_parts` reads a family's matches as
    related)."""
    out = ""
    for kind, query in queries_of(lane):
        if kind != "material" or not fields.family(query):
            continue
        held = _unique(f"{p['announcement']} {p.get('provision') or ''}".rstrip()
                       + f": {VERDICTS[p['measure']]}" for p in found(kind, query)["parts"]
                       if p["state"] == "in_force" and p.get("measure") in VERDICTS)
        if held:
            out += (f" Its material {query} names a family, not one material: measures in "
                    f"force on its members ({'; '.join(held[:5])}"
                    f"{'; …' if len(held) > 5 else ''}) decide for the members the product "
                    "contains: list them.")
    return out


def _part_why(part: dict[str, Any]) -> str:
    clause = f" {part['provision']}" if part.get("provision") else ""
    state = {"in_force": "in force", "superseded": "continued under its successor"}.get(
        part["state"], part["state"])
    dates = f" since {part['since']}" if part.get("since") else ""
    if part.get("until"):
        dates += f" until {part['until']}"
    cause = f" ({part['cause']})" if part.get("cause") else ""
    return f"{part['announcement']}{clause}: {part.get('measure')} {state}{dates}{cause}, " \
           f"matched by {part['how']}"


def _merged(parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per clause and interval, its ways of matching joined (HS and material);
    the parts themselves where nothing is joined (a joined entry is a copy)."""
    out: dict[tuple, dict[str, Any]] = {}
    copied: set[tuple] = set()
    for part in parts:
        get = part.get
        key = (get("announcement"), get("provision"), get("measure"), get("state"),
               get("since"), get("until"))
        kept = out.get(key)
        if kept is None:
            out[key] = part
        elif part["how"] not in kept["how"]:
            if key not in copied:
                copied.add(key)
                kept = out[key] = dict(kept)
            kept["how"] += " and " + part["how"]
    return list(out.values())


def _brief(part: dict[str, Any]) -> dict[str, Any]:
    return {k: part.get(k) for k in ("announcement", "provision", "measure", "state", "since",
                                     "until", "cause", "how", "document_id")}


def _unique(values: Any) -> list[Any]:
    """The values that are set, each once, in their first order."""
    return list(dict.fromkeys(v for v in values if v))


@collector.paused()
def portfolio_status(db: Database, lanes: list[dict[str, Any]], on: str | None = None,
                     screen: bool = True, lookups: Lookups | None = None
                     ) -> list[dict[str, Any]]:
    """Every lane's row on ``on`` (default today), with the counterparty's screening.

    A large portfolio is read in two parts at once (core/halves.py: the rows are the same
    either way): the parent answers the materials (which any lane may ask) and sends them
    to the forked child, which meanwhile answers its own codes (:func:`_rows_of`)."""
    on = queries.check_date(on, "--on")
    lookups = lookups or Lookups(db)
    asked = [query for lane in lanes for _, query in queries_of(lane)]
    lookups.plan(asked)
    shared = lookups.shared(asked)
    places = sorted({lane["destination"] for lane in lanes})

    def materials() -> dict[tuple, dict[str, Any]]:  # made in the parent, sent to the child
        lookups.prefetch(shared, on)
        return lookups.found_of([(lookups.kind_of(q), q, place) for q in dict.fromkeys(shared)
                                 for place in places], on)

    rows = halves.halves(lanes, lambda part, where: _rows_of(lookups, part, on, where, shared),
                         least=split_from(lookups, lanes), share=materials, part=CHILD_PART)
    screener = _screener(db) if screen else None
    if screener is not None:
        for lane, row in zip(lanes, rows, strict=True):
            if lane.get("counterparty"):
                row["screening"] = _screen(screener, lane["counterparty"], lane["destination"],
                                           on)
    _near(db, rows, on)
    return rows


def split_from(lookups: Lookups, lanes: Sequence[Any]) -> int:
    """How many lanes a portfolio read in two parts at once has at least (core/halves.py):
    :data:`SPLIT_LANES`, unless the catalogue cannot be opened again by a child."""
    return SPLIT_LANES if lookups.forks() else len(lanes) + 1


def _rows_of(lookups: Lookups, lanes: Sequence[dict[str, Any]], on: str, where: str,
             shared: list[str]) -> list[dict[str, Any]]:
    """The rows of some lanes of a portfolio (a part, ``where`` it is read: core/halves.py).
    Alone, every question is answered together (the materials' reads beside the codes'
    groups); the parent answers the materials first (``halves``' ``share``), the child its
    codes first, then takes the materials' answers the parent sends."""
    if where != halves.ALONE:
        lookups.split(where)
    asked = [query for lane in lanes for _, query in queries_of(lane)]
    if where == halves.CHILD:
        common = set(shared)
        lookups.prefetch([query for query in asked if query not in common], on)
        if lookups.adopt(halves.shared(), on):
            asked = [query for query in asked if query not in common]
    lookups.prefetch(asked, on)
    return [lane_status(lookups.db, lane, on, lookups) for lane in lanes]


def _near(db: Database, rows: list[dict[str, Any]], on: str) -> None:
    """A product nothing decides names the catalogue's codes near its HS code
    (``timeline.near``: its 8-digit line, its 6-digit subheading), in
    ``near`` and in its why: a sibling code listed is worth checking the classification
    against before reading "not found" as anything."""
    unfound = [row for row in rows if row["verdict"] == NOT_FOUND and row.get("hs_code")]
    found = near.near_codes(db, [row["hs_code"] for row in unfound], on)
    for row in rows:
        row["near"] = found.get(row.get("hs_code") or "", []) if row["verdict"] == NOT_FOUND \
            else []
        if row["near"]:
            row["why"] += " " + near.near_text(row["near"])


def _screener(db: Database) -> Any:
    from screening import store

    if "entity_listings" not in db.table_names():
        return None
    try:
        return store.screener(db)
    except store.NoLists:
        return None


def _screen(screener: Any, name: str, country: str, on: str) -> dict[str, Any]:
    hits = screener.screen(name, country, on)
    if not hits:
        return {"result": "no hit", "hits": []}
    band = "match" if any(h["band"] == "match" for h in hits) else "possible match"
    return {"result": band, "hits": [{k: h.get(k) for k in (
        "score", "band", "name_zh", "name_en", "list", "announcement", "state")}
        for h in hits[:3]]}

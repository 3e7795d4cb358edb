"""The timeline derived from extraction results written by hand (no extractor needed).

The results follow the extraction contract and the real history of the announcements
(/work/shared/facts/announcements.md); states, dates and causes are asserted exactly.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import add

import regwatch.cli  # noqa: F401  (registers every stage's migrations before a catalogue is made)
from store import NotFound, catalogue
from timeline.build import update_timeline
from timeline.derive import Effect, clause_covers, clause_parts, derive_intervals
from timeline.queries import QueryError, changes, classify, status, timeline


def ref(target: str, relation: str, start: str | None = None, until: str | None = None,
        clause: str | None = None) -> dict[str, Any]:
    return {"target": target, "relation": relation, "from": start, "until": until,
            "clause": clause}


GA_ITEMS = [
    {"control_code": None, "text": "金属镓（单质）", "hs_codes": ["8110929010", "8112929090"],
     "materials": ["gallium"], "provision": "一(一)", "effective_date": None},
    {"control_code": None, "text": "氮化镓", "hs_codes": ["2850001901"],
     "materials": ["gallium"], "provision": "一(一)", "effective_date": None},
    {"control_code": None, "text": "金属锗", "hs_codes": ["8112921010"],
     "materials": ["germanium"], "provision": "一(二)", "effective_date": None},
]

HISTORY: dict[str, tuple[str, dict[str, Any]]] = {
    "MOFCOM-2023-23": ("关于对镓、锗相关物项实施出口管制的公告 镓 锗", {
        "title": "关于对镓、锗相关物项实施出口管制的公告", "issuers": ["MOFCOM", "GACC"],
        "issue_date": "2023-07-03", "effective_dates": ["2023-08-01"],
        "materials": ["gallium", "germanium"], "hs_codes": ["8110929010"], "control_codes": [],
        "items": GA_ITEMS, "provisions": [{"label": "一", "effective_date": None, "text": "…"}],
        "references": [], "conditions": []}),
    "MOFCOM-2024-51": ("公布《中华人民共和国两用物项出口管制清单》", {
        "title": "公布《中华人民共和国两用物项出口管制清单》",
        "issuers": ["MOFCOM", "MIIT", "GACC", "SCA"], "issue_date": "2024-11-15",
        "effective_dates": ["2024-12-01"], "items": [], "provisions": [],
        "references": [ref("MOFCOM-2023-23", "repeals"), ref("MOFCOM-2024-33", "repeals")]}),
    "MOFCOM-2024-46": ("关于加强相关两用物项对美国出口管制的公告", {
        "title": "关于加强相关两用物项对美国出口管制的公告", "issuers": ["MOFCOM"],
        "issue_date": "2024-12-03", "effective_dates": ["2024-12-03"],
        "materials": ["gallium", "germanium", "antimony", "superhard materials", "graphite"],
        "items": [],
        "provisions": [
            {"label": "一", "effective_date": None,
             "text": "一、禁止两用物项对美国军事用户或者军事用途出口。"},
            {"label": "二", "effective_date": None,
             "text": "二、原则上不予许可镓、锗、锑、超硬材料相关两用物项对美国出口；"
                     "对石墨两用物项对美国出口，实施更加严格的最终用户和最终用途审查。"}],
        "conditions": [{"kind": "destination", "value": "US", "text": "美国", "provision": None},
                       {"kind": "end_use", "value": "military", "text": "军事用途",
                        "provision": "一"}],
        "references": []}),
    "MOFCOM-2025-61": ("公布对境外相关稀土物项实施出口管制的决定", {
        "title": "公布对境外相关稀土物项实施出口管制的决定", "issuers": ["MOFCOM"],
        "issue_date": "2025-10-09", "effective_dates": ["2025-10-09", "2025-12-01"],
        "materials": ["rare earths"], "items": [],
        "provisions": [
            {"label": "一(一)", "effective_date": "2025-12-01", "text": "0.1%"},
            {"label": "一(二)", "effective_date": "2025-12-01", "text": "技术"},
            {"label": "一(三)", "effective_date": "2025-10-09", "text": "原产于中国"},
            {"label": "二", "effective_date": None, "text": "原则上不予许可"}],
        "conditions": [{"kind": "value_threshold", "value": "0.1%", "text": "0.1%",
                        "provision": "一(一)"}],
        "references": []}),
    "MOFCOM-2025-70": ("公布暂停实施……的决定", {
        "title": "公布暂停实施商务部、海关总署公告2025年第55号、56号、57号、58号及商务部公告"
                 "2025年第61号、62号的决定",
        "issuers": ["MOFCOM", "GACC"], "issue_date": "2025-11-07",
        "effective_dates": ["2025-11-07"], "items": [], "provisions": [],
        "references": [ref(f"MOFCOM-2025-{n}", "suspends", "2025-11-07", "2026-11-10")
                       for n in (55, 56, 57, 58, 61, 62)]}),
    "MOFCOM-2025-72": ("公布暂停实施商务部公告2024年第46号第二款的决定", {
        "title": "公布暂停实施商务部公告2024年第46号第二款的决定", "issuers": ["MOFCOM"],
        "issue_date": "2025-11-09", "effective_dates": ["2025-11-09"], "items": [],
        "provisions": [],
        "references": [ref("MOFCOM-2024-46", "suspends", "2025-11-09", "2026-11-27", "第二款")]}),
}


@pytest.fixture
def db(tmp_path):
    database = catalogue.open_db(tmp_path / "t.db")
    for number, (text, result) in HISTORY.items():
        add(database, number, text, result)
    update_timeline(database)
    return database


def _item(result: dict, **match: Any) -> dict:
    found = [r for r in result["items"] if all(r.get(k) == v for k, v in match.items())]
    assert len(found) == 1, (match, [(r["item_key"], r["state"]) for r in result["items"]])
    return found[0]


# -- pure derivation --------------------------------------------------------------------------

def test_clause_labels_match_across_writings():
    assert clause_parts("第二款") == clause_parts("二") == clause_parts("2") == (2,)
    assert clause_parts("第一条第（三）项") == clause_parts("一（三）") == clause_parts("1(iii)") \
        == (1, 3)
    assert clause_parts("十二") == (12,)
    assert clause_covers("二", "二(一)") and not clause_covers("二", "一(二)")
    assert clause_covers(None, None) and not clause_covers("二", None)


def test_derive_pending_suspended_resumed():
    suspension = Effect("X", "suspends", "2025-11-07", "2026-11-10")
    got = derive_intervals("2025-10-09", "2025-11-08", [suspension])
    assert [(i.state, i.start, i.end, i.cause) for i in got] == [
        ("pending", "2025-10-09", "2025-11-06", None),
        ("suspended", "2025-11-07", "2026-11-10", "X"),
        ("in_force", "2026-11-11", None, "X"),
    ]
    assert [i.prev_state for i in got] == [None, "pending", "suspended"]


def test_derive_repeal_ends_for_good():
    got = derive_intervals("2023-07-03", "2023-08-01",
                           [Effect("R", "repeals", "2024-12-01"),
                            Effect("S", "suspends", "2025-01-01", "2025-02-01")])
    assert [(i.state, i.start, i.end) for i in got] == [
        ("pending", "2023-07-03", "2023-07-31"), ("in_force", "2023-08-01", "2024-11-30"),
        ("repealed", "2024-12-01", None)]


# -- over a catalogue ---------------------------------------------------------------------------

def test_61_china_origin_in_force_and_the_rest_pending_on_20_october(db):
    result = status(db, "MOFCOM-2025-61", on="2025-10-20")
    assert result["announcements"][0]["state"] == "in_force"
    assert result["announcements"][0]["since"] == "2025-10-09"
    assert "一(一)、一(二) take effect 2025-12-01" in result["announcements"][0]["reason"]
    states = {r["provision"]: (r["state"], r["since"], r["until"]) for r in result["items"]}
    assert states["一(三)"] == ("in_force", "2025-10-09", "2025-11-06")
    assert states["一(一)"] == ("pending", "2025-10-09", "2025-11-06")
    assert states["一(二)"] == ("pending", "2025-10-09", "2025-11-06")


def test_61_all_suspended_by_70_on_15_november(db):
    result = status(db, "MOFCOM-2025-61", on="2025-11-15")
    ann = result["announcements"][0]
    assert (ann["state"], ann["since"], ann["until"], ann["cause"]) == \
        ("suspended", "2025-11-07", "2026-11-10", "MOFCOM-2025-70")
    assert {(r["state"], r["cause"], r["until"]) for r in result["items"]} == \
        {("suspended", "MOFCOM-2025-70", "2026-11-10")}
    assert ann["chain"][-1] == {"announcement": "MOFCOM-2025-70", "relation": "suspends",
                                "from": "2025-11-07", "until": "2026-11-10"}
    after = status(db, "MOFCOM-2025-61", on="2026-11-11")
    assert {r["state"] for r in after["items"]} == {"in_force"}


def test_stub_announcement_known_by_reference(db):
    life = timeline(db, "MOFCOM-2025-55")
    assert life["in_catalogue"] is False
    assert [(i["state"], i["since"], i["until"]) for i in life["intervals"]] == [
        ("suspended", "2025-11-07", "2026-11-10"), ("in_force", "2026-11-11", None)]


@pytest.mark.parametrize(("on", "expected"), [
    ("2023-07-10", {"MOFCOM-2023-23": "pending"}),
    ("2023-08-01", {"MOFCOM-2023-23": "in_force"}),
    ("2024-12-03", {"MOFCOM-2023-23": "superseded", "MOFCOM-2024-46": "in_force"}),
    ("2025-11-09", {"MOFCOM-2023-23": "superseded", "MOFCOM-2024-46": "suspended"}),
    ("2026-11-28", {"MOFCOM-2023-23": "superseded", "MOFCOM-2024-46": "in_force"}),
])
def test_gallium_to_the_united_states(db, on, expected):
    result = status(db, "gallium", on=on, destination="US")
    got = {r["announcement"]: r["state"] for r in result["items"]}
    assert got == expected
    measure = {"2023-07-10": None, "2023-08-01": "licence", "2024-12-03": "denied",
               "2025-11-09": "licence", "2026-11-28": "denied"}[on]
    assert (result["measure"] or {}).get("measure") == measure


def test_gallium_clause_two_suspended_with_its_cause(db):
    result = status(db, "镓", on="2025-11-09", destination="US")
    assert result["kind"] == "material" and result["value"] == "gallium"
    clause = _item(result, announcement="MOFCOM-2024-46")
    assert (clause["provision"], clause["state"], clause["since"], clause["until"],
            clause["cause"]) == ("二", "suspended", "2025-11-09", "2026-11-27", "MOFCOM-2025-72")
    assert clause["why"] == ("MOFCOM-2024-46 → MOFCOM-2025-72 suspends clause 二 from "
                             "2025-11-09 until 2026-11-27")
    ann = next(a for a in result["announcements"] if a["number"] == "MOFCOM-2024-46")
    assert ann["state"] == "in_force" and ann["cause"] == "MOFCOM-2025-72"
    assert "clause 二 suspended by MOFCOM-2025-72" in ann["reason"]
    superseded = [r for r in result["items"] if r["announcement"] == "MOFCOM-2023-23"]
    assert {(r["state"], r["since"], r["cause"]) for r in superseded} == \
        {("superseded", "2024-12-01", "MOFCOM-2024-51")}
    assert result["measure"] == {"measure": "licence", "announcement": "MOFCOM-2023-23",
                                 "provision": "一(一)", "via": "MOFCOM-2024-51"}


def test_clause_one_is_not_suspended(db):
    result = status(db, "MOFCOM-2024-46", on="2025-12-01")
    states = {(r["provision"], r["state"], r["measure"]) for r in result["items"]}
    # clause 二 is two parts: denied for Ga/Ge/Sb/superhard, stricter review for graphite
    assert states == {("一", "in_force", "prohibited"), ("二", "suspended", "denied"),
                      ("二", "suspended", "strict_review")}
    graphite = _item(result, item_key="MOFCOM-2024-46/§二/2")
    assert graphite["materials"] == ["graphite"] and graphite["scope"]["destinations"] == ["US"]


def test_hs_and_control_prefix_queries(db):
    by_code = status(db, "8110929010", on="2023-09-01")
    assert [(r["announcement"], r["text"], r["state"]) for r in by_code["items"]] == \
        [("MOFCOM-2023-23", "金属镓（单质）", "in_force")]
    by_prefix = status(db, "2850", on="2023-09-01")
    assert [r["text"] for r in by_prefix["items"]] == ["氮化镓"]
    assert classify("1C902.a") == ("control", "1c902.a")
    assert classify("1C9") == ("control", "1c9")
    assert classify("商务部公告2025年第61号") == ("announcement", "MOFCOM-2025-61")
    assert classify("公告〔2025〕123号") == ("announcement", "GACC-2025-123")


def test_a_question_no_item_names_is_read_as_the_material_it_names(db) -> None:
    """``Ga2O3`` or ``gallium oxide wafer``: no item's own text names it; the answer is the
    material gallium's, saying so (``read_as``) and what was searched. A question naming
    no material, or one saying the material is absent, is still nothing found."""
    for query in ("Ga2O3", "gallium oxide wafer"):
        result = status(db, query, on="2023-09-01")
        assert result["found"] and result["kind"] == "material" and result["value"] == "gallium"
        assert result["read_as"] == {"query": query, "materials": ["gallium"],
                                     "material": "gallium"}
        assert result["query"] == query
        assert result["searched"].startswith(f"the items' own texts for {query!r}")
        assert "MOFCOM-2023-23" in {a["number"] for a in result["announcements"]}
    for query in ("gallium-free solder", "PVC", "guitar strings"):
        result = status(db, query, on="2023-09-01")
        assert not result["found"] and "read_as" not in result, query


def test_no_vocabulary_name_is_an_announcement_number_or_a_control_code() -> None:
    """``classify`` takes a vocabulary name for a material or group before asking the
    number parser or the control-code pattern: neither reads any name of it."""
    from extract import items
    from timeline.queries import normalise_announcement
    from timeline.status import CONTROL

    names = list(items.lexicon())
    assert len(names) > 100
    assert [n for n in names if CONTROL.match(n) or normalise_announcement(n)] == []
    assert classify("Gallium")[0] == "material" and classify("稀土")[0] == "group"


def test_digits_alone_are_an_hs_code_and_never_an_announcement() -> None:
    """``classify`` takes a query of digits (dots and spaces between) for an HS code
    without asking the announcement parser: the parser finds no announcement in any."""
    from timeline.queries import normalise_announcement

    shapes = ["2025 61", "2025.61", "202561", "2025 061", "61", "2025", "8541.40.00",
              "8541 40 00 00", "20251", "1.2.3"] + [f"{y} {n}" for y in (2023, 2024, 2025)
                                                    for n in (1, 18, 61, 123)]
    for text in shapes:
        assert normalise_announcement(text) is None, text
        assert classify(text) == ("hs", text.replace(".", "").replace(" ", "")), text


TYPED = {  # an announcement as a user types it in a query → the one canonical number
    "MOFCOM 2025/61": "MOFCOM-2025-61", "MOFCOM 2025-61": "MOFCOM-2025-61",
    "mofcom announcement 2025-61": "MOFCOM-2025-61", "2025/61": "MOFCOM-2025-61",
    "No.61 2025": "MOFCOM-2025-61", "No. 61 (2025)": "MOFCOM-2025-61",
    "No 61/2025": "MOFCOM-2025-61", "Announcement 61 of 2025": "MOFCOM-2025-61",
    "MOFCOM 2025 No. 61": "MOFCOM-2025-61", "商务部2025年61号": "MOFCOM-2025-61",
    "2025年第61号": "MOFCOM-2025-61", "Ministry of Commerce 2025/18": "MOFCOM-2025-18",
    "MOC 2024/46": "MOFCOM-2024-46", "MOFCOM and GACC 2023/23": "MOFCOM-2023-23",
    "商务部 海关总署 2023/23": "MOFCOM-2023-23", "GACC 2023/39": "GACC-2023-39",
    "海关总署 2023/39": "GACC-2023-39", "Customs 2023-39": "GACC-2023-39",
    "customs announcement No. 39 of 2023": "GACC-2023-39", "UEL 2025/4": "UEL-2025-4",
    "Unreliable Entity List Working Mechanism 2025/4": "UEL-2025-4",
}


def test_an_announcement_as_a_user_types_it_is_read_as_its_number() -> None:
    """A query naming an announcement the way no published text prints it (a slash, a
    hyphen, the number before the year, an issuer's abbreviation or "customs") is that
    announcement, not a search of the items' texts; a year and number among other words
    (a material, a sentence), a date or two bare numbers stay what they are."""
    for text, number in TYPED.items():
        assert classify(text) == ("announcement", number), text
    for text in ("gallium 2025/61", "lithium 2025 61", "MOFCOM export 2025/61",
                 "customs gallium 2023/23", "the 2024 rules", "2025-06-01"):
        assert classify(text)[0] == "text", text


def test_changes_item_by_item(db):
    result = changes(db, "2025-11-01", "2025-11-30")
    got = {(c["date"], c["announcement"], c["label"], c["from"], c["to"], c["cause"])
           for c in result["changes"]}
    assert ("2025-11-09", "MOFCOM-2024-46", "二", "in_force", "suspended", "MOFCOM-2025-72") in got
    assert ("2025-11-07", "MOFCOM-2025-61", "一(三)", "in_force", "suspended",
            "MOFCOM-2025-70") in got
    assert not any(c[1] == "MOFCOM-2024-46" and c[2] == "一" for c in got)
    only = changes(db, "2024-01-01", "2024-12-31", material="gallium")
    assert [(c["date"], c["announcement"], c["to"]) for c in only["changes"]] == [
        ("2024-12-03", "MOFCOM-2024-46", "in_force"),
        ("2024-12-01", "MOFCOM-2023-23", "superseded"),
        ("2024-12-01", "MOFCOM-2023-23", "superseded")]  # newest first
    assert only["total"] == 3 and only["more"] == 0
    with pytest.raises(QueryError):
        changes(db, "1 June")


def test_new_version_rederives_and_keeps_history(db):
    """Correcting 2025 No. 72 (suspension now to 2026-12-31) retires the old intervals."""
    text, result = HISTORY["MOFCOM-2025-72"]
    changed = {**result, "references": [ref("MOFCOM-2024-46", "suspends", "2025-11-09",
                                            "2026-12-31", "二")]}
    add(db, "MOFCOM-2025-72", text + " 更正", changed)
    summary = update_timeline(db)
    assert summary["changed"] and summary["inputs_changed"] == 1
    assert summary["dirty"] == 2  # No. 72 and the announcement it acts on
    item = _item(status(db, "MOFCOM-2024-46", on="2026-12-01"), item_key="MOFCOM-2024-46/§二/1")
    assert (item["state"], item["until"]) == ("suspended", "2026-12-31")
    life = timeline(db, "MOFCOM-2024-46", history=True)
    clause = next(p for p in life["parts"] if p["provision"] == "二")
    retired = [i for i in clause["intervals"] if i["retired_in"]]
    assert [(i["state"], i["until"]) for i in retired] == [("suspended", "2026-11-27"),
                                                          ("in_force", None)]
    assert retired[0]["retired_in"] == summary["derivation_id"]
    assert update_timeline(db)["changed"] is False
    items = db.execute("select count(*), sum(current) from items where announcement = ?",
                       ["MOFCOM-2025-72"]).fetchone()
    assert items == (0, None)  # No. 72 has no items of its own


def test_item_catalogue_is_versioned(db):
    text, result = HISTORY["MOFCOM-2023-23"]
    add(db, "MOFCOM-2023-23", text + " v2", {**result, "items": GA_ITEMS[:2]})
    update_timeline(db)
    rows = db.execute("select item_key, current from items where announcement = ? and "
                      "kind = 'item' order by id", ["MOFCOM-2023-23"]).fetchall()
    assert len(rows) == 5 and sum(c for _, c in rows) == 2
    germanium = status(db, "germanium", on="2023-09-01")
    assert [r["announcement"] for r in germanium["items"]] == []
    assert [a["number"] for a in germanium["announcements"]] == ["MOFCOM-2023-23"]


def test_unknown_announcement_and_bad_date(db):
    unknown = status(db, "MOFCOM-1999-1")
    assert unknown["found"] is False and unknown["announcements"] == []
    assert "not the same as not controlled" in unknown["message"]
    with pytest.raises(NotFound):
        timeline(db, "MOFCOM-1999-1")
    with pytest.raises(QueryError):
        status(db, "gallium", on="2025-13-01")


def test_cli_status_changes_timeline_json(db, tmp_path):
    from regwatch.cli import cli

    path = db.conn.execute("pragma database_list").fetchone()[2]
    runner = CliRunner()
    out = runner.invoke(cli, ["status", "MOFCOM-2025-61", "--on", "2025-11-15", "--db", path,
                              "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["announcements"][0]["cause"] == "MOFCOM-2025-70"
    table = runner.invoke(cli, ["status", "gallium", "--on", "2025-11-09", "--destination", "US",
                                "--db", path])
    assert table.exit_code == 0, table.output
    assert "MOFCOM-2025-72" in table.output and "strictest measure in force: licence" in \
        table.output
    health = runner.invoke(cli, ["status", "--db", path])  # no query: service health
    assert health.exit_code == 1  # no service has ever run on this catalogue
    assert "heartbeat never (LATE)" in health.output
    life = runner.invoke(cli, ["timeline", "MOFCOM-2024-46", "--db", path])
    assert life.exit_code == 0, life.output
    assert ("acted on by:\n  MOFCOM-2025-72 suspends MOFCOM-2024-46 clause 二 from 2025-11-09 "
            "until 2026-11-27") in life.output
    ch = runner.invoke(cli, ["changes", "--since", "2025-11-01", "--until", "2025-11-30",
                             "--db", path, "--json"])
    assert ch.exit_code == 0 and json.loads(ch.output)["total"] > 0
    bad = runner.invoke(cli, ["timeline", "MOFCOM-1999-1", "--db", path])
    assert bad.exit_code == 1 and "no announcement MOFCOM-1999-1" in bad.output


def test_repeal_of_the_suspender_ends_the_suspension(tmp_path):
    """A suspension ends the day before the suspending announcement is repealed."""
    database = catalogue.open_db(tmp_path / "c.db")
    base = {"issuers": ["MOFCOM"], "items": [], "provisions": [], "conditions": []}
    add(database, "MOFCOM-2020-1", "a", {**base, "title": "A", "issue_date": "2020-01-01",
                                         "effective_dates": ["2020-01-01"], "references": []})
    add(database, "MOFCOM-2020-2", "s", {**base, "title": "S", "issue_date": "2020-03-01",
                                         "effective_dates": ["2020-03-01"],
                                         "references": [ref("MOFCOM-2020-1", "suspends",
                                                            None, "2021-12-31")]})
    add(database, "MOFCOM-2020-3", "r", {**base, "title": "R", "issue_date": "2020-06-01",
                                         "effective_dates": ["2020-07-01"],
                                         "references": [ref("MOFCOM-2020-2", "repeals")]})
    update_timeline(database)
    life = timeline(database, "MOFCOM-2020-1")
    assert [(i["state"], i["since"], i["until"], i["cause"]) for i in life["intervals"]] == [
        ("in_force", "2020-01-01", "2020-02-29", None),
        ("suspended", "2020-03-01", "2020-06-30", "MOFCOM-2020-2"),
        ("in_force", "2020-07-01", None, "MOFCOM-2020-2")]
    assert life["intervals"][1]["steps"] == [
        {"announcement": "MOFCOM-2020-2", "relation": "suspends", "from": "2020-03-01",
         "until": "2021-12-31"},  # as written; the next step explains the earlier end
        {"announcement": "MOFCOM-2020-3", "relation": "repeals", "from": "2020-07-01",
         "target": "MOFCOM-2020-2"}]
    # a plain repeal (no controls of its own, no list) repeals rather than supersedes
    assert status(database, "MOFCOM-2020-2", on="2020-08-01")["announcements"][0]["state"] \
        == "repealed"


def test_amendments(tmp_path):
    """An amendment of a clause supersedes that clause's items; of the whole, annotates."""
    database = catalogue.open_db(tmp_path / "a.db")
    items = [{"control_code": "1C001.a", "text": "甲", "materials": ["tungsten"],
              "provision": "一(一)", "hs_codes": []},
             {"control_code": "1C001.b", "text": "乙", "materials": ["tungsten"],
              "provision": "一(二)", "hs_codes": []}]
    add(database, "MOFCOM-2021-5", "t", {"title": "T", "issue_date": "2021-01-01",
                                         "effective_dates": ["2021-02-01"], "items": items,
                                         "references": []})
    add(database, "MOFCOM-2022-9", "m", {"title": "M", "issue_date": "2022-05-01",
                                         "effective_dates": ["2022-05-01"], "items": [],
                                         "references": [ref("MOFCOM-2021-5", "amends",
                                                            clause="第一条第（二）项")]})
    add(database, "MOFCOM-2023-2", "w", {"title": "W", "issue_date": "2023-01-01",
                                         "effective_dates": ["2023-01-01"], "items": [],
                                         "references": [ref("MOFCOM-2021-5", "amends")]})
    update_timeline(database)
    result = status(database, "tungsten", on="2023-06-01")
    got = {r["control_code"]: (r["state"], r["since"], r["cause"]) for r in result["items"]}
    assert got == {"1C001.a": ("in_force", "2023-01-01", "MOFCOM-2023-2"),
                   "1C001.b": ("superseded", "2022-05-01", "MOFCOM-2022-9")}
    first = next(r for r in result["items"] if r["control_code"] == "1C001.a")
    assert first["reason"] == "in force since 2021-02-01; amended by MOFCOM-2023-2 from 2023-01-01"


def test_queries_only_read_the_writer_brings_a_stale_timeline_up_to_date(db):
    """An extraction stored without the timeline stage: a query answers from what is
    derived and writes nothing; the writer's refresh (after extraction) derives it."""
    from regwatch.cli import cli
    from timeline.build import refresh

    text, result = HISTORY["MOFCOM-2025-72"]
    add(db, "MOFCOM-2025-72", text + " 再版", {**result, "references": [
        ref("MOFCOM-2024-46", "suspends", "2025-11-09", "2026-06-30", "二")]})
    path = db.conn.execute("pragma database_list").fetchone()[2]
    args = ["status", "MOFCOM-2024-46", "--on", "2026-07-01", "--db", path, "--json"]
    derivations = db.execute("select count(*) from derivations").fetchone()[0]
    before = CliRunner().invoke(cli, args)
    assert before.exit_code == 0, before.output
    assert db.execute("select count(*) from derivations").fetchone()[0] == derivations
    stale = next(r for r in json.loads(before.output)["items"] if r["provision"] == "二")
    assert (stale["state"], stale["since"]) != ("in_force", "2026-07-01")

    assert refresh(db, trigger="run") is not None
    out = CliRunner().invoke(cli, args)
    assert out.exit_code == 0, out.output
    clause = next(r for r in json.loads(out.output)["items"] if r["provision"] == "二")
    assert (clause["state"], clause["since"], clause["cause"]) == \
        ("in_force", "2026-07-01", "MOFCOM-2025-72")


def test_every_command_has_help():
    from regwatch.cli_timeline import COMMANDS

    assert {c.name for c in COMMANDS} == {"status", "changes", "timeline", "search"}
    for command in COMMANDS:
        assert command.help and len(command.help.split()) > 4, command.name
        out = CliRunner().invoke(command, ["--help"])
        assert out.exit_code == 0 and "--json" in out.output and "--db" in out.output


def test_older_layout_is_rebuilt_from_the_extractions(db):
    """Timeline tables of an older layout are dropped, made again and refilled."""
    from timeline.schema import LAYOUT, ensure_tables

    db.execute("delete from meta where key = 'timeline_layout'")
    db.execute("drop table item_terms")
    db.execute("create table item_terms (kind text, term text, subject_id int, "
               "announcement text not null)")
    ensure_tables(db)
    assert db.execute("select value from meta where key = 'timeline_layout'").fetchone()[0] \
        == str(LAYOUT)
    assert db.execute("select count(*) from intervals").fetchone()[0] == 0
    summary = update_timeline(db)
    assert summary["inputs_changed"] == len(HISTORY)
    item = _item(status(db, "MOFCOM-2024-46", on="2025-12-01"), item_key="MOFCOM-2024-46/§二/1")
    assert (item["state"], item["cause"]) == ("suspended", "MOFCOM-2025-72")


def test_status_changes_and_search_run_on_a_read_only_connection(db):
    """Queries only read: a ``mode=ro`` connection answers exactly as the writer's does."""
    import sqlite3

    from sqlite_utils import Database

    from timeline.search import search

    path = db.conn.execute("pragma database_list").fetchone()[2]
    ro = Database(sqlite3.connect(f"file:{path}?mode=ro", uri=True))
    asks = [
        lambda d: status(d, "MOFCOM-2024-46", on="2025-12-01"),
        lambda d: status(d, "gallium", on="2025-11-09"),
        lambda d: changes(d, "2025-01-01", "2025-12-31"),
        lambda d: timeline(d, "MOFCOM-2025-72"),
        lambda d: search(d, "镓"),
    ]
    for ask in asks:
        assert ask(ro) == ask(db)
    assert ro.conn.total_changes == 0
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        ro.execute("insert into meta (key, value) values ('x', 'y')")

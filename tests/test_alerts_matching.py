"""The indexed matcher gives exactly the each-against-each answer (alerts/matching.py).

Random subscriptions and events, drawn to hit the corners the index handles apart:
subscriptions with no topic, group materials, HS and control-code prefixes of every
length, keywords of one to many characters (case differs), scope filters, baseline
events, health events and reminders.
"""

from __future__ import annotations

import random

import pytest

from alerts import kinds, subscriptions
from alerts.matching import Facts, SubscriptionIndex, match_each

MATERIALS = ["gallium", "germanium", "rare earths", "samarium", "dysprosium", "graphite"]
HS = ["2805301910", "2846901990", "8112920000", "2825909000", "3801100000"]
CODES = ["1C902.a", "1C902.b", "1C903", "3E904.c.1", "2B910"]
WORDS = ["稀土", "镓", "出口管制", "Magnet", "end user", "许可证", "实体0042", "Company 0042 Ltd",
         "x", "氧化物"]


def _subscription(rng: random.Random, sid: int) -> dict:
    kw: dict = {}
    for _ in range(rng.randint(0, 3)):
        pick = rng.random()
        if pick < 0.3:
            kw.setdefault("materials", []).append(rng.choice(MATERIALS))
        elif pick < 0.55:
            code = rng.choice(HS)
            kw.setdefault("hs_prefixes", []).append(code[:rng.randint(1, 10)])
        elif pick < 0.75:
            code = rng.choice(CODES)
            kw.setdefault("control_code_prefixes", []).append(code[:rng.randint(1, 5)])
        else:
            word = rng.choice(WORDS)
            kw.setdefault("keywords", []).append(word.upper() if rng.random() < 0.2 else word)
    if rng.random() < 0.3:
        kw["sources"] = [rng.choice(["mofcom", "gacc"])]
    if rng.random() < 0.2:
        kw["issuers"] = [rng.choice(["GACC", "mofcom"])]
    if rng.random() < 0.3:
        kw["event_kinds"] = rng.sample(list(kinds.KINDS), 3)
    if rng.random() < 0.3:
        kw["reminder_days"] = rng.sample([1, 3, 7, 14], 2)
    kw["include_baseline"] = rng.random() < 0.2
    return {**subscriptions.build("email", f"s{sid}@example.com", **kw), "id": sid}


def _facts(rng: random.Random) -> Facts:
    kind = rng.choice(list(kinds.KINDS))
    items = [{"control_code": rng.choice(CODES), "hs_codes": rng.sample(HS, rng.randint(0, 2)),
              "materials": rng.sample(MATERIALS, rng.randint(0, 1)),
              "text": " ".join(rng.sample(WORDS, 2))} for _ in range(rng.randint(0, 4))]
    days_left = rng.choice([None, 1, 5, 7, 10]) if kind in kinds.REMINDER_KINDS else None
    return Facts(kind=kind, source=rng.choice(["mofcom", "gacc", "MOFCOM", None]),
                 issuers=rng.sample(["MOFCOM", "GACC", "gacc"], rng.randint(0, 2)),
                 materials=sorted({*rng.sample(MATERIALS, rng.randint(0, 2)),
                                   *(m for i in items for m in i["materials"])}),
                 hs_codes=sorted({h for i in items for h in i["hs_codes"]}),
                 control_codes=sorted({i["control_code"] for i in items}),
                 text=" ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 6))).lower()
                 if rng.random() < 0.5 else " ".join(rng.choice(WORDS) for _ in range(4)),
                 items=items, baseline=rng.random() < 0.2, days_left=days_left,
                 reminder_slot=rng.choice([None, 1, 3, 7]) if days_left else None)


def _ids(matches: list) -> list:
    return [(sub["id"], matched) for sub, matched in matches]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("alert_on_baseline", [False, True])
def test_index_equals_each_against_each(seed, alert_on_baseline):
    rng = random.Random(seed)
    subs = [_subscription(rng, sid) for sid in range(1, 301)]
    index = SubscriptionIndex(subs, alert_on_baseline)
    matched_any = 0
    for _ in range(200):
        facts = _facts(rng)
        expected = _ids(match_each(subs, facts, alert_on_baseline))
        assert _ids(index.match(facts)) == expected, facts
        matched_any += bool(expected)
    assert matched_any > 50  # the draw really exercises matching, not only misses


def test_keywords_are_substrings_of_any_length_and_case():
    subs = [{**subscriptions.build("email", "a@example.com", keywords=[word]), "id": n}
            for n, word in enumerate(["镓", "GaN", "end user", "company 0042 ltd", "zz"], 1)]
    index = SubscriptionIndex(subs)
    facts = Facts(kind="new", source="mofcom", text="含镓物项 gan 晶圆；End User: Company 0042 Ltd")
    assert [(s["id"], m["keywords"]) for s, m in index.match(facts)] == [
        (1, ["镓"]), (2, ["gan"]), (3, ["end user"]), (4, ["company 0042 ltd"])]

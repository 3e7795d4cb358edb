"""Customs penalty decisions for the mirror, generated from mirror/data/penalties.yaml.

Regional customs sites publish their subordinate offices' penalty decisions
(行政处罚决定书) in a disclosure list; each entry opens a decision page, and some
decisions exist only as a PDF attached to an otherwise empty page. The generator makes
such lists and pages so that the published half-year figures (issue #19: 79 decisions in
2025H1 against 46 in 2024H1, categories, material shares, the share of mitigated cases
and mean fine ratios by quarter) hold *exactly* for whatever reads the pages back.

Exactness comes from quotas, not luck: each half-year is split into quarter slots
(fined or not punished), kinds of goods are dealt to slots from a shuffled pool, and the
per-case fine ratios of each quarter are integers whose sum is fixed, so their mean is the
target. Amounts are then chosen as a round fine and a value of fine / ratio, so a reader
that parses the printed amounts recovers each ratio to within a rounding of a fen.
Everything is seeded: the same data gives the same bytes.
"""

from __future__ import annotations

import hashlib
import random
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from core import yamldata

DATA = Path(__file__).parent / "data" / "penalties.yaml"
LIST_SIZE = 20
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
CN_DIGITS = "〇一二三四五六七八九"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"

_env = Environment(loader=PackageLoader("mirror", "templates"),
                   autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


def load_params(path: Path = DATA) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        return yamldata.load(fh)


# --- small formatters ---------------------------------------------------------------------


def uscc(rng: random.Random, region_code: str) -> str:
    """A unified social credit code with a valid GB 32100 check character."""
    body = "91" + region_code + "".join(rng.choice(USCC_CHARS) for _ in range(9))
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(body, USCC_WEIGHTS, strict=True))
    return body + USCC_CHARS[(31 - total % 31) % 31]


def yuan(amount: float) -> str:
    """123456.78元 / 60000元, as decisions print yuan."""
    return f"{amount:.0f}元" if float(amount).is_integer() else f"{amount:.2f}元"


def wan(amount: float) -> str:
    """An amount in 万元 with as many decimals as it needs (up to four)."""
    text = f"{amount / 10000:.4f}".rstrip("0").rstrip(".")
    return f"{text}万元"


def cn_date(day: date) -> str:
    """二〇二五年六月十二日, as some signatures print the date."""
    def number(n: int) -> str:
        if n < 10:
            return CN_DIGITS[n]
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else CN_DIGITS[tens]) + "十" + (CN_DIGITS[ones] if ones else "")
    year = "".join(CN_DIGITS[int(d)] for d in str(day.year))
    return f"{year}年{number(day.month)}月{number(day.day)}日"


def ymd(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


# --- quotas -------------------------------------------------------------------------------


def ratios_with_mean(rng: random.Random, n: int, mean: int, low: int, high: int) -> list[int]:
    """``n`` integer percentages in [low, high] whose mean is exactly ``mean``."""
    values = [rng.randint(low, high) for _ in range(n)]
    diff = n * mean - sum(values)
    while diff:
        i = rng.randrange(n)
        step = 1 if diff > 0 else -1
        if low <= values[i] + step <= high:
            values[i] += step
            diff -= step
    return values


def _day_in(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, (end - start).days))


def _quarter_bounds(year: int, quarter: str) -> tuple[date, date]:
    q = int(quarter[1])
    start = date(year, 3 * q - 2, 1)
    end = date(year + (q == 4), (3 * q) % 12 + 1, 1) - timedelta(days=1)
    return start, end


def _slots(rng: random.Random, period: str, spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Quarter slots of one half-year, fined ones carrying their ratio."""
    year = int(period[:4])
    slots = []
    for quarter, q in spec["quarters"].items():
        start, end = _quarter_bounds(year, quarter)
        low, high = q["ratio_range"]
        for ratio in ratios_with_mean(rng, q["fined"], q["mean_ratio_pct"], low, high):
            slots.append({"quarter": quarter, "bounds": (start, end), "ratio": ratio})
        slots += [{"quarter": quarter, "bounds": (start, end), "ratio": None}
                  for _ in range(q["not_punished"])]
    return slots


def _deal_kinds(rng: random.Random, slots: list[dict[str, Any]], kinds: dict[str, int]) -> None:
    """Kinds of goods to slots; magnets only after 2025-04-04, so only into Q2 slots."""
    order = list(range(len(slots)))
    rng.shuffle(order)
    magnets = [i for i in order if slots[i]["quarter"] == "Q2"][: kinds.get("magnets", 0)]
    rest = [k for k, n in kinds.items() if k != "magnets" for _ in range(n)]
    rng.shuffle(rest)
    for i in magnets:
        slots[i]["kind"] = "magnets"
    free = [i for i in order if i not in set(magnets)]
    if len(free) != len(rest):
        raise ValueError("kinds do not add up to the slots of the period")
    for i, kind in zip(free, rest, strict=True):
        slots[i]["kind"] = kind


def _deal_leniency(rng: random.Random, slots: list[dict[str, Any]], spec: dict[str, Any]) -> None:
    fined = [s for s in slots if s["ratio"] is not None]
    pool = [k for k, n in spec["leniency"].items() for _ in range(n)]
    if len(pool) != len(fined):
        raise ValueError("leniency counts do not add up to the fined cases")
    rng.shuffle(pool)
    for slot, leniency in zip(fined, pool, strict=True):
        slot["leniency"] = leniency
    for slot in slots:
        slot.setdefault("leniency", "not_punished")
    for slot in rng.sample(fined, spec.get("smuggling", 0)):
        slot["case_type"] = "smuggling"


# --- cases --------------------------------------------------------------------------------


class _Builder:
    """Turns slots into complete case dicts (parties, goods, dates, amounts, numbers)."""

    def __init__(self, params: dict[str, Any], rng: random.Random) -> None:
        self.p = params
        self.rng = rng
        self.regions = params["regions"]
        self.weights = [r["weight"] for r in self.regions]

    def case(self, slot: dict[str, Any], period: str) -> dict[str, Any]:
        rng = self.rng
        kind = slot.get("kind", "distractor")
        start, end = slot["bounds"]
        if kind == "magnets":
            decided = _day_in(rng, max(start, date(2025, 5, 2)), end)
            declared = _day_in(rng, date(2025, 4, 7), decided - timedelta(days=20))
        else:
            decided = _day_in(rng, start, end)
            declared = decided - timedelta(days=rng.randint(25, 160))
        goods = self.goods(kind, declared)
        region = rng.choices(self.regions, self.weights)[0]
        office = rng.choice(region["offices"])
        category = {"military": "military", "other": "other", "distractor": None}.get(
            kind, "dual_use")
        case: dict[str, Any] = {
            "period": period, "kind": kind, "category": category,
            "material": kind if kind in ("graphite", "key_minerals", "magnets") else None,
            "region": region["name"], "region_slug": region["slug"], "column": region["column"],
            "office": office["name"], "prefix": office["prefix"],
            "case_type": slot.get("case_type", "violation"),
            "decided": decided, "declared": declared,
            "trade_mode": rng.choice(self.p["trade_modes"]),
            "declaration_number": office["port"] + f"{declared.year}" + "".join(
                rng.choice("0123456789") for _ in range(10)),
            "goods": goods, "leniency": slot.get("leniency", "standard"),
            "variant": rng.choice("ABC"),
        }
        case["export_control"] = kind != "distractor"
        case["party"] = self.party()
        case["circumstances"] = self.circumstances(case["leniency"])
        self.amounts(case, slot.get("ratio"))
        return case

    def goods(self, kind: str, declared: date) -> dict[str, Any]:
        pool = [g for g in self.p["goods"][kind]
                if not g.get("from") or date.fromisoformat(str(g["from"])) <= declared]
        goods = dict(self.rng.choice(pool))
        if self.rng.random() < 0.25 and kind not in ("distractor",):
            goods["declared_as"] = {"graphite": "碳素制品", "key_minerals": "金属制品",
                                    "magnets": "电机配件", "military": "体育用品",
                                    "other": "化工原料"}.get(kind, "机械零件")
        return goods

    def party(self) -> dict[str, str]:
        rng = self.rng
        province, district, short = rng.choice(self.p["cities"])
        industry = rng.choice(self.p["industries"])
        if rng.random() < 0.7:
            name = f"{short}某某{industry}有限公司"
        else:
            syllables = "澄岳衡泓岑钧澜珩翊璟骁彦祺瀚"
            name = f"{short}{rng.choice(syllables)}{rng.choice(syllables)}{industry}有限公司"
        region_code = str(rng.randint(110000, 659999))
        return {
            "name": name,
            "uscc": uscc(rng, region_code),
            "address": f"{province}{district}{rng.choice(self.p['roads'])}{rng.randint(1, 999)}号",
            "representative": rng.choice(SURNAMES) + "某某",
        }

    def circumstances(self, leniency: str) -> list[str]:
        rng = self.rng
        if leniency == "not_punished":
            return rng.choice([["补办许可证"], ["配合海关查处违法行为", "补办许可证"],
                               ["初次违法", "删单退关"]])
        if leniency in ("mitigated", "lenient"):
            pool = ["配合海关查处违法行为", "认错认罚", "主动减轻危害后果", "初次违法", "删单退关"]
            return sorted(rng.sample(pool, rng.randint(1, 3)), key=pool.index)
        if leniency == "aggravated":
            return ["曾因同类违法行为受到海关行政处罚"]
        return rng.choice([[], [], ["故意瞒报"]])

    def amounts(self, case: dict[str, Any], ratio: int | None) -> None:
        """Fine and values: a round fine, and the base value it is ``ratio`` % of."""
        rng = self.rng
        ratio = ratio or rng.randint(10, 150)  # outside the quotas a ratio of its own
        low, high = (20000, 600000) if ratio >= 100 else (5000, 300000)
        fine = round(rng.uniform(low, high), -3)
        base = round(fine * 100 / ratio, 2)
        case["fine"] = None if case["leniency"] == "not_punished" else fine
        case["confiscation"] = bool(case["fine"]) and case["case_type"] == "smuggling"
        if case["export_control"] and rng.random() < 0.45:
            # the decision states the controlled items' value inside a larger shipment
            case["controlled_value"] = base
            case["goods_value"] = round(base * rng.uniform(1.2, 4.0), 2)
        else:
            case["controlled_value"] = None
            case["goods_value"] = base
        case["amount_style"] = rng.choice(["yuan", "yuan", "wan"])
        if rng.random() < 0.3:
            case["declared_usd"] = round(case["goods_value"] / rng.uniform(7.1, 7.3), 2)


def build_cases(params: dict[str, Any] | None = None, day: int = 1) -> list[dict[str, Any]]:
    """Every generated and hand-written decision published by mirror ``day``, oldest first,
    with case numbers (a hand-written decision with ``day: N`` appears from day N)."""
    params = params or load_params()
    rng = random.Random(params["seed"])
    builder = _Builder(params, rng)
    cases = []
    for period, spec in params["targets"].items():
        slots = _slots(rng, period, spec)
        _deal_kinds(rng, slots, spec["kinds"])
        _deal_leniency(rng, slots, spec)
        year = int(period[:4])
        start, end = date(year, 1, 1), date(year, 6, 30)
        slots += [{"bounds": (start, end), "ratio": None, "kind": "distractor",
                   "leniency": "standard"} for _ in range(spec["distractors"])]
        cases += [builder.case(s, period) for s in slots]
    for period, spec in params["background"].items():
        bounds = (date.fromisoformat(str(spec["start"])), date.fromisoformat(str(spec["end"])))
        kinds = ["graphite", "key_minerals", "dual_use_other", "military", "other"]
        for i in range(spec["cases"] + spec["distractors"]):
            kind = rng.choice(kinds) if i < spec["cases"] else "distractor"
            leniency = rng.choice(["mitigated", "lenient", "standard", "not_punished"])
            if kind == "distractor":
                leniency = "standard"
            slot = {"bounds": bounds, "ratio": None, "kind": kind, "leniency": leniency}
            cases.append(builder.case(slot, period))
    _forms(rng, cases, params["forms"])
    _number(rng, cases)
    cases += [_handwritten(h) for h in params.get("handwritten") or []
              if int(h.get("day", 1)) <= day]
    cases.sort(key=lambda c: (c["decided"], c["case_number"]))
    for case in cases:
        digest = hashlib.md5(case["case_number"].encode()).hexdigest()
        case["page_id"] = str(6000000 + int(digest[:6], 16) % 999999)
    return cases


def _forms(rng: random.Random, cases: list[dict[str, Any]], forms: dict[str, float]) -> None:
    for case in cases:
        case["form"] = "pdf" if rng.random() < forms["pdf"] else "html"
        case["noisy"] = rng.random() < forms["noisy"]


def _number(rng: random.Random, cases: list[dict[str, Any]]) -> None:
    """Case numbers per office and year, rising with the decision date."""
    counters: dict[tuple[str, int], int] = {}
    for case in sorted(cases, key=lambda c: c["decided"]):
        key = (case["prefix"], case["decided"].year)
        counters[key] = counters.get(key, rng.randint(3, 120)) + rng.randint(1, 18)
        word = "缉查" if case["case_type"] == "smuggling" else "缉违"
        case["case_number"] = f"{case['prefix']}{word}字〔{key[1]}〕{counters[key]}号"


def _handwritten(spec: dict[str, Any]) -> dict[str, Any]:
    """A hand-written case from the YAML, in the generated cases' shape."""
    goods = dict(spec["goods"])
    declared_value = spec.get("declared_value") or {}
    return {
        "period": "handwritten", "kind": spec.get("material") or spec["category"],
        "category": spec["category"], "material": spec.get("material"),
        "region": spec["region"], "office": spec["office"],
        "region_slug": _slug(spec["region"]), "column": _column(spec["region"]),
        "prefix": spec["case_number"].split("缉")[0],
        "case_number": spec["case_number"], "case_type": spec.get("case_type", "violation"),
        "decided": spec["decided"], "declared": spec["declared"],
        "trade_mode": spec["trade_mode"], "declaration_number": spec["declaration_number"],
        "goods": goods, "leniency": spec["leniency"], "variant": "A",
        "export_control": True, "party": {**spec["party"], "representative": "某某"},
        "circumstances": spec.get("circumstances", []), "fine": spec.get("fine"),
        "confiscation": bool(spec.get("confiscation")),
        "goods_value": spec.get("goods_value"), "controlled_value": spec.get("controlled_value"),
        "declared_usd": declared_value.get("amount") if declared_value else None,
        "amount_style": "yuan", "form": spec.get("form", "html"),
        "noisy": bool(spec.get("noisy")),
    }


@cache
def _region_index() -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in load_params()["regions"]}


def _slug(region: str) -> str:
    return _region_index()[region]["slug"]


def _column(region: str) -> str:
    return _region_index()[region]["column"]


# --- text ---------------------------------------------------------------------------------


def _money(case: dict[str, Any], amount: float) -> str:
    return wan(amount) if case["amount_style"] == "wan" else yuan(amount)


def decision_paragraphs(case: dict[str, Any]) -> list[str]:
    """The decision as paragraphs of plain text (the page body or the PDF's lines)."""
    variant = case["variant"]
    party = case["party"]
    head = [f"中华人民共和国{case['office']}", "行政处罚决定书", case["case_number"]]
    if variant == "B":
        who = [f"当事人{party['name']}，统一社会信用代码{party['uscc']}，"
               f"住所{party['address']}，法定代表人{party['representative']}。"]
    else:
        who = [f"当事人：{party['name']}", f"法定代表人：{party['representative']}",
               f"统一社会信用代码：{party['uscc']}", f"地址：{party['address']}"]
    facts = _facts(case)
    evidence = "以上事实有报关单及随附单证、查验记录、检测报告、查问笔录等证据为证。"
    decision = _decision(case)
    tail = []
    if case["fine"]:
        tail.append("当事人应当自本处罚决定书送达之日起十五日内履行上述处罚决定。"
                    "到期不缴纳罚款的，每日按罚款数额的百分之三加处罚款。")
    tail.append(f"如不服本处罚决定，可以自本处罚决定书送达之日起六十日内向{case['region']}"
                "申请行政复议，或者自送达之日起六个月内依法向人民法院提起行政诉讼。")
    signed = cn_date(case["decided"]) if variant == "C" else ymd(case["decided"])
    sign = [f"中华人民共和国{case['office']}", signed]
    if variant == "C":
        return head + ["一、当事人基本情况"] + who + ["二、违法事实"] + facts + [evidence] + [
            "三、处罚依据及决定"] + decision + tail + sign
    return head + who + facts + [evidence] + decision + tail + sign


def _value_sentence(case: dict[str, Any]) -> str:
    parts = []
    if case.get("declared_usd"):
        parts.append(f"申报总价为{case['declared_usd']:g}美元（FOB价）")
    if case.get("goods_value") and not case.get("controlled_value"):
        parts.append(f"经计核，涉案货物价值人民币{_money(case, case['goods_value'])}")
    elif case.get("goods_value"):
        parts.append(f"整票货物价值人民币{_money(case, case['goods_value'])}")
    return "，".join(parts)


def _facts(case: dict[str, Any]) -> list[str]:
    g = case["goods"]
    name = g.get("declared_as") or g["name"]
    hs = g["hs"] if not g.get("declared_as") else _other_hs(g["hs"])
    if g.get("actual_hs"):
        hs = g["hs"]
    first = (f"{ymd(case['declared'])}，当事人委托某某报关有限公司以{case['trade_mode']}方式"
             f"向海关申报出口{name}一批，报关单号为{case['declaration_number']}，"
             f"申报商品编号为{hs}")
    if case["variant"] == "B":
        first = (f"{ymd(case['declared'])}，当事人以{case['trade_mode']}方式向海关申报出口货物1票"
                 f"（报关单号：{case['declaration_number']}），申报品名为“{name}”，"
                 f"申报商品编码{hs}")
    value = _value_sentence(case)
    first += ("，" + value if value else "") + "。"
    if case["kind"] == "distractor":
        return [first + "经查验，该批货物实际数量、价格与申报不符，影响海关统计准确性。"]
    real = g["name"] + (f"（{g['note']}）" if g.get("note") else "")
    actual = g.get("actual_hs") or (g["hs"] if g.get("declared_as") else None)
    finding = f"经海关查验、取样和检测，该批货物实为{real}"
    if actual:
        finding += f"，应归入商品编号{actual}项下"
    finding += "。"
    if case["category"] == "dual_use":
        coded = case["decided"] >= date(2025, 1, 1) and g.get("code")
        listing = ("《中华人民共和国两用物项出口管制清单》" if case["decided"] >= date(2024, 12, 1)
                   else g["basis"] if g["basis"].startswith("商务部") else f"《{g['basis']}》")
        finding += (f"该货物属于{listing}所列两用物项"
                    + (f"（出口管制编码{g['code']}）" if coded else "")
                    + "，出口应当提交两用物项和技术出口许可证，当事人未能提交。")
    elif case["category"] == "military":
        finding += "该货物属于《中华人民共和国军品出口管理清单》所列军品，出口应当取得军品出口许可，当事人未取得。"
    else:
        finding += "该货物属于国家实行出口管制的易制毒化学品，为管制物项，出口应当取得许可，当事人未能提交。"
    if case.get("controlled_value"):
        finding += f"经计核，管制物项价值人民币{_money(case, case['controlled_value'])}。"
    circ = [c for c in case["circumstances"] if c not in ("曾因同类违法行为受到海关行政处罚",)]
    if circ and case["leniency"] != "standard":
        finding += "案件办理过程中，当事人" + "、".join(_circ_phrase(c) for c in circ) + "。"
    elif "故意瞒报" in circ:
        finding += "经查，当事人为及时出口，故意瞒报货物品名及成分。"
    return [first, finding]


def _other_hs(hs: str) -> str:
    """A non-controlled code for goods declared under another name."""
    return {"25": "6903100000", "38": "3801909090", "68": "6903100000", "81": "7326909000",
            "28": "2841909090", "85": "8503009090", "63": "9506919000", "65": "9506919000",
            "90": "9506919000", "29": "2918999090", "72": "7326909000", "26": "2841909090",
            "84": "8479899990", "75": "7326909000"}.get(hs[:2], "8487900000")


def _circ_phrase(c: str) -> str:
    return {"配合海关查处违法行为": "配合海关查处违法行为", "认错认罚": "认错认罚",
            "主动减轻危害后果": "主动减轻违法行为危害后果", "初次违法": "系初次违法",
            "删单退关": "积极办理删单退关", "补办许可证": "已补办出口许可证件",
            "故意瞒报": "故意瞒报"}.get(c, c)


def _decision(case: dict[str, Any]) -> list[str]:
    if case["kind"] == "distractor":
        basis = ("当事人申报不实，违反了《中华人民共和国海关法》第二十四条第一款之规定，"
                 "构成同法第八十六条第三项所列之违法行为。")
        action = f"依照《中华人民共和国海关行政处罚实施条例》第十五条第一项之规定，决定对当事人科处罚款人民币{_money(case, case['fine'])}。"
        return [basis + action]
    smuggling = case["case_type"] == "smuggling"
    if smuggling:
        basis = "当事人以伪报品名方式逃避海关监管，出口国家限制出口的管制物项，构成走私行为。"
        clause = ("依照《中华人民共和国海关法》第八十二条第一款第（一）项、"
                  "《中华人民共和国海关行政处罚实施条例》第七条第（二）项之规定，")
    else:
        basis = ("当事人未经许可擅自出口管制物项，违反了《中华人民共和国出口管制法》第十九条之规定，"
                 "构成同法第三十四条第一项所列之违法行为，应当予以行政处罚。")
        clause = ""
    circ = "、".join(_circ_phrase(c) for c in case["circumstances"]
                    if c not in ("故意瞒报", "曾因同类违法行为受到海关行政处罚"))
    leniency = case["leniency"]
    if leniency == "not_punished":
        return [basis + f"鉴于当事人{circ or '及时改正'}，违法行为轻微并及时改正，没有造成危害后果，"
                "依照《中华人民共和国行政处罚法》第三十三条第一款之规定，决定对当事人不予行政处罚。"]
    why = {
        "mitigated": f"鉴于当事人{circ}，依照《中华人民共和国行政处罚法》第三十二条第（五）项之规定，"
                     "对当事人减轻处罚。",
        "lenient": f"鉴于当事人{circ}，具有从轻处罚情节，对当事人从轻处罚。",
        "standard": "当事人无从轻、减轻处罚情节。" if case["variant"] != "B" else "",
        "aggravated": "当事人曾因同类违法行为受到海关行政处罚，依法从重处罚。",
    }[leniency]
    action = f"{clause}决定对当事人作出如下行政处罚：科处罚款人民币{_money(case, case['fine'])}"
    if case["confiscation"]:
        action += "，没收涉案货物"
    return [basis + why + action + "。"]


# --- noise --------------------------------------------------------------------------------

FULL = str.maketrans("0123456789.:,()", "０１２３４５６７８９．：，（）")


def noisy(lines: list[str], seed: str) -> list[str]:
    """OCR-style damage a careful reader can undo: full-width digits, O for 0 and l for 1
    inside numbers, spaces between characters, lines broken mid-sentence."""
    rng = random.Random(seed)
    out = []
    for line in lines:
        chars = []
        for i, ch in enumerate(line):
            prev_digit = i > 0 and line[i - 1].isdigit()
            if ch == "0" and prev_digit and rng.random() < 0.15:
                ch = "O"
            elif ch == "1" and prev_digit and rng.random() < 0.1:
                ch = "l"
            elif ch.isdigit() and rng.random() < 0.12:
                ch = ch.translate(FULL)
            chars.append(ch)
            if "\u4e00" <= ch <= "\u9fff" and rng.random() < 0.04:
                chars.append(" ")
        text = "".join(chars)
        if len(text) > 30 and rng.random() < 0.5:
            cut = rng.randint(10, len(text) - 10)
            out += [text[:cut], text[cut:]]
        else:
            out.append(text)
    return out


def page_lines(case: dict[str, Any]) -> list[str]:
    lines = decision_paragraphs(case)
    return noisy(lines, case["case_number"]) if case["noisy"] else lines


# --- pages --------------------------------------------------------------------------------


def list_title(case: dict[str, Any]) -> str:
    return f"中华人民共和国{case['office']}行政处罚决定书（{case['case_number']}）"


def base_path(case: dict[str, Any]) -> str:
    return f"/{case['region_slug']}_customs/{case['column']}"


def detail_path(case: dict[str, Any]) -> str:
    return f"{base_path(case)}/{case['page_id']}/index.html"


def pdf_path(case: dict[str, Any]) -> str:
    stamp = case["decided"].strftime("%Y%m%d")
    return f"{base_path(case)}/{case['page_id']}/P0{stamp}{case['page_id'][-6:]}.pdf"


def list_path(region: dict[str, Any], page: int) -> str:
    name = "index.html" if page == 1 else f"index_{page}.html"
    return f"/{region['slug']}_customs/{region['column']}/{name}"


def render_detail(case: dict[str, Any]) -> str:
    posted = case["decided"] + timedelta(days=3 + int(case["page_id"]) % 9)
    return _env.get_template("penalty_detail.html").render(
        c=case, title=list_title(case), posted=posted.isoformat(),
        lines=[] if case["form"] == "pdf" else page_lines(case),
        pdf=pdf_path(case) if case["form"] == "pdf" else None)


def render_pdf(case: dict[str, Any], font: str) -> bytes:
    """The decision as an A4 PDF (fpdf2, embedded CJK font), dated by its decision."""
    from fpdf import FPDF

    from mirror.files import fixed_datetime

    pdf = FPDF(format="A4")
    pdf.set_creation_date(fixed_datetime(case["decided"]))
    pdf.set_producer("regwatch mirror")
    pdf.add_font("cjk", fname=font)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    lines = page_lines(case)
    for i, line in enumerate(lines):
        title = i < 2
        pdf.set_font("cjk", size=15 if title else 11)
        pdf.multi_cell(0, 9 if title else 6.5, line, align="C" if i < 3 else "L",
                       new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def render_list(region: dict[str, Any], rows: list[dict[str, Any]], page: int, pages: int) -> str:
    return _env.get_template("penalty_list.html").render(
        region=region, rows=rows, page=page, pages=pages,
        prev_url=list_path(region, page - 1) if page > 1 else None,
        next_url=list_path(region, page + 1) if page < pages else None)


def build_site(params: dict[str, Any] | None = None, font: str | None = None,
               pdfs: bool = True, day: int = 1) -> dict[str, tuple[bytes, str]]:
    """URL path -> (bytes, content type) for every list page, decision page and PDF on mirror
    ``day`` (``pdfs=False`` leaves the PDFs out: :func:`penalty_page` renders them when asked).

    :raises RuntimeError: when a decision needs a PDF and no CJK font is installed
    """
    from mirror.files import find_cjk_font

    params = params or load_params()
    cases = build_cases(params, day)
    font = font or find_cjk_font() if pdfs else None
    site: dict[str, tuple[bytes, str]] = {}
    html = "text/html; charset=utf-8"
    for region in params["regions"]:
        mine = [c for c in cases if c["region_slug"] == region["slug"]]
        mine.sort(key=lambda c: (c["decided"], c["case_number"]), reverse=True)
        pages = max(1, -(-len(mine) // LIST_SIZE))
        for page in range(1, pages + 1):
            chunk = mine[(page - 1) * LIST_SIZE: page * LIST_SIZE]
            rows = [{"title": list_title(c), "url": detail_path(c),
                     "posted": (c["decided"] + timedelta(days=3 + int(c["page_id"]) % 9)).isoformat()}
                    for c in chunk]
            site[list_path(region, page)] = (render_list(region, rows, page, pages).encode(), html)
        for case in mine:
            site[detail_path(case)] = (render_detail(case).encode(), html)
            if case["form"] == "pdf" and pdfs:
                if not font:
                    raise RuntimeError("no CJK font for PDF decisions (apt-get install fonts-wqy-microhei)")
                site[pdf_path(case)] = (render_pdf(case, font), "application/pdf")
    return site


def list_starts(params: dict[str, Any] | None = None) -> list[str]:
    """The first list page of every regional customs site."""
    params = params or load_params()
    return [list_path(r, 1) for r in params["regions"]]


# --- serving ------------------------------------------------------------------------------


@cache
def _site(day: int) -> dict[str, tuple[bytes, str]]:
    """Lists and decision pages of a day, built on first use (PDFs are rendered when asked for)."""
    return build_site(pdfs=False, day=day)


@cache
def _pdf_cases(day: int) -> dict[str, dict[str, Any]]:
    return {pdf_path(c): c for c in build_cases(day=day) if c["form"] == "pdf"}


@cache
def _pdf(path: str, day: int) -> tuple[bytes, str] | None:
    from mirror.files import find_cjk_font

    case = _pdf_cases(day).get(path)
    font = find_cjk_font()
    if case is None or font is None:
        return None
    return render_pdf(case, font), "application/pdf"


@cache
def _prefixes() -> tuple[str, ...]:
    return tuple(f"/{r['slug']}_customs/" for r in load_params()["regions"])


def penalty_page(path: str, day: int = 1) -> tuple[bytes, str] | None:
    """(bytes, content type) of a penalty list, decision page or PDF on mirror ``day``;
    None if not one. Days past the last one a decision was added on share its pages."""
    if not path.startswith(_prefixes()):
        return None
    day = min(int(day), _last_day())
    return _site(day).get(path) or _pdf(path, day)


@cache
def _last_day() -> int:
    return max([1, *(int(h.get("day", 1)) for h in load_params().get("handwritten") or [])])

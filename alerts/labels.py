"""The words messages are made of, in English and Chinese, and material names.

Material names come from the extractor's own vocabulary (extract/data/materials.jsonl)
when it is there, so ``--material 镓`` and ``--material gallium`` are one subscription
and a Chinese message says 镓 where an English one says gallium.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

MATERIALS_FILE = Path(__file__).resolve().parent.parent / "extract" / "data" / "materials.jsonl"

# A subscription to the group also hears about each member (the extraction contract
# reports "rare earths" only for provisions on the group as a whole).
RARE_EARTHS = ("scandium", "yttrium", "lanthanum", "cerium", "praseodymium", "neodymium",
               "promethium", "samarium", "europium", "gadolinium", "terbium", "dysprosium",
               "holmium", "erbium", "thulium", "ytterbium", "lutetium")
GROUPS = {"rare earths": RARE_EARTHS}

ISSUERS = {
    "MOFCOM": ("Ministry of Commerce (MOFCOM)", "商务部"),
    "GACC": ("General Administration of Customs (GACC)", "海关总署"),
    "MIIT": ("Ministry of Industry and Information Technology (MIIT)", "工业和信息化部"),
    "SCA": ("State Cryptography Administration (SCA)", "国家密码管理局"),
    "UEL": ("Unreliable Entity List working mechanism", "不可靠实体清单工作机制"),
    "NECCO": ("National Export Control Coordination Office", "国家出口管制工作协调机制办公室"),
}

FIELDS = {
    "number": ("Number", "文号"),
    "title": ("Title", "标题"),
    "issuers": ("Issuers", "发布机关"),
    "issue_date": ("Issue date", "发布日期"),
    "effective_dates": ("Effective dates", "生效日期"),
    "control_codes": ("Control codes", "管制编码"),
    "hs_codes": ("HS codes", "海关商品编号"),
    "materials": ("Materials", "物项材料"),
    "items": ("Items", "管制物项"),
    "references": ("References", "引用公告"),
    "conditions": ("Conditions", "条件"),
    "keywords": ("Keywords", "关键词"),
}

WORDS = {
    "added": ("added", "新增"),
    "removed": ("removed", "删除"),
    "what_changed": ("What changed", "变更内容"),
    "matched": ("Matched your subscription", "与您的订阅匹配"),
    "link": ("Link", "链接"),
    "catalogue": ("Catalogue", "目录编号"),
    "document": ("document", "文档"),
    "event": ("event", "事件"),
    "alert_key": ("Alert key", "提醒编号"),
    "by": ("by", "依据"),
    "until": ("until", "至"),
    "from": ("from", "自"),
    "clause": ("clause", "条款"),
    "in_days": ("in {n} days", "还有{n}天"),
    "today": ("today", "今天"),
    "takes_effect": ("takes effect on {date}", "将于{date}生效"),
    "period_ends": ("{target} suspension ends on {date}", "{target}暂停实施期限于{date}届满"),
    "in_force_again": ("in force again from {date} (suspension by {by} ended){clauses}",
                       "自{date}起恢复实施（{by}暂停期限届满）{clauses}"),
    "took_effect": ("took effect on {date}{clauses}", "自{date}起正式实施{clauses}"),
    "clauses": (", clauses {list}", "，条款{list}"),
    "digest": ("Daily digest", "每日摘要"),
    "alerts_n": ("{n} alerts", "{n}条提醒"),
    "source": ("Source", "信息源"),
    "reason": ("Reason", "原因"),
    "run": ("crawl run", "抓取批次"),
    "text_lines": ("Page text", "页面文字"),
    "no_number": ("(no number)", "（无文号）"),
    "unsubscribe": ("To stop these alerts: regwatch unsubscribe {id}",
                    "退订：regwatch unsubscribe {id}"),
    "more_items": ("… and {n} more", "……另有{n}项"),
    "subscription": ("Subscription", "订阅"),
    "was": ("was", "原因"),
}

HEALTH_REASONS = {
    "anti-bot": ("the site answers with an anti-bot challenge page", "网站返回反爬虫验证页面"),
    "empty-list": ("the list page yields no announcements (it used to)",
                   "列表页未解析出任何公告（此前可以）"),
    "too-few-entries": ("the list pages yield fewer announcements than the source declares",
                        "列表页解析出的公告少于该来源声明的数量"),
    "failed-runs": ("several consecutive crawls failed", "连续多次抓取失败"),
    "stale": ("no successful crawl for too long", "长时间没有成功抓取"),
    "possibly-missed": ("a number of the series was skipped: possibly missed",
                        "该系列公告出现缺号，可能漏抓"),
    "gap-filled": ("the skipped number is in the catalogue now", "缺号公告已收录"),
}


def pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "zh" else pair[0]


def word(name: str, lang: str, **kwargs: object) -> str:
    return pick(WORDS[name], lang).format(**kwargs)


def field(name: str, lang: str) -> str:
    return pick(FIELDS.get(name, (name, name)), lang)


def issuer(code: str, lang: str) -> str:
    names = ISSUERS.get(code.upper())
    if not names:
        return code
    return names[1] if lang == "zh" else code


@cache
def _materials() -> dict[str, list[str]]:
    """material -> its Chinese names (first is the display name)."""
    out: dict[str, list[str]] = {}
    try:
        lines = MATERIALS_FILE.read_text(encoding="utf-8").splitlines()
    except OSError:
        return out
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("material") and entry.get("kind") in ("element", "material", "group", "alias"):
            names = [n for n in entry.get("zh", []) if n]
            if entry["kind"] == "element":
                names.reverse()  # the data lists the traditional character first
            out.setdefault(entry["material"], []).extend(names)
    return out


def material(name: str, lang: str) -> str:
    if lang != "zh":
        return name
    names = _materials().get(name)
    return names[0] if names else name


def material_code(name: str) -> str:
    """The vocabulary word for a material written in English or Chinese."""
    lowered = name.strip().lower()
    if lowered in _materials() or lowered in GROUPS:
        return lowered
    for code, names in _materials().items():
        if name.strip() in names:
            return code
    return lowered


def expand_material(name: str) -> tuple[str, ...]:
    """A material and, for a group, its members."""
    return (name, *GROUPS.get(name, ()))

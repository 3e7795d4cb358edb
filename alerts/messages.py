"""Messages a person can act on, from queued alerts: e-mail (text + HTML), chat, webhook JSON.

Each alert becomes a *view* (plain strings, in the subscription's language): headline,
number, title, issuers, dates, what changed (before → after), what matched the
subscription, the link and the catalogue ID. Templates only lay views out; the HTML
one autoescapes, so nothing taken from a page can become markup. Chat messages are
cut to the service's limits by dropping detail before facts (:func:`fit`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from alerts import kinds, labels
from alerts.labels import field as field_label
from alerts.labels import word

_env = Environment(
    loader=PackageLoader("alerts", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    trim_blocks=True, lstrip_blocks=True, undefined=StrictUndefined, keep_trailing_newline=True,
)
ITEM_TEXT_CHARS = 80
MAX_ITEMS_SHOWN = 12
SUBJECT_CHARS = 180


@dataclass
class Message:
    key: str
    lang: str
    subject: str
    text: str
    html: str
    views: list[dict[str, Any]] = field(default_factory=list)
    body: dict[str, Any] = field(default_factory=dict)

    def json_bytes(self) -> bytes:
        """The webhook body: exactly these bytes are signed."""
        return json.dumps(self.body, ensure_ascii=False, sort_keys=True, default=str).encode()

    def chat(self, title_max: int, body_max: int) -> tuple[str, str]:
        """A title and body within a chat service's limits (0 = no title field)."""
        blocks: list[tuple[str, bool]] = []
        for view in self.views:
            blocks.append((view["headline"], True))
            blocks += [(f"{label}: {value}", label in view["essential"]) for label, value in view["facts"]]
            blocks += [(line, True) for line in view["details"]]
            for change in view["changes"]:
                blocks.append((change_line(change), True))
            if view["matched"]:
                blocks.append(("; ".join(f"{k}: {v}" for k, v in view["matched"]), True))
            blocks += [(f"· {item}", False) for item in view["matched_items"]]
            if view["url"]:
                blocks.append((view["url"], True))
            blocks.append((f"{word('catalogue', self.lang)}: {view['catalogue']}", True))
        title = self.subject
        if title_max <= 0:
            return "", fit([(title, True), *blocks], body_max)
        return clip(title, title_max), fit(blocks, body_max)


def clip(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


def fit(blocks: list[tuple[str, bool]], limit: int) -> str:
    """Join blocks (one per line) within ``limit`` characters: optional blocks go first,
    then trailing essentials, then the text is clipped."""
    if limit <= 0:
        limit = 10_000
    chosen = list(blocks)
    text = "\n".join(b for b, _ in chosen)
    while len(text) > limit and any(not essential for _, essential in chosen):
        index = max(i for i, (_, essential) in enumerate(chosen) if not essential)
        chosen.pop(index)
        text = "\n".join(b for b, _ in chosen)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def change_line(change: dict[str, Any]) -> str:
    parts = [change["label"]]
    if change.get("before") is not None:
        parts.append(f"{change['before']} → {change['after']}")
    if change.get("added"):
        parts.append("+ " + ", ".join(change["added"]))
    if change.get("removed"):
        parts.append("− " + ", ".join(change["removed"]))
    return ": ".join(parts[:2]) + ("  " + "  ".join(parts[2:]) if len(parts) > 2 else "")


ROW_PREFIX = re.compile(r"^\s*(?:\d{1,3}[\s.、)）]+)?")


def item_text(item: dict[str, Any]) -> str:
    """``CODE text (HS …) [date]``; a table row's number and repeated code are dropped."""
    code = item.get("control_code") or ""
    text = ROW_PREFIX.sub("", item.get("text") or "", count=1)
    if code and text.startswith(code):
        text = text[len(code):]
    parts = [code, clip(text, ITEM_TEXT_CHARS)]
    line = " ".join(p for p in parts if p)
    if item.get("hs_codes"):
        line += f" (HS {', '.join(item['hs_codes'])})"
    if item.get("effective_date"):
        line += f" [{item['effective_date']}]"
    return line or json.dumps(item, ensure_ascii=False)


def _value(name: str, value: Any, lang: str) -> str:
    if value is None or value == []:
        return "—"
    if name == "issuers":
        return ", ".join(labels.issuer(v, lang) for v in value)
    if name == "materials":
        return ", ".join(labels.material(v, lang) for v in value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _link(url: str | None) -> str | None:
    return url if url and url.startswith(("http://", "https://")) else None


def changes_view(changes: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    out = []
    for name, change in changes.items():
        entry: dict[str, Any] = {"label": field_label(name, lang), "before": None, "after": None,
                                 "added": [], "removed": []}
        if name in ("items",):
            entry["added"] = [item_text(i) for i in change.get("added", [])]
            entry["removed"] = [item_text(i) for i in change.get("removed", [])]
        elif name in ("references", "conditions"):
            entry["added"] = [_compact(v) for v in change.get("added", [])]
            entry["removed"] = [_compact(v) for v in change.get("removed", [])]
        else:
            entry["before"] = _value(name, change.get("before"), lang)
            entry["after"] = _value(name, change.get("after"), lang)
            entry["added"] = [_value(name, [v], lang) for v in change.get("added", [])]
            entry["removed"] = [_value(name, [v], lang) for v in change.get("removed", [])]
        out.append(entry)
    return out


def _compact(value: dict[str, Any]) -> str:
    return " ".join(f"{v}" for v in value.values() if v)


def alert_view(alert: dict[str, Any], lang: str) -> dict[str, Any]:
    """Everything a message says about one alert, as display strings."""
    payload = alert["payload"]
    kind = alert["event_kind"]
    number = payload.get("number") or alert.get("number")
    title = payload.get("title") or alert.get("title") or ""
    name = number or clip(title, 40) or word("no_number", lang)
    view: dict[str, Any] = {
        "kind": kind, "kind_label": kinds.label(kind, lang), "priority": alert.get("priority"),
        "number": number, "title": title, "url": _link(payload.get("url") or alert.get("url")),
        "facts": [], "details": [], "changes": [], "text_diff": [], "matched": [],
        "matched_items": [], "alert_key": alert["idempotency_key"], "essential": set(),
    }
    headline = f"{name} — {view['kind_label']}"
    if kind in kinds.HEALTH_KINDS:
        source = payload.get("source") or alert.get("event_source")
        reason = payload.get("reason") or ""
        reason_text = labels.pick(labels.HEALTH_REASONS.get(reason, (reason, reason)), lang)
        headline = f"{source} — {view['kind_label']}"
        view["details"].append(f"{word('reason', lang)}: {reason_text}")
        if payload.get("errors"):
            for error in payload["errors"]:
                view["details"].append(f"  {error.get('reason')}: {error.get('url') or ''}")
        if payload.get("detail"):
            view["details"].append(str(payload["detail"]))
        if payload.get("run_id"):
            view["details"].append(f"{word('run', lang)} #{payload['run_id']}")
        view["catalogue"] = f"{word('event', lang)} #{alert['event_id']}"
        view["headline"] = headline
        return view
    if kind in kinds.ENTITY_KINDS:
        return _entity_view(view, alert, lang)
    if kind in kinds.PORTFOLIO_KINDS:
        from alerts.portfolio import view as portfolio_view

        return portfolio_view(view, alert, lang)
    view["facts"] = [
        (field_label("title", lang), title),
        (field_label("number", lang), number or word("no_number", lang)),
        (field_label("issuers", lang), _value("issuers", payload.get("issuers"), lang)),
        (field_label("issue_date", lang), _value("issue_date", payload.get("issue_date"), lang)),
        (field_label("effective_dates", lang),
         _value("effective_dates", payload.get("effective_dates"), lang)),
    ]
    view["essential"] = {field_label("title", lang), field_label("effective_dates", lang)}
    if kind == kinds.CHANGED:
        changed = [field_label(n, lang) for n in payload.get("changes", {})]
        headline += ": " + ", ".join(changed)
        view["changes"] = changes_view(payload.get("changes", {}), lang)
        view["text_diff"] = payload.get("text_diff") or []
    elif kind in (kinds.TEXT_CHANGED, kinds.COPY_DIFFERS):
        view["text_diff"] = payload.get("text_diff") or []
        if payload.get("primary_url"):
            view["details"].append(f"{word('link', lang)}: {payload['primary_url']}")
    elif kind in kinds.RELATION_KINDS.values():
        by = payload.get("by") or {}
        relation = payload.get("relation") or {}
        line = f"{view['kind_label']} {word('by', lang)} {by.get('number') or ''} {by.get('title') or ''}"
        if relation.get("clause"):
            line += f" ({word('clause', lang)} {relation['clause']})"
        if relation.get("from"):
            line += f", {word('from', lang)} {relation['from']}"
        if relation.get("until"):
            line += f", {word('until', lang)} {relation['until']}"
        view["details"].append(line.strip())
        if by.get("url"):
            view["details"].append(f"{word('link', lang)} ({by.get('number') or ''}): {by['url']}")
        headline = f"{name} — {view['kind_label']} {word('by', lang)} {by.get('number') or ''}".strip()
        if relation.get("until"):
            headline += f" {word('until', lang)} {relation['until']}"
    elif kind in kinds.REMINDER_KINDS:
        reminder = payload.get("reminder") or {}
        days = reminder.get("days_left")
        when = word("today", lang) if days == 0 else word("in_days", lang, n=days)
        if kind == kinds.EFFECTIVE_SOON:
            line = word("takes_effect", lang, date=reminder.get("date"))
        else:
            line = word("period_ends", lang, target=reminder.get("target") or "",
                        date=reminder.get("date"))
        headline = f"{name} — {line} ({when})"
        view["details"].append(f"{line} ({when})")
    elif kind in kinds.TRANSITION_KINDS:
        change = payload.get("transition") or {}
        clauses = ", ".join(change.get("clauses") or [])
        line = word(kind, lang, date=change.get("date") or "", by=change.get("cause") or "",
                    clauses=word("clauses", lang, list=clauses) if clauses else "")
        headline = f"{name} — {line}"
        view["details"].append(line)
    view["headline"] = headline
    matched = alert.get("matched") or {}
    for key in ("materials", "hs_codes", "control_codes", "keywords"):
        if matched.get(key):
            view["matched"].append((field_label(key, lang), _value(key, matched[key], lang)))
    items = matched.get("items") or []
    view["matched_items"] = [item_text(i) for i in items[:MAX_ITEMS_SHOWN]]
    if len(items) > MAX_ITEMS_SHOWN:
        view["matched_items"].append(word("more_items", lang, n=len(items) - MAX_ITEMS_SHOWN))
    doc = payload.get("document_id") or alert.get("document_id")
    view["catalogue"] = (f"{word('document', lang)} #{doc} (regwatch show {doc}), "
                         if doc else "") + f"{word('event', lang)} #{alert['event_id']}"
    return view


def _entity_view(view: dict[str, Any], alert: dict[str, Any], lang: str) -> dict[str, Any]:
    """A counterparty's entity listed, suspended or removed: who, which list, by which
    notice, from when, and which watched name matched it (score and rule)."""
    payload = alert["payload"]
    entity = payload.get("entity") or {}
    name = " / ".join(n for n in (entity.get("en"), entity.get("zh")) if n)
    when = payload.get("date") or ""
    if payload.get("until"):
        when += f" → {payload['until']}"
    view["headline"] = f"{name} — {view['kind_label']} ({payload.get('list')}, {when})"
    view["facts"] = [("list", payload.get("list") or ""),
                     ("announcement", payload.get("announcement") or ""),
                     ("date", when), ("country", entity.get("country") or "")]
    view["essential"] = {"list", "announcement", "date"}
    matched = alert.get("matched") or {}
    view["matched"] = [("counterparties", ", ".join(matched.get("counterparties") or []))]
    view["details"] = [f"{h['counterparty']} ~ {h['entity_id']}: {h['score']:.2f} ({h.get('why')})"
                       for h in matched.get("screening") or []]
    view["catalogue"] = (f"regwatch entity {entity.get('id')}, "
                         f"{word('event', lang)} #{alert['event_id']}")
    return view


def render(subscription: dict[str, Any], alerts: list[dict[str, Any]], key: str,
           digest: bool = False) -> Message:
    """The message for one delivery: a single alert, or a digest of several."""
    lang = subscription.get("lang") or "en"
    views = [alert_view(a, lang) for a in alerts]
    if digest:
        due = alerts[0].get("due_at")
        zone = ZoneInfo(subscription.get("timezone") or "UTC")
        day = datetime.fromisoformat(due.replace("Z", "+00:00")).astimezone(zone).date() if due else ""
        names = ", ".join(dict.fromkeys(v["number"] or v["kind_label"] for v in views))
        subject = (f"{word('digest', lang)} {day}: {word('alerts_n', lang, n=len(views))}"
                   f" ({names})")
    else:
        subject = views[0]["headline"]
    subject = clip(("【regwatch】" if lang == "zh" else "[regwatch] ") + subject, SUBJECT_CHARS)
    L = {k: word(k, lang, id=subscription["id"]) if k == "unsubscribe" else labels.pick(v, lang)
         for k, v in labels.WORDS.items()}
    context = {"entries": views, "L": L, "lang": lang, "subject": subject,
               "subscription_name": subscription.get("name"), "subscription_id": subscription["id"]}
    text = _env.get_template("email.txt").render(**context)
    html = _env.get_template("email.html").render(**context)
    body = {
        "type": "regwatch.alerts", "idempotency_key": key, "digest": digest, "lang": lang,
        "subscription": {"id": subscription["id"], "name": subscription.get("name")},
        "subject": subject, "text": text,
        "alerts": [{
            "alert_id": a["id"], "idempotency_key": a["idempotency_key"],
            "matched": a.get("matched") or {},
            "event": {"id": a["event_id"], "kind": a["event_kind"], "priority": a.get("priority"),
                      "created_at": a.get("event_created_at"), "baseline": bool(a.get("baseline")),
                      "number": a.get("number"), "title": a.get("title"), "url": a.get("url"),
                      "document_id": a.get("document_id"), "payload": a["payload"]},
        } for a in alerts],
    }
    return Message(key=key, lang=lang, subject=subject, text=text, html=html, views=views,
                   body=body)

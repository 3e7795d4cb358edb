"""The event kinds: their names, priorities and labels in both languages."""

from __future__ import annotations

NEW = "new"
CHANGED = "changed"
TEXT_CHANGED = "text_changed"
SUSPENDED = "suspended"
REPEALED = "repealed"
AMENDED = "amended"
EFFECTIVE_SOON = "effective_soon"
PERIOD_ENDING = "period_ending"
IN_FORCE_AGAIN = "in_force_again"
TOOK_EFFECT = "took_effect"
SOURCE_UNHEALTHY = "source_unhealthy"
SOURCE_RECOVERED = "source_recovered"
POSSIBLY_MISSED = "possibly_missed"
GAP_FILLED = "gap_filled"
COPY_DIFFERS = "copy_differs"
CASE_NEW = "case_new"
STATEMENT = "statement"

# kind: (priority, English label, Chinese label)
KINDS: dict[str, tuple[str, str, str]] = {
    NEW: ("high", "new announcement", "新公告"),
    CHANGED: ("high", "announcement changed", "公告内容变更"),
    TEXT_CHANGED: ("low", "page text changed", "页面文字变动"),
    SUSPENDED: ("high", "suspended", "被暂停实施"),
    REPEALED: ("high", "repealed", "被废止"),
    AMENDED: ("high", "amended", "被修改"),
    EFFECTIVE_SOON: ("normal", "takes effect soon", "即将生效"),
    PERIOD_ENDING: ("normal", "period ending soon", "期限即将届满"),
    IN_FORCE_AGAIN: ("high", "in force again", "恢复实施"),
    TOOK_EFFECT: ("normal", "took effect", "正式实施"),
    SOURCE_UNHEALTHY: ("high", "source unhealthy", "信息源异常"),
    SOURCE_RECOVERED: ("normal", "source recovered", "信息源已恢复"),
    POSSIBLY_MISSED: ("high", "possibly missed", "可能漏抓"),
    GAP_FILLED: ("normal", "gap filled", "缺号已补齐"),
    COPY_DIFFERS: ("normal", "a copy differs", "转载版本文字不一致"),
    CASE_NEW: ("normal", "new penalty decision", "新行政处罚决定"),  # alerts/cases.py
    STATEMENT: ("normal", "spokesperson statement", "新闻发言人答问"),  # alerts/statements.py
}

# An entity on a China list that a subscription's counterparty file matches (screening/):
# listed (or listed again), its measures suspended, removed. Only the subscriptions whose
# counterparties match the entity get these (alerts/entities.py).
ENTITY_LISTED = "entity_listed"
ENTITY_SUSPENDED = "entity_suspended"
ENTITY_REMOVED = "entity_removed"
KINDS.update({
    ENTITY_LISTED: ("high", "counterparty listed", "交易对手被列入名单"),
    ENTITY_SUSPENDED: ("high", "counterparty's listing suspended", "交易对手的名单措施暂停"),
    ENTITY_REMOVED: ("high", "counterparty removed from a list", "交易对手被移出名单"),
})
# entity_events.action (screening/schema.py) -> event kind
ENTITY_ACTIONS = {"add": ENTITY_LISTED, "resume": ENTITY_LISTED,
                  "suspend": ENTITY_SUSPENDED, "remove": ENTITY_REMOVED}
ENTITY_KINDS = (ENTITY_LISTED, ENTITY_SUSPENDED, ENTITY_REMOVED)

# What a subscription gets unless it names kinds: everything but page-text noise.
DEFAULT_KINDS = tuple(k for k in KINDS if k != TEXT_CHANGED)
# Kinds about a source, not an announcement: topic filters do not apply to them. A number
# a series skipped is one (nothing is known of its topic): alerts/completeness.py.
HEALTH_KINDS = (SOURCE_UNHEALTHY, SOURCE_RECOVERED, POSSIBLY_MISSED, GAP_FILLED)
# Reference relation (extraction contract) -> event kind for the target announcement.
RELATION_KINDS = {"suspends": SUSPENDED, "repeals": REPEALED, "amends": AMENDED}
REMINDER_KINDS = (EFFECTIVE_SOON, PERIOD_ENDING)
# A day the timeline reached: a suspension ended, a pending measure took effect.
TRANSITION_KINDS = (IN_FORCE_AGAIN, TOOK_EFFECT)

# A portfolio's products (#17 item 4, alerts/portfolio.py): a verdict changed, or a date
# ahead changes one. Only the subscriptions naming the portfolio get them, so they are not
# among the default kinds; a subscription made with --portfolio takes these two.
PORTFOLIO_CHANGED = "portfolio_changed"
PORTFOLIO_UPCOMING = "portfolio_upcoming"
KINDS.update({
    PORTFOLIO_CHANGED: ("high", "portfolio verdict changed", "产品管制结论变化"),
    PORTFOLIO_UPCOMING: ("normal", "portfolio verdict changes soon", "产品管制结论即将变化"),
})
PORTFOLIO_KINDS = (PORTFOLIO_CHANGED, PORTFOLIO_UPCOMING)


def label(kind: str, lang: str) -> str:
    priority, en, zh = KINDS.get(kind, ("normal", kind, kind))
    return zh if lang == "zh" else en

"""The extraction state the rule components hand to each other, declared in one place.

Every key one component writes and a later one reads is a field here, with its type
and the component that fills it. The object also answers ``st["number"]`` and
``st.get("items", [])`` so the components read naturally, but only for declared
fields: an undeclared key raises ``KeyError`` instead of silently creating state.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any


@dataclass
class ExtractState:
    """Per-document state of one pipeline run (``doc._.rw``)."""

    # set by the caller (Extractor._run): lang, url, source, title, fields, meta, item_source
    ctx: dict[str, Any] = field(default_factory=dict)
    # tokenizer: the original text and its length-preserving normalised view
    raw: str | None = None
    view: str | None = None
    # tokenizer: spans blanked in the view because they are pinyin glosses
    glosses: list[tuple[int, int]] = field(default_factory=list)
    # regwatch_structure: lines, fields, clauses, sentences, title
    structure: dict[str, Any] = field(default_factory=dict)
    # regwatch_announcements: every printed number (with issuers and targets)
    mentions: list[dict[str, Any]] = field(default_factory=list)
    # regwatch_dates
    dates: list[Any] = field(default_factory=list)
    issue_date: dict[str, Any] | None = None
    effective: list[dict[str, Any]] = field(default_factory=list)
    provisions: list[dict[str, Any]] = field(default_factory=list)
    # regwatch_number: the own number, its mention and the series of bare numbers
    number: str | None = None
    own_mention: dict[str, Any] | None = None
    own_issuers: list[str] = field(default_factory=list)
    own_key: tuple[int | None, int] | None = None
    default_series: str | None = None
    # regwatch_kind: announcement / statement / news / other, and why
    kind: str | None = None
    kind_evidence: list[dict[str, Any]] = field(default_factory=list)
    # regwatch_issuers
    issuers: list[str] = field(default_factory=list)
    issuer_spans: list[list[int]] = field(default_factory=list)
    # regwatch_codes
    control_codes: list[dict[str, Any]] = field(default_factory=list)
    hs: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    # regwatch_materials: every hit, the reported materials, and the ones only discussed
    material_mentions: list[dict[str, Any]] = field(default_factory=list)
    materials: list[str] = field(default_factory=list)
    material_spans: list[dict[str, Any]] = field(default_factory=list)
    discussed: list[str] = field(default_factory=list)
    discussed_spans: list[dict[str, Any]] = field(default_factory=list)
    # regwatch_references
    references: list[dict[str, Any]] = field(default_factory=list)
    reference_spans: list[dict[str, Any]] = field(default_factory=list)
    # regwatch_conditions
    conditions: list[dict[str, Any]] = field(default_factory=list)
    # the pipeline runner: tracebacks of failed components
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    # -- mapping-style access, declared fields only ------------------------------------
    def _check(self, key: str) -> str:
        if key not in FIELD_NAMES:
            raise KeyError(f"undeclared extraction state key: {key!r}")
        return key

    # The fast paths read the instance dict: every declared field is in it, nothing else is.
    def __getitem__(self, key: str) -> Any:
        try:
            return self.__dict__[key]
        except KeyError:
            raise KeyError(f"undeclared extraction state key: {key!r}") from None

    def __setitem__(self, key: str, value: Any) -> None:
        if key not in self.__dict__:
            raise KeyError(f"undeclared extraction state key: {key!r}")
        self.__dict__[key] = value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in FIELD_NAMES and getattr(self, key) is not None

    def get(self, key: str, default: Any = None) -> Any:
        value = self[key]
        return default if value is None else value

    def setdefault(self, key: str, default: Any = None) -> Any:
        value = getattr(self, self._check(key))
        if value is None:
            setattr(self, key, default)
            return default
        return value


FIELD_NAMES = frozenset(f.name for f in fields(ExtractState))

"""Shared plumbing for the rule components: data files, pattern compilation, state.

Every rule component keeps its patterns as a list of JSON objects. They arrive through
``initialize(patterns=...)`` (read from ``extract/data/*.jsonl`` by the registered
reader ``regwatch.data.v1`` named in the config) and are written back by ``to_disk``
as JSONL, exactly like spaCy's own ``SpanRuler``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import srsly
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import ensure_path, registry

from core.han import has_han

from .errors import Errors, ExtractError, Warnings, warn
from .state import ExtractState

DATA_DIR = Path(__file__).parent / "data"

STATE_KEY = "regwatch"


def _state_getter(doc: Doc) -> ExtractState:
    return state(doc)


if not Doc.has_extension("rw"):
    # Per-document extraction state shared by the components (a declared dataclass).
    Doc.set_extension("rw", getter=_state_getter)
if not Doc.has_extension("norm_text"):
    # The length-preserving normalised view built by the tokenizer.
    Doc.set_extension("norm_text", getter=lambda doc: view(doc))


def state(doc: Doc) -> ExtractState:
    """The extraction state of ``doc`` (created on first use).

    One typed object (``extract.state.ExtractState``) under one ``user_data`` key:
    ``doc._`` builds a new accessor on every use, which costs more than some
    components' whole work on a short document, so the components call this instead.
    """
    st = doc.user_data.get(STATE_KEY)
    if st is None:
        st = ExtractState()
        doc.user_data[STATE_KEY] = st
    return st


def raw(doc: Doc) -> str:
    """The original text of ``doc`` (cached: ``doc.text`` joins every token each time)."""
    st = state(doc)
    text = st.get("raw")
    if text is None:
        text = st["raw"] = doc.text
    return text


def view(doc: Doc) -> str:
    """The normalised view of ``doc`` (same length as ``doc.text``)."""
    st = state(doc)
    norm = st.get("view")
    if norm is None:
        norm = st["view"] = raw(doc)
    return norm


def read_data(name: str, path: str | Path | None = None) -> list[dict[str, Any]]:
    """Read a JSONL (or JSON list) data file shipped in ``extract/data``.

    :raises ExtractError: when the file is missing or a line is not an object
    """
    file = Path(path) if path else DATA_DIR / name
    if not file.exists():
        raise ExtractError(Errors.E001.format(path=file, name=name))
    if file.suffix == ".json":
        data = json.loads(file.read_text(encoding="utf-8"))
        return data if isinstance(data, list) else [data]
    rows = []
    for i, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("//"):
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ExtractError(Errors.E002.format(line=i, path=file, error=exc)) from exc
        if not isinstance(row, dict):
            raise ExtractError(Errors.E002.format(line=i, path=file, error="not an object"))
        rows.append(row)
    return rows


@registry.misc("regwatch.data.v1")
def make_data_reader(name: str) -> list[dict[str, Any]]:
    """Config hook: ``{"@misc": "regwatch.data.v1", "name": "materials.jsonl"}``."""
    return read_data(name)


def data_files_digest() -> str:
    """A digest of every shipped data file: part of the extractor version."""
    digest = hashlib.sha256()
    for file in sorted(DATA_DIR.iterdir()):
        if file.is_file():
            digest.update(file.name.encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def zh_pattern(text: str) -> str:
    """Regex for a Chinese term that survives broken lines (``暂停\\n实施``)."""
    if not has_han(text):
        return re.escape(text)
    return r"\s*".join(re.escape(c) for c in text if not c.isspace())


def en_pattern(text: str) -> str:
    """Regex for an English term: any run of whitespace between words, and OCR's
    ``rn`` read for ``m`` (``Cornmerce``), which the length-preserving view cannot undo."""
    words = [re.escape(w).replace("m", "(?:m|rn)") for w in text.split()]
    return r"\s+".join(words)


def gate(terms: Iterable[str]) -> str:
    """A lookahead on the possible first characters of ``terms``.

    Python's ``re`` tries every alternative at every position; checking one character
    class first makes a 30-term alternation about ten times faster on long texts.
    """
    chars: set[str] = set()
    for term in terms:
        term = term.strip()
        if term:
            chars.update((term[0], term[0].lower(), term[0].upper()))
    return "(?=[" + "".join(re.escape(c) for c in sorted(chars)) + "])" if chars else ""


def alternation(terms: Iterable[str], build: Callable[[str], str] = zh_pattern) -> str:
    """Longest-first alternation, so ``中华人民共和国商务部`` wins over ``商务部``."""
    uniq = sorted(set(t for t in terms if t), key=lambda t: (-len(t), t))
    if not uniq:
        return "(?!)"
    return gate(uniq) + "(?:" + "|".join(build(t) for t in uniq) + ")"


class RuleComponent:
    """Base of the regwatch rule components: patterns in, JSONL out.

    Subclasses implement ``_compile()`` (build regexes from ``self.patterns``) and
    ``__call__``. ``initialize`` and ``from_disk`` both end in ``_compile``.
    """

    data_name = ""

    def __init__(self, nlp: Language, name: str, *,
                 scorer: Callable[..., dict[str, float]] | None = None) -> None:
        self.nlp = nlp
        self.name = name
        self.scorer = scorer
        self.patterns: list[dict[str, Any]] = []
        self._ready = False

    def score(self, examples: Iterable[Any], **kwargs: Any) -> dict[str, float]:
        """What ``nlp.evaluate`` reports for this component (its FORMAT.md fields)."""
        return self.scorer(examples, **kwargs) if self.scorer else {}

    # -- patterns ---------------------------------------------------------------
    def initialize(self, get_examples: Callable[[], Iterable[Any]] | None = None, *,
                   nlp: Language | None = None,
                   patterns: list[dict[str, Any]] | None = None) -> None:
        """Load ``patterns`` (from the config's ``[initialize.components]``)."""
        if patterns is None:
            patterns = read_data(self.data_name) if self.data_name else []
        self.set_patterns(patterns)

    def set_patterns(self, patterns: Iterable[dict[str, Any]]) -> None:
        self.patterns = [dict(p) for p in patterns]
        self._compile()
        self._ready = True

    def _compile(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _check_ready(self) -> bool:
        if not self._ready:
            if self.data_name:
                warn(Warnings.W004.format(name=self.name))
            self.set_patterns(read_data(self.data_name) if self.data_name else [])
        return True

    # -- serialisation ----------------------------------------------------------
    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        return srsly.msgpack_dumps({"patterns": self.patterns})

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = ()) -> RuleComponent:
        self.set_patterns(srsly.msgpack_loads(data)["patterns"])
        return self

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        path = ensure_path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_jsonl(path / "patterns.jsonl", self.patterns)

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> RuleComponent:
        path = ensure_path(path)
        file = path / "patterns.jsonl"
        if not file.exists():
            raise ExtractError(Errors.E001.format(path=file, name=self.name))
        self.set_patterns(list(srsly.read_jsonl(file)))
        return self

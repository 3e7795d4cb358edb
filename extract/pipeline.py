"""The extractor API the rest of regwatch calls.

>>> from extract.pipeline import load_extractor
>>> ex = load_extractor()
>>> result = ex.extract(text="商务部公告2025年第61号 …")

``load_extractor()`` builds two blank spaCy pipelines (``zh`` and ``en``) from
``extract/config.cfg`` and initialises their rule components from ``extract/data``;
nothing is downloaded. ``Extractor.version`` is ``1.0.0+<hash>``, where the hash
covers the config, every data file and the extractor's own source, so stored
extractions can be told apart whenever rules or data change.
"""

from __future__ import annotations

import hashlib
import inspect
import re
import traceback
from functools import lru_cache
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from core import han
from documents.content import parse_page

from . import components  # noqa: F401  (registers the factories)
from . import tokenizer as _tokenizer  # noqa: F401  (registers the tokenizer)
from .errors import Errors, ExtractError, Warnings
from .lexicon import DATA_DIR, state
from .normalise import junk_ratio

__version__ = "1.1.0"
PACKAGE_DIR = Path(__file__).parent
CONFIG_PATH = PACKAGE_DIR / "config.cfg"
MAX_CHARS = 1_000_000
PRED_FIELDS = ("number", "issuers", "issue_date", "effective_dates", "control_codes",
               "hs_codes", "materials", "references")
# The modules whose rules shape a result (the attachment readers and the CLI do not).
EXTRACTOR_MODULES = ("datetext.py", "errors.py", "issuer_table.py", "lexicon.py",
                     "normalise.py", "pipeline.py", "scorer.py", "state.py", "tokenizer.py")
HAN = han.HAN


def detect_lang(text: str) -> str:
    """``zh`` when Han characters make up a tenth of the letters, else ``en``."""
    sample = text[:20000]
    han = len(HAN.findall(sample))
    latin = len(re.findall(r"[A-Za-z]", sample))
    return "zh" if han and han * 10 >= han + latin else "en"


def source_digest(config_path: Path = CONFIG_PATH) -> str:
    """Hash of the config, the data files and the extractor's source code."""
    digest = hashlib.sha256()
    digest.update(config_path.read_bytes())
    for file in sorted(DATA_DIR.iterdir()):
        if file.is_file():
            digest.update(file.name.encode() + b"\0" + file.read_bytes())
    files = sorted(PACKAGE_DIR.glob("components/*.py")) + [
        PACKAGE_DIR / name for name in EXTRACTOR_MODULES]
    # The main-content parser shapes the analysed text, wherever the layout puts it.
    files.append(Path(inspect.getfile(parse_page)))
    for file in files:
        if file.exists():
            digest.update(file.name.encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()


def build_nlp(lang: str = "zh", config_path: Path = CONFIG_PATH) -> Language:
    """A blank pipeline with the regwatch components, initialised from the data files."""
    if not config_path.exists():
        raise ExtractError(Errors.E004.format(path=config_path))
    config = spacy.util.load_config(config_path, overrides={"nlp.lang": lang})
    nlp = spacy.util.load_model_from_config(config, auto_fill=True, validate=True)
    nlp.initialize()
    return nlp


def empty_result(text: str = "", lang: str = "zh") -> dict[str, Any]:
    """The result shape with every field empty (bad input, or a failed stage)."""
    return {
        "number": None, "issuers": [], "issue_date": None, "effective_dates": [],
        "control_codes": [], "hs_codes": [], "materials": [], "references": [],
        "title": None, "lang": lang, "text": text, "items": [], "provisions": [],
        "conditions": [], "spans": {}, "warnings": [], "kind": "other", "mentions": [],
    }


class Extractor:
    """Runs the rule pipelines over one document version and returns plain JSON."""

    def __init__(self, config_path: Path | str = CONFIG_PATH) -> None:
        self.config_path = Path(config_path)
        self.version = f"{__version__}+{source_digest(self.config_path)[:12]}"
        self.nlps = {lang: build_nlp(lang, self.config_path) for lang in ("zh", "en")}

    def nlp(self, lang: str) -> Language:
        return self.nlps["en" if lang == "en" else "zh"]

    # -- the API -------------------------------------------------------------------------
    def extract(self, html: str | None = None, text: str | None = None, *,
                url: str | None = None, source: str | None = None, lang: str | None = None,
                attachments: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """Extract every field from one document version.

        :param html: the page as fetched; its main content is found by ``parse_page``
        :param text: plain text, when there is no page
        :param url: where the page was, for attachment links and the customs/MOFCOM series
        :param source: ``mofcom``, ``gacc`` or ``other``
        :param lang: ``zh`` or ``en``; detected when missing
        :param attachments: ``[{"name": ..., "text": ...}]`` already as text
        """
        warnings: list[str] = []
        page: dict[str, Any] = {}
        try:
            if html is not None:
                page = parse_page(_as_text(html), url)
                text = page.get("text") or ""
            text = _as_text(text)
        except Exception as exc:  # never crash on bad input
            result = empty_result(_as_text(text) if not html else "")
            result["warnings"] = [Warnings.W005.format(stage="parse_page", error=exc)]
            return result
        if not text.strip():
            result = empty_result(text, lang or "zh")
            result["warnings"] = [Warnings.W001]
            return result
        if len(text) > MAX_CHARS:
            warnings.append(Warnings.W002.format(size=len(text), limit=MAX_CHARS))
            text = text[:MAX_CHARS]
        ratio = junk_ratio(text)
        if ratio > 0.05:
            warnings.append(Warnings.W003.format(ratio=ratio))
        lang = lang if lang in ("zh", "en") else detect_lang(text)
        ctx = {"lang": lang, "url": url, "source": source, "title": page.get("title"),
               "fields": page.get("fields") or {}, "meta": page.get("meta") or {},
               "item_source": "text"}
        doc = self._run(text, ctx, warnings)
        result = self._result(doc, text, lang)
        for att in attachments or []:
            self._attachment(result, att, lang, warnings)
        result["warnings"] = warnings
        return _finish(result)

    def prediction(self, result: dict[str, Any]) -> dict[str, Any]:
        """The FORMAT.md ``pred`` object of a result (canonical fields only)."""
        pred = {key: result[key] for key in PRED_FIELDS}
        pred["references"] = [{"target": r["target"], "relation": r["relation"]}
                              for r in result["references"]]
        pred["kind"] = result.get("kind")  # beyond FORMAT.md: scored apart by regwatch eval
        return pred

    # -- internals -------------------------------------------------------------------------
    def _run(self, text: str, ctx: dict[str, Any], warnings: list[str]) -> Doc:
        nlp = self.nlp(ctx["lang"])
        doc = nlp.make_doc(text)
        state(doc)["ctx"] = ctx
        for name, proc in nlp.pipeline:
            try:
                doc = proc(doc)
            except Exception as exc:  # one failing rule must not take the others down
                warnings.append(Warnings.W005.format(stage=name, error=repr(exc)))
                state(doc).setdefault("errors", []).append(traceback.format_exc(limit=3))
        return doc

    @staticmethod
    def _result(doc: Doc, text: str, lang: str) -> dict[str, Any]:
        st = state(doc)
        result = empty_result(text, lang)
        result["number"] = st.get("number")
        result["issuers"] = list(st.get("issuers", []))
        issue = st.get("issue_date")
        result["issue_date"] = issue["date"] if issue else None
        effective = st.get("effective", [])
        result["effective_dates"] = sorted({c["date"] for c in effective})
        controls = [c for c in st.get("control_codes", []) if not c["excluded"]]
        result["control_codes"] = sorted({c["code"] for c in controls})
        hs = st.get("hs", [])
        result["hs_codes"] = sorted({h["code"] for h in hs})
        result["materials"] = list(st.get("materials", []))
        result["references"] = list(st.get("references", []))
        title = st.get("structure", {}).get("title")
        result["title"] = title["text"] if title else None
        result["items"] = [_public_item(i) for i in st.get("items", [])]
        result["provisions"] = list(st.get("provisions", []))
        result["conditions"] = list(st.get("conditions", []))
        result["kind"] = st.get("kind") or "other"
        result["mentions"] = list(st.get("discussed", []))
        own = st.get("own_mention")

        def span(value: Any, start: int, end: int) -> list[dict[str, Any]]:
            return [{"value": value, "start": start, "end": end}] if start >= 0 else []

        spans: dict[str, list[dict[str, Any]]] = {
            "number": span(result["number"], own["start"], own["end"]) if own else [],
            "issuers": list(st.get("issuer_spans", [])),
            "issue_date": span(issue["date"], issue["start"], issue["end"]) if issue else [],
            "effective_dates": [{"value": c["date"], "start": c["start"], "end": c["end"]}
                                for c in effective],
            "control_codes": [{"value": c["code"], "start": c["start"], "end": c["end"]}
                              for c in controls],
            "hs_codes": [{"value": h["code"], "start": h["start"], "end": h["end"]} for h in hs],
            "materials": list(st.get("material_spans", [])),
            "references": list(st.get("reference_spans", [])),
            "title": span(title["text"], title["start"], title["end"]) if title else [],
            "kind": [{"value": result["kind"], "cue": e["cue"], "start": e["start"],
                      "end": e["end"]} for e in st.get("kind_evidence", []) if e["start"] >= 0],
            "mentions": list(st.get("discussed_spans", [])),
        }
        result["spans"] = spans
        return result

    def _attachment(self, result: dict[str, Any], att: dict[str, Any], lang: str,
                    warnings: list[str]) -> None:
        name = str(att.get("name") or "attachment")
        try:
            text = _as_text(att.get("text"))[:MAX_CHARS]
            if not text.strip():
                return
            ctx = {"lang": detect_lang(text), "url": None,
                   "source": None, "title": None, "fields": {}, "meta": {},
                   "item_source": f"attachment:{name}"}
            doc = self._run(text, ctx, warnings)
            st = state(doc)
            codes = {c["code"] for c in st.get("control_codes", []) if not c["excluded"]}
            result["control_codes"] = sorted(set(result["control_codes"]) | codes)
            result["hs_codes"] = sorted(set(result["hs_codes"]) | {h["code"] for h in
                                                                  st.get("hs", [])})
            result["materials"] = sorted(set(result["materials"]) | set(st.get("materials", [])))
            result["items"] += [_public_item(i) for i in st.get("items", [])]
        except Exception as exc:
            warnings.append(Warnings.W006.format(name=name, error=repr(exc)))


def _public_item(item: dict[str, Any]) -> dict[str, Any]:
    return {key: item.get(key) for key in ("control_code", "text", "hs_codes", "materials",
                                           "provision", "effective_date", "source", "span")}


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value if isinstance(value, str) else str(value)


def _finish(result: dict[str, Any]) -> dict[str, Any]:
    """Rare earths as a whole only when no element is named, across text and attachments."""
    from .components.materials import RARE_EARTHS

    if "rare earths" in result["materials"] and RARE_EARTHS & set(result["materials"]):
        result["materials"] = [m for m in result["materials"] if m != "rare earths"]
    return result


@lru_cache(maxsize=4)
def load_extractor(config_path: str | None = None) -> Extractor:
    """The process-wide extractor (built once: config and data files, no network)."""
    return Extractor(config_path or CONFIG_PATH)

"""Full-text search over documents in Chinese and English (SQLite FTS5).

FTS5's ``unicode61`` tokenizer reads a run of Han characters as one token, so 镓 inside
"对镓、锗相关物项" is never a token of its own; the trigram tokenizer needs three
characters. Instead every Han character is indexed as its own token (the indexed text
has a space on each side of it) while Latin words stay whole (porter-stemmed), and a
query becomes a phrase of its characters: 稀土 → ``"稀 土"``, which matches the two
characters adjacent and in order. Text is folded before indexing and querying
(NFKC, lower case, Traditional → Simplified with OpenCC), one character for one
character, so an offset into the folded text is an offset into the original: snippets
are cut from the original text.

The FTS table is contentless; ``search_docs`` keeps the original title, body and
English terms (number, codes and materials from the latest extraction, so "gallium"
finds a Chinese announcement about 镓).
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache
from typing import Any

from sqlite_utils import Database

from store.catalogue import now
from store.timeline_schema import ensure_tables

HAN = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])")
QUERY_TOKEN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[^\W_]+")
WEIGHTS = (5.0, 1.0, 3.0)  # title, body, terms
SNIPPET_CHARS = 36
BATCH = 1000


@lru_cache(maxsize=1)
def _t2s() -> Any:
    try:
        import opencc
    except ImportError:  # pragma: no cover - opencc is a declared dependency
        return None
    return opencc.OpenCC("t2s")


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    folded = unicodedata.normalize("NFKC", char)
    folded = folded.lower() if len(folded) == 1 else char.lower()
    if len(folded) != 1:
        folded = char
    converter = _t2s()
    if converter is not None and HAN.match(folded):
        simple = converter.convert(folded)
        if len(simple) == 1:
            folded = simple
    return folded


def fold(text: str) -> str:
    """Lower case, NFKC and Traditional → Simplified, keeping the length of ``text``."""
    if not text:
        return ""
    converter = _t2s()
    quick = unicodedata.normalize("NFKC", text).lower()
    if converter is not None and len(quick) == len(text):
        quick = converter.convert(quick)
    if len(quick) == len(text):
        return quick
    return "".join(_fold_char(c) for c in text)


def index_text(text: str | None) -> str:
    """The text as indexed: folded, with a space on each side of every Han character."""
    return HAN.sub(r" \1 ", fold(text or ""))


def fts_query(text: str) -> str:
    """A user query as an FTS5 expression: each word a quoted phrase of its tokens, ANDed.

    Quoting every token keeps FTS5 operators and punctuation in the query harmless.
    """
    phrases = []
    for word in fold(text).split():
        tokens = QUERY_TOKEN.findall(word)
        if tokens:
            phrases.append('"' + " ".join(tokens) + '"')
    return " AND ".join(phrases)


def _terms(db: Database, number: str | None, extraction_id: int | None) -> str:
    """English side of a document: number, issuers, codes, materials and item texts."""
    if extraction_id is None:
        return number or ""
    row = db.execute("select result from extractions where id = ?", [extraction_id]).fetchone()
    result = json.loads(row[0]) if row and row[0] else {}
    words: list[str] = [number or "", *map(str, result.get("issuers") or [])]
    for key in ("control_codes", "hs_codes", "materials"):
        words.extend(str(v) for v in result.get(key) or [] if isinstance(v, str))
    for item in result.get("items") or []:
        if isinstance(item, dict):
            words.extend(str(m) for m in item.get("materials") or [])
            if item.get("text_en"):
                words.append(str(item["text_en"]))
    seen: list[str] = []
    for word in words:
        if word and word not in seen:
            seen.append(word)
    return " ; ".join(seen)


def index_documents(db: Database) -> dict[str, int]:
    """(Re)index every document whose current version or latest extraction is not indexed."""
    rows = db.execute(
        "select d.id, d.current_version_id, d.source, d.url, coalesce(v.title, d.title), v.text, "
        "e.id, e.number, s.id is not null, s.title, s.body, s.terms from documents d "
        "join versions v on v.id = d.current_version_id "
        "left join extractions e on e.id = "
        "(select max(x.id) from extractions x where x.version_id = d.current_version_id) "
        "left join search_docs s on s.id = d.id "
        "where s.id is null or s.version_id != d.current_version_id "
        "or coalesce(s.extraction_id, -1) != coalesce(e.id, -1)"
    ).fetchall()
    added = updated = 0
    for start in range(0, len(rows), BATCH):
        with db.atomic():
            for (doc_id, version_id, source, url, title, body, extraction_id, number, known,
                 old_title, old_body, old_terms) in rows[start:start + BATCH]:
                if known:
                    db.conn.execute(
                        "insert into search_fts (search_fts, rowid, title, body, terms) "
                        "values ('delete', ?, ?, ?, ?)",
                        [doc_id, index_text(old_title), index_text(old_body),
                         index_text(old_terms)])
                    updated += 1
                else:
                    added += 1
                terms = _terms(db, number, extraction_id)
                db.conn.execute(
                    "insert or replace into search_docs (id, version_id, extraction_id, number, "
                    "source, url, title, body, terms, updated_at) "
                    "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [doc_id, version_id, extraction_id, number, source, url, title, body, terms,
                     now()])
                db.conn.execute(
                    "insert into search_fts (rowid, title, body, terms) values (?, ?, ?, ?)",
                    [doc_id, index_text(title), index_text(body), index_text(terms)])
    return {"indexed": added, "reindexed": updated}


def snippet(text: str, words: list[str], width: int = SNIPPET_CHARS) -> str | None:
    """A window of the original ``text`` around the first query word, matches in [brackets].

    None when no query word occurs literally (the match was a stemmed English form).
    """
    if not text:
        return None
    folded = fold(text)
    hits = sorted((m.start(), m.end()) for w in words if w
                  for m in re.finditer(re.escape(w), folded))
    if not hits:
        return None
    first = hits[0][0]
    lo, hi = max(0, first - width), min(len(text), first + width * 2)
    pieces, cursor = [], lo
    for start, end in hits:
        if start < cursor or end > hi:
            continue
        pieces.append(text[cursor:start])
        pieces.append("[" + text[start:end] + "]")
        cursor = end
    pieces.append(text[cursor:hi])
    out = "".join(pieces).replace("\n", " ")
    return ("…" if lo > 0 else "") + out.strip() + ("…" if hi < len(text) else "")


def search(db: Database, text: str, limit: int = 20, source: str | None = None
           ) -> dict[str, Any]:
    """Documents matching ``text``, best first (bm25; title weighs most), with snippets.

    :param text: words in Chinese (any length, Simplified or Traditional) or English
    :param source: only documents of this source (mofcom, gacc)
    :returns: ``{"query", "fts", "total", "results": [...]}``
    """
    ensure_tables(db)
    expression = fts_query(text)
    if not expression:
        return {"query": text, "fts": expression, "total": 0, "results": []}
    where, args = "search_fts match ?", [expression]
    join = ""
    if source:
        join = "join search_docs s on s.id = search_fts.rowid"
        where += " and s.source = ?"
        args.append(source)
    total = db.execute(f"select count(*) from search_fts {join} where {where}", args).fetchone()[0]
    weights = ", ".join(str(w) for w in WEIGHTS)
    ranked = db.execute(
        f"select search_fts.rowid, bm25(search_fts, {weights}) as score from search_fts {join} "
        f"where {where} order by score limit ?", [*args, limit]).fetchall()
    words = [w for w in fold(text).split() if w]
    results = []
    for doc_id, score in ranked:
        doc = db.execute("select id, number, source, url, title, body, terms from search_docs "
                         "where id = ?", [doc_id]).fetchone()
        if doc is None:
            continue
        _, number, doc_source, url, title, body, terms = doc
        results.append({
            "document_id": doc_id, "number": number, "source": doc_source, "url": url,
            "title": title, "score": round(-score, 4),
            "snippet": snippet(body, words) or snippet(title, words) or snippet(terms, words)
            or (body or "")[: SNIPPET_CHARS * 2],
        })
    return {"query": text, "fts": expression, "total": total, "results": results}

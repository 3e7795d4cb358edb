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

The FTS table is contentless; ``search_docs`` keeps the original title, the version
whose text is the body (versions are never changed, so the body indexed can always be
read back, to remove it from the index or cut a snippet) and the English terms (number, codes and materials from the latest extraction, so "gallium"
finds a Chinese announcement about 镓).
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache
from typing import Any

from sqlite_utils import Database

from core.han import CHAR, HAN
from extract.normalise import t2s_converter
from store.catalogue import now, transaction

QUERY_TOKEN = re.compile(rf"{CHAR}|[^\W_]+")
WEIGHTS = (5.0, 1.0, 3.0)  # title, body, terms
SNIPPET_CHARS = 36
BATCH = 1000
COUNT_CAP = 10_000  # matches counted exactly up to this; beyond, "10000+"
RANK_WINDOW = 2_000  # above this many matches, only the most recent are ranked


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    folded = unicodedata.normalize("NFKC", char)
    folded = folded.lower() if len(folded) == 1 else char.lower()
    if len(folded) != 1:
        folded = char
    converter = t2s_converter()
    if converter is not None and HAN.match(folded):
        simple = converter.convert(folded)
        if len(simple) == 1:
            folded = simple
    return folded


def fold(text: str) -> str:
    """Lower case, NFKC and Traditional → Simplified, keeping the length of ``text``."""
    if not text:
        return ""
    converter = t2s_converter()
    quick = unicodedata.normalize("NFKC", text).lower()
    if converter is not None and len(quick) == len(text):
        quick = converter.convert(quick)
    if len(quick) == len(text):
        return quick
    return "".join(_fold_char(c) for c in text)


@lru_cache(maxsize=1)
def _spacing() -> dict[int, str]:
    """Han code point → the character with a space on each side (for str.translate)."""
    table: dict[int, str] = {}
    for low, high in ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF)):
        for code in range(low, high + 1):
            table[code] = f" {chr(code)} "
    return table


def index_text(text: str | None) -> str:
    """The text as indexed: folded, with a space on each side of every Han character."""
    return fold(text or "").translate(_spacing())


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


TERMS_SQL = (
    "select e.id, e.number, json_extract(e.result, '$.issuers'), "
    "json_extract(e.result, '$.control_codes'), json_extract(e.result, '$.hs_codes'), "
    "json_extract(e.result, '$.materials'), "
    "(select group_concat(json_extract(value, '$.text_en'), ' ; ') "
    " from json_each(e.result, '$.items') where json_extract(value, '$.text_en') is not null) "
    "from extractions e where e.id = ?"
)


def _terms(db: Database, number: str | None, extraction_id: int | None) -> str:
    """English side of a document: number, issuers, codes, materials and item texts.

    Read with JSON functions in SQL so a large result is not parsed in Python.
    """
    if extraction_id is None:
        return number or ""
    row = db.execute(TERMS_SQL, [extraction_id]).fetchone()
    words: list[str] = [number or ""]
    for value in row[2:6]:
        try:
            words.extend(str(v) for v in json.loads(value or "[]") if isinstance(v, str))
        except ValueError:
            continue
    if row[6]:
        words.append(row[6])
    return " ; ".join(dict.fromkeys(w for w in words if w))


STALE_SQL = (
    "select d.id from documents d "
    "left join search_docs s on s.id = d.id "
    "where d.current_version_id is not null and (s.id is null "
    "or s.version_id != d.current_version_id or coalesce(s.extraction_id, -1) != "
    "coalesce((select max(x.id) from extractions x where x.version_id = d.current_version_id), "
    "-1)) order by d.id"
)
DOC_SQL = (
    "select d.id, d.current_version_id, d.source, d.url, coalesce(v.title, d.title), v.text, "
    "(select max(x.id) from extractions x where x.version_id = d.current_version_id), "
    "s.id is not null, s.title, (select text from versions where id = s.version_id), s.terms "
    "from documents d join versions v on v.id = d.current_version_id "
    "left join search_docs s on s.id = d.id where d.id = ?"
)


def index_documents(db: Database) -> dict[str, int]:
    """(Re)index every document whose current version or latest extraction is not indexed.

    Streams in batches (the ids first, then each document), so memory stays flat on a
    large catalogue.
    """
    stale = [row[0] for row in db.execute(STALE_SQL)]
    added = updated = 0
    for start in range(0, len(stale), BATCH):
        with transaction(db):
            for doc_id in stale[start:start + BATCH]:
                row = db.execute(DOC_SQL, [doc_id]).fetchone()
                if row is None:
                    continue
                (_, version_id, source, url, title, body, extraction_id, known, old_title,
                 old_body, old_terms) = row
                number = None
                if extraction_id is not None:
                    number = db.execute("select number from extractions where id = ?",
                                        [extraction_id]).fetchone()[0]
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
                    "source, url, title, terms, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [doc_id, version_id, extraction_id, number, source, url, title, terms,
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


@lru_cache(maxsize=1)
def _native_names() -> dict[str, list[str]]:
    """English material and group names (folded) → their Chinese names (folded)."""
    from extract.lexicon import read_data

    names: dict[str, list[str]] = {}
    for entry in read_data("materials.jsonl") + read_data("groups.jsonl"):
        for english in entry.get("en", []):
            names.setdefault(fold(english), []).extend(fold(zh) for zh in entry.get("zh", []))
    return names


def native_words(words: list[str]) -> list[str]:
    """The Chinese names of the English material words among ``words`` (gallium → 镓)."""
    joined = " ".join(words)
    names = _native_names()
    found = [zh for en, zhs in names.items() if en in words or (" " in en and en in joined)
             for zh in zhs]
    return sorted(set(found), key=len, reverse=True)


def _opening(text: str) -> str:
    """The start of the text, when no query word is in it literally."""
    text = " ".join(text.split())
    return text[: SNIPPET_CHARS * 2] + ("…" if len(text) > SNIPPET_CHARS * 2 else "")


def search(db: Database, text: str, limit: int = 20, source: str | None = None
           ) -> dict[str, Any]:
    """Documents matching ``text``, best first (bm25; title weighs most), with snippets.

    When more than ``RANK_WINDOW`` documents match, the best of the most recent
    ``RANK_WINDOW`` are returned (``windowed`` is true): ranking every one of tens of
    thousands of matches would cost hundreds of milliseconds.

    :param text: words in Chinese (any length, Simplified or Traditional) or English
    :param source: only documents of this source (mofcom, gacc)
    :returns: ``{"query", "fts", "total", "more", "results": [...]}`` (``more``: over
        ``COUNT_CAP`` documents match and ``total`` stops there)
    """
    expression = fts_query(text)
    if not expression:
        return {"query": text, "fts": expression, "total": 0, "more": False, "windowed": False,
                "results": []}
    where, args = "search_fts match ?", [expression]
    join = ""
    if source:
        join = "join search_docs s on s.id = search_fts.rowid"
        where += " and s.source = ?"
        args.append(source)
    total = db.execute(f"select count(*) from (select 1 from search_fts {join} where {where} "
                       f"limit {COUNT_CAP + 1})", args).fetchone()[0]
    weights = ", ".join(str(w) for w in WEIGHTS)
    if total <= RANK_WINDOW:
        ranked = db.execute(
            f"select search_fts.rowid, bm25(search_fts, {weights}) as score from search_fts "
            f"{join} where {where} order by score limit ?", [*args, limit]).fetchall()
    else:
        # bm25 costs a look at every match's positions; for a term in tens of thousands of
        # documents, rank the most recent RANK_WINDOW matches (FTS5 streams rowids in
        # order and stops) instead of all of them.
        window = db.execute(
            f"select search_fts.rowid, bm25(search_fts, {weights}) from search_fts {join} "
            f"where {where} order by search_fts.rowid desc limit {RANK_WINDOW}", args
        ).fetchall()
        ranked = sorted(window, key=lambda r: (r[1], -r[0]))[:limit]
    words = [w for w in fold(text).split() if w]
    results = []
    for doc_id, score in ranked:
        doc = db.execute("select s.id, s.number, s.source, s.url, s.title, v.text, s.terms "
                         "from search_docs s join versions v on v.id = s.version_id "
                         "where s.id = ?", [doc_id]).fetchone()
        if doc is None:
            continue
        _, number, doc_source, url, title, body, terms = doc
        results.append({
            "document_id": doc_id, "number": number, "source": doc_source, "url": url,
            "title": title, "score": round(-score, 4),
            # from the text only: an English word found through the index's English terms
            # (gallium for a Chinese page) is shown by its Chinese name in the text
            "snippet": snippet(body, words) or snippet(title, words)
            or snippet(body, native_words(words)) or _opening(body or title or ""),
        })
    return {"query": text, "fts": expression, "total": min(total, COUNT_CAP),
            "more": total > COUNT_CAP, "windowed": total > RANK_WINDOW, "results": results}

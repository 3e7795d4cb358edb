"""A tokenizer that keeps numbers, codes and dates whole.

spaCy's default Chinese segmenter (``char``) cuts ``2805301910`` into ten tokens and
``1C902.a`` into seven; the rule components need them whole. This tokenizer splits on
whitespace, keeps every run of Latin letters and digits joined by ``. - / :`` as one
token (also HS codes written ``2805 3019 10``), and gives each Han character its own
token, as the ``char`` segmenter does. It also builds the normalised view
(``doc._.norm_text``) that the components match against.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path

import srsly
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import ensure_path, registry
from spacy.vocab import Vocab

from core.han import CHAR, RANGES

from .lexicon import state
from .normalise import gloss_spans, normalise_view

TOKEN = re.compile(
    r"(?<![0-9])[0-9]{4}(?: [0-9]{2,4}){1,3}(?![0-9])"  # HS code written in groups
    r"|[A-Za-z0-9]+(?:[.\-/:][A-Za-z0-9]+)*"  # numbers, codes, dates, words
    rf"|{CHAR}"  # one Han character
    rf"|[^\sA-Za-z0-9{RANGES}]"  # punctuation, symbols
)


class RegwatchTokenizer:
    """Whitespace-aware tokenizer over the normalised view; ``doc.text`` stays original."""

    def __init__(self, vocab: Vocab, *, ocr: bool = True, simplify: bool = True) -> None:
        self.vocab = vocab
        self.ocr = ocr
        self.simplify = simplify

    def __call__(self, text: str) -> Doc:
        norm = normalise_view(text, ocr=self.ocr, simplify=self.simplify)
        words: list[str] = []
        spaces: list[bool] = []
        norms: list[tuple[int, str]] = []
        pos = 0
        for match in TOKEN.finditer(norm):
            start, end = match.span()
            if start > pos:
                gap = text[pos:start]
                if gap == " " and words:
                    spaces[-1] = True
                else:
                    self._gap(gap, words, spaces)
            word = text[start:end]
            folded = match.group(0)
            if folded != word:
                norms.append((len(words), folded))
            words.append(word)
            spaces.append(False)
            pos = end
        if pos < len(text):
            self._gap(text[pos:], words, spaces)
        doc = Doc(self.vocab, words=words, spaces=spaces)
        for i, folded in norms:
            doc[i].norm_ = folded
        st = state(doc)
        st["view"], st["raw"] = norm, text
        st["glosses"] = gloss_spans(text, norm)
        return doc

    @staticmethod
    def _gap(gap: str, words: list[str], spaces: list[bool]) -> None:
        """Whitespace between tokens: one plain space is a trailing space, the rest a token."""
        if gap.startswith(" ") and words and not spaces[-1]:
            spaces[-1] = True
            gap = gap[1:]
        if gap:
            words.append(gap)
            spaces.append(False)

    def pipe(self, texts: Iterable[str], batch_size: int = 1000) -> Iterable[Doc]:
        for text in texts:
            yield self(text)

    # Settings only: there is nothing learned to save.
    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        return srsly.msgpack_dumps({"ocr": self.ocr, "simplify": self.simplify})

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = ()) -> RegwatchTokenizer:
        cfg = srsly.msgpack_loads(data)
        self.ocr, self.simplify = bool(cfg["ocr"]), bool(cfg["simplify"])
        return self

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        path = ensure_path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.to_bytes())

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> RegwatchTokenizer:
        return self.from_bytes(ensure_path(path).read_bytes())


@registry.tokenizers("regwatch.Tokenizer.v1")
def create_tokenizer(ocr: bool = True,
                     simplify: bool = True) -> Callable[[Language], RegwatchTokenizer]:
    """Config hook: ``[nlp.tokenizer] @tokenizers = "regwatch.Tokenizer.v1"``."""

    def make(nlp: Language) -> RegwatchTokenizer:
        return RegwatchTokenizer(nlp.vocab, ocr=ocr, simplify=simplify)

    return make

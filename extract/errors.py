"""Coded errors and warnings of the extraction stage, kept in one registry.

Codes are stable so that a stored extraction, a log line or a test can name the
problem without matching on message text (spaCy keeps its own the same way).
"""

from __future__ import annotations

import warnings


class ErrorsWithCodes(type):
    """Attribute access returns ``"[CODE] message"`` so every raise carries its code."""

    def __getattribute__(cls, code: str) -> str:
        msg = super().__getattribute__(code)
        if code.startswith("__"):
            return msg
        return f"[{code}] {msg}"


class Warnings(metaclass=ErrorsWithCodes):
    W001 = "Empty input: nothing to extract."
    W002 = ("Input of {size} characters is larger than the limit of {limit}; only the first "
            "{limit} characters were analysed.")
    W003 = ("Input looks binary ({ratio:.0%} control or replacement characters); they were "
            "blanked before analysis.")
    W004 = "Component '{name}' has no patterns; call nlp.initialize() or load from disk."
    W005 = "Extraction failed inside '{stage}' ({error}); empty fields returned."
    W006 = "Attachment '{name}' could not be analysed ({error}); it was skipped."
    W007 = "Gold line {line} is not valid JSON or has no 'gold' object; it was skipped."


class Errors(metaclass=ErrorsWithCodes):
    E001 = "Data file '{path}' not found for component '{name}'."
    E002 = "Line {line} of data file '{path}' is not a JSON object: {error}"
    E003 = "Unknown issuer code '{code}' in data file '{path}'."
    E004 = "Extractor config '{path}' not found."
    E005 = "Gold file '{path}' holds no scorable documents."
    E006 = "Document '{id}' has neither 'html' nor 'text'."


class ExtractError(ValueError):
    """A problem with the extractor's own configuration or data files."""


def warn(message: str) -> None:
    """Emit a coded warning through :mod:`warnings` (filterable, testable)."""
    warnings.warn(message, UserWarning, stacklevel=3)


def code_of(message: str) -> str:
    """The ``W001``-style code at the start of a coded message."""
    return message[1:5] if message.startswith("[") else ""

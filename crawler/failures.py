"""Turn a failed request into a source error's reason and detail.

Scrapy reports a failed download in several shapes: an HTTP error carrying its response,
a download cancelled at the size cap (no message when the body was chunked), a request
refused before it was sent, a redirect that led back to where it started. Each gets its
own reason code, and always a detail a reader can act on.
"""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import IgnoreRequest
from twisted.internet.defer import CancelledError
from twisted.python.failure import Failure

from crawler import pages
from crawler.scope import OutOfScope, RedirectLoop

try:  # Scrapy 2.13+
    from scrapy.exceptions import DownloadCancelledError
except ImportError:  # pragma: no cover - older Scrapy
    DownloadCancelledError = CancelledError


def classify(failure: Failure, maxsize: int | None = None) -> tuple[str, str, int | None]:
    """``(reason, detail, http_status)`` of a failed request."""
    value = failure.value
    response = getattr(value, "response", None)
    if response is not None:
        reason, detail = pages.check_status(response.status, response.body) or (
            pages.HTTP_ERROR, f"HTTP {response.status}")
        return reason, detail, response.status
    if isinstance(value, OutOfScope):
        return pages.OUT_OF_SCOPE, str(value), None
    if isinstance(value, RedirectLoop):
        return pages.REDIRECT_LOOP, str(value), None
    text = str(value)
    if isinstance(value, CancelledError | DownloadCancelledError) or "max size" in text.lower():
        limit = f" ({maxsize} bytes)" if maxsize else ""
        return pages.OVERSIZE, text or f"download cancelled: the body passed the size cap{limit}", None
    if isinstance(value, IgnoreRequest) and "max redirections" in text:
        return pages.REDIRECT_LOOP, f"{text} (a redirect chain longer than REDIRECT_MAX_TIMES)", None
    return pages.NETWORK, f"{failure.type.__name__}: {text or '(no message)'}", None


def request_maxsize(request: Any, settings: Any) -> int | None:
    """The size cap that applied to ``request`` (its meta, or DOWNLOAD_MAXSIZE)."""
    return request.meta.get("download_maxsize") or settings.getint("DOWNLOAD_MAXSIZE") or None

"""Keep bearer secrets that travel in URLs out of the web server's access log.

Most secrets travel in headers, which no log line records. A few cannot: the 5-minute signed
receipt link (``?t=…``), the guest's session and receipt tokens in the path
(``/api/v1/guest/sessions/{token}``), and an event stream opened by a browser's
``EventSource`` with ``?access_token=…``. uvicorn's access log writes the full request line at
the default ``info`` level, so whoever reads the server log could replay them. The filter here
rewrites those parts to ``***`` before the line is formatted; the request itself is untouched.
"""

from __future__ import annotations

import logging
import re

REDACTED = "***"

# Query parameters that carry a credential, whatever the route.
_QUERY_SECRET = re.compile(r"(?<=[?&])(t|token|access_token|refresh_token)=[^&#\s]*", re.I)
# Path segments that are themselves a guest's bearer token.
_GUEST_TOKEN = re.compile(r"(/guest/(?:sessions|receipts)/)[^/?#\s]+?(?=(?:\.pdf)?(?:[/?#\s]|$))")


def redact_url(url: str) -> str:
    """``url`` with every credential replaced by ``***`` (what a log line may show)."""
    url = _QUERY_SECRET.sub(lambda m: f"{m.group(1)}={REDACTED}", url)
    return _GUEST_TOKEN.sub(lambda m: f"{m.group(1)}{REDACTED}", url)


class RedactUrlSecrets(logging.Filter):
    """A filter for ``uvicorn.access``, whose records carry the request path as an argument
    (``client, method, full_path, http_version, status``); other loggers' string arguments
    are redacted too, in case a route logs a URL."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(
                redact_url(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        if isinstance(record.msg, str) and ("/guest/" in record.msg or "=" in record.msg):
            record.msg = redact_url(record.msg)
        return True


def install(logger_names: tuple[str, ...] = ("uvicorn.access", "uvicorn.error")) -> None:
    """Attach the filter to the web server's loggers (idempotent)."""
    for name in logger_names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactUrlSecrets) for f in logger.filters):
            logger.addFilter(RedactUrlSecrets())


__all__ = ["REDACTED", "RedactUrlSecrets", "install", "redact_url"]

"""Parsing the server-sent-events wire format (WHATWG HTML, "event stream interpretation").

Kept apart from the reconnect logic in :mod:`backend_client.events` so it can be tested line
by line. Only what the spec says matters here: ``field: value`` lines, a single optional space
after the colon, ``:`` comments (keep-alives), multi-line ``data``, and a blank line that
dispatches the message.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass

__all__ = ["SseMessage", "parse_sse"]


@dataclass(frozen=True, slots=True)
class SseMessage:
    """One dispatched message. ``retry`` is the server's reconnect delay in milliseconds; a
    message with an empty ``event`` only carries a new ``retry``."""

    event: str
    data: str
    id: str | None
    retry: int | None = None


async def parse_sse(lines: AsyncIterable[str]) -> AsyncIterator[SseMessage]:
    """Yield the messages in ``lines`` (text lines without their line terminators)."""
    event = ""
    data: list[str] = []
    last_id: str | None = None
    retry: int | None = None
    async for line in lines:
        if not line:
            if data:
                yield SseMessage(event or "message", "\n".join(data), last_id, retry)
            elif retry is not None:
                yield SseMessage("", "", last_id, retry)  # only a new reconnect delay
            event, data, retry = "", [], None
            continue
        if line[0] == ":":
            continue  # comment: the server's keep-alive
        name, sep, value = line.partition(":")
        if sep and value[:1] == " ":
            value = value[1:]
        if name == "data":
            data.append(value)
        elif name == "event":
            event = value
        elif name == "id":
            if "\0" not in value:
                last_id = value
        elif name == "retry" and value.isdigit():
            retry = int(value)

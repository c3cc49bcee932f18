"""The server-sent-events parser follows the WHATWG rules the backend's stream relies on."""

from __future__ import annotations

from collections.abc import AsyncIterator

from backend_client.sse import SseMessage, parse_sse


async def _lines(*lines: str) -> AsyncIterator[str]:
    for line in lines:
        yield line


async def _parse(*lines: str) -> list[SseMessage]:
    return [m async for m in parse_sse(_lines(*lines))]


async def test_fields_are_collected_until_a_blank_line() -> None:
    messages = await _parse("id: 7", "event: session.updated", 'data: {"a": 1}', "")
    assert messages == [SseMessage("session.updated", '{"a": 1}', "7")]


async def test_keepalive_comments_are_ignored_and_multiline_data_is_joined() -> None:
    messages = await _parse(": keep-alive", "data: one", "data:two", "", ": ping", "")
    assert messages == [SseMessage("message", "one\ntwo", None)]


async def test_the_last_id_carries_over_to_later_messages() -> None:
    messages = await _parse("id: 3", "data: x", "", "data: y", "")
    assert [m.id for m in messages] == ["3", "3"]


async def test_retry_alone_is_reported_and_an_unfinished_message_is_dropped() -> None:
    messages = await _parse("retry: 2500", "", "event: lost", "data: half")
    assert messages == [SseMessage("", "", None, 2500)]

"""The live event stream (``GET /api/v1/events``) that survives network blips.

``async for event in client.events.stream(): ...`` yields :class:`LiveEvent` objects forever:

- when the connection drops (server restart, Wi-Fi change, a silent socket detected by the
  read timeout) it reconnects with exponential back-off and jitter, sending ``Last-Event-ID``
  so the server replays what was missed;
- if the server can no longer replay (its buffer moved on, or it restarted) it sends a
  ``stream.resync`` event, which is passed on: the app reloads its current state;
- the read timeout (default 45 s) is longer than the server's 15 s keep-alive, so a healthy
  but quiet stream is never mistaken for a dead one;
- ``on_state`` (and the :attr:`EventStream.state` attribute) report ``connecting`` →
  ``connected`` → ``reconnecting`` → ``reconnected`` … → ``closed`` so the app can show a
  "reconnecting…" banner.

Errors that reconnecting cannot fix (signed out, forbidden) end the stream with the matching
:class:`~backend_client.errors.ApiError`; server errors, an unreachable server and "too many
streams" (429, honouring ``Retry-After``) are retried.

The stream needs a transport that delivers the body as it arrives (any network transport);
``httpx.ASGITransport`` buffers whole responses and cannot carry an endless stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from enum import StrEnum

import httpx
from pydantic import ValidationError

from backend_client.errors import RateLimited, ServerUnavailable, error_from_response
from backend_client.models.events import LiveEvent
from backend_client.resources._base import endpoint
from backend_client.retry import RetryPolicy
from backend_client.sse import SseMessage, parse_sse
from backend_client.transport import Requester

__all__ = ["RESYNC", "EventStream", "EventsApi", "StreamState"]

RESYNC = "stream.resync"
"""Event type meaning "events were lost: reload current state"."""

EVENTS_PATH = "/api/v1/events"


class StreamState(StrEnum):
    """Connection state of an :class:`EventStream`, for the app's status indicator."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    RECONNECTED = "reconnected"
    CLOSED = "closed"


StateCallback = Callable[[StreamState], Awaitable[None] | None]


class _Dropped(Exception):
    """The connection ended or failed in a way a reconnect may fix (after ``wait`` seconds,
    when the server said how long)."""

    def __init__(self, wait: float | None = None) -> None:
        super().__init__()
        self.wait = wait


class EventStream:
    """An endless, self-healing iterator of live events. Use once; create via
    :meth:`EventsApi.stream`.

    Attributes:
        state: the current :class:`StreamState`.
        last_event_id: the id of the last event yielded (sent as ``Last-Event-ID``).
        reconnects: how many times the stream reconnected.
    """

    def __init__(
        self,
        requester: Requester,
        *,
        last_event_id: int | None = None,
        on_state: StateCallback | None = None,
        read_timeout: float = 45.0,
        connect_timeout: float = 10.0,
        backoff: RetryPolicy | None = None,
        max_failures: int | None = None,
    ) -> None:
        self._requester = requester
        self.last_event_id = last_event_id
        self._on_state = on_state
        self._connect_timeout = connect_timeout
        self._timeout = httpx.Timeout(
            connect=connect_timeout, read=read_timeout, write=connect_timeout, pool=connect_timeout
        )
        self._backoff = backoff or RetryPolicy(attempts=1, base_delay=0.5, max_delay=15.0)
        self._max_failures = max_failures
        self._server_retry: float | None = None
        self.state = StreamState.CONNECTING
        self.reconnects = 0
        self._iterator: AsyncIterator[LiveEvent] | None = None
        self._stopping = asyncio.Event()
        self._response: httpx.Response | None = None

    def __aiter__(self) -> AsyncIterator[LiveEvent]:
        if self._iterator is None:
            self._iterator = self._run()
        return self._iterator

    async def __anext__(self) -> LiveEvent:
        return await self.__aiter__().__anext__()

    async def aclose(self) -> None:
        """Stop the stream and close its connection.

        Safe from any task: a consumer waiting in ``async for`` elsewhere sees the loop end
        normally (no exception), whether it was reading or waiting to reconnect.
        """
        self._stopping.set()
        response = self._response
        if response is not None:
            with contextlib.suppress(Exception):  # the reader notices and ends the loop
                await response.aclose()
        iterator = self._iterator
        if iterator is not None and not getattr(iterator, "ag_running", False):
            await iterator.aclose()  # type: ignore[attr-defined]
        await self._set_state(StreamState.CLOSED)

    async def _set_state(self, state: StreamState) -> None:
        if state == self.state:
            return
        self.state = state
        if self._on_state is not None:
            result = self._on_state(state)
            if inspect.isawaitable(result):
                await result

    async def _run(self) -> AsyncIterator[LiveEvent]:
        failures = 0
        connected_before = False
        try:
            while not self._stopping.is_set():
                try:
                    async with self._open() as response:
                        await self._set_state(
                            StreamState.RECONNECTED if connected_before else StreamState.CONNECTED
                        )
                        if connected_before:
                            self.reconnects += 1
                        connected_before = True
                        failures = 0
                        async for event in self._events(response):
                            yield event
                    # The server ended the stream (shutdown, restart): reconnect.
                    wait: float | None = None
                except _Dropped as dropped:
                    wait = dropped.wait
                if self._stopping.is_set():
                    return
                failures += 1
                if self._max_failures is not None and failures > self._max_failures:
                    raise ServerUnavailable("The live event stream could not be re-established.")
                await self._set_state(
                    StreamState.RECONNECTING if connected_before else StreamState.CONNECTING
                )
                # Wait before reconnecting, unless aclose() is called meanwhile.
                delay = self._delay(failures) if wait is None else max(wait, self._delay(failures))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), delay)
        finally:
            self._response = None
            with contextlib.suppress(Exception):  # a failing callback must not mask the cause
                await self._set_state(StreamState.CLOSED)

    def _delay(self, failures: int) -> float:
        delay = self._backoff.delay(min(failures, 16))
        if self._server_retry is not None:
            delay = max(delay, self._server_retry)
        return delay

    @contextlib.asynccontextmanager
    async def _open(self) -> AsyncIterator[httpx.Response]:
        """An open ``text/event-stream`` response; :class:`_Dropped` if it may work later."""
        requester = self._requester
        token = await self._token(requester.tokens.current())
        renewed = False
        while True:
            headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
            if token is not None:
                headers["Authorization"] = f"Bearer {token}"
            if self.last_event_id is not None:
                headers["Last-Event-ID"] = str(self.last_event_id)
            request = requester.http.build_request(
                "GET", EVENTS_PATH, headers=headers, extensions={"timeout": self._timeout.as_dict()}
            )
            try:
                # The response headers must arrive within the connect timeout (an in-process
                # transport that buffers the endless body would otherwise wait forever).
                async with asyncio.timeout(self._connect_timeout * 2):
                    response = await requester.http.send(request, stream=True)
            except (httpx.HTTPError, TimeoutError) as exc:
                raise _Dropped from exc
            try:
                status = response.status_code
                if status == 401 and not renewed:
                    renewed = True
                    await response.aclose()
                    token = await self._token(requester.tokens.after_rejection(token))
                    continue
                if status >= 400:
                    await self._read_error_body(response)
                    error = error_from_response(response)
                    if isinstance(error, ServerUnavailable):
                        raise _Dropped from error
                    if isinstance(error, RateLimited):
                        # Too many open streams: after a network blip the server may not have
                        # noticed the old connection is gone yet (it does within a keep-alive).
                        raise _Dropped(error.retry_after) from error
                    raise error
                content_type = response.headers.get("content-type", "")
                if not content_type.startswith("text/event-stream"):
                    raise _Dropped  # a proxy's page, not our stream
                self._response = response
                yield response
                return
            finally:
                self._response = None
                await response.aclose()

    @staticmethod
    async def _token(renewal: Awaitable[str | None]) -> str | None:
        """A token for the next attempt. A renewal that fails because the server is down
        is a reason to reconnect later, not to end the stream (the session is intact)."""
        try:
            return await renewal
        except ServerUnavailable as exc:
            raise _Dropped from exc

    @staticmethod
    async def _read_error_body(response: httpx.Response) -> None:
        with contextlib.suppress(httpx.HTTPError):
            await response.aread()

    async def _events(self, response: httpx.Response) -> AsyncIterator[LiveEvent]:
        try:
            async for message in parse_sse(response.aiter_lines()):
                if message.retry is not None:
                    self._server_retry = message.retry / 1000
                if not message.event:
                    continue
                event = self._decode(message)
                if event is None:
                    continue
                self.last_event_id = event.id
                yield event
        except (httpx.HTTPError, httpx.StreamError) as exc:
            raise _Dropped from exc
        except Exception as exc:
            if self._stopping.is_set():  # aclose() closed the response under the reader
                raise _Dropped from exc
            raise

    def _decode(self, message: SseMessage) -> LiveEvent | None:
        """The event in ``message`` (its ``data`` is the whole :class:`LiveEvent` as JSON).
        A message we cannot read is skipped rather than ending the stream."""
        try:
            event = LiveEvent.model_validate_json(message.data)
        except ValidationError:
            return None
        if event.type != message.event:  # the frame's own ``event:`` line is authoritative
            event = event.model_copy(update={"type": message.event})
        return event


class EventsApi:
    """``client.events``: the signed-in user's live events."""

    def __init__(self, requester: Requester) -> None:
        self._requester = requester

    @endpoint("GET", EVENTS_PATH)
    def stream(
        self,
        *,
        last_event_id: int | None = None,
        on_state: StateCallback | None = None,
        read_timeout: float = 45.0,
        connect_timeout: float = 10.0,
        backoff: RetryPolicy | None = None,
        max_failures: int | None = None,
    ) -> EventStream:
        """Open the live event stream (lazily, on first iteration).

        Args:
            last_event_id: resume after this event (e.g. persisted from a previous run).
            on_state: called with each :class:`StreamState` change.
            read_timeout: seconds of silence after which the connection counts as dead
                (must exceed the server's 15 s keep-alive).
            connect_timeout: seconds to establish a connection and receive the headers.
            backoff: reconnect delays (default 0.5 s doubling up to 15 s, with jitter).
            max_failures: give up with :class:`ServerUnavailable` after this many consecutive
                failed reconnects (default: never give up).

        Raises (while iterating):
            Unauthenticated / AuthExpired: the session ended.
            Forbidden: this account may not subscribe.
        """
        return EventStream(
            self._requester,
            last_event_id=last_event_id,
            on_state=on_state,
            read_timeout=read_timeout,
            connect_timeout=connect_timeout,
            backoff=backoff,
            max_failures=max_failures,
        )

"""Sending one API request: auth header, timeout, retries, and turning every failure into an
:class:`~backend_client.errors.ApiError`.

This is the only module (with :mod:`backend_client.events`) that touches ``httpx``. Resource
groups (``client.stations`` …) call :meth:`Requester.call` with a path and the model they
expect back; everything that can go wrong below that is handled here once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, TypeVar, cast, overload

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from backend_client.errors import (
    ApiError,
    error_from_response,
    error_from_transport,
    unreadable_answer,
)
from backend_client.retry import RetryPolicy, may_retry, never_sent, retryable_status
from backend_client.tokens import TokenManager

__all__ = ["Requester"]

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

IDEMPOTENCY_HEADER = "Idempotency-Key"
Params = Mapping[str, Any]


def _clean_params(params: Params | None) -> dict[str, Any] | None:
    """Drop ``None`` values (an unset filter is no filter) and serialise enums/bools."""
    if not params:
        return None
    out: dict[str, Any] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, list | tuple):
            out[key] = [getattr(v, "value", v) for v in value]
        else:
            out[key] = getattr(value, "value", value)
    return out


class Requester:
    """Owns the ``httpx.AsyncClient`` and sends requests with the client's policies.

    Args:
        http: the configured httpx client (base URL, transport, default timeout).
        tokens: the session's token manager.
        retry: the default retry policy.
    """

    def __init__(self, http: httpx.AsyncClient, tokens: TokenManager, retry: RetryPolicy) -> None:
        self.http = http
        self.tokens = tokens
        self.retry = retry
        self._adapters: dict[Any, TypeAdapter[Any]] = {}

    async def send(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        body: BaseModel | None = None,
        form: Mapping[str, str] | None = None,
        content: bytes | None = None,
        auth: bool = True,
        idempotency_key: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send and return the 2xx response; raise the matching :class:`ApiError` otherwise.

        ``body`` is a wire model (sent as JSON with unset fields left out, so partial updates
        change only what the caller set); ``json`` is a plain JSON value; ``form`` is sent
        URL-encoded; ``content`` is sent as raw bytes.
        """
        policy = retry or self.retry
        request_headers: dict[str, str] = dict(headers or {})
        if body is not None:
            content = body.model_dump_json(exclude_unset=True).encode()
            request_headers["Content-Type"] = "application/json"
        if idempotency_key is not None:
            request_headers[IDEMPOTENCY_HEADER] = idempotency_key
        retry_allowed = may_retry(method, has_idempotency_key=idempotency_key is not None)
        extensions = {}
        if timeout is not None:
            to = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
            extensions["timeout"] = to.as_dict()
        clean = _clean_params(params)

        token = await self.tokens.current() if auth else None
        renewed = False
        attempt = 1
        while True:
            if token is not None:
                request_headers["Authorization"] = f"Bearer {token}"
            try:
                request = self.http.build_request(
                    method,
                    path,
                    params=clean,
                    content=content,
                    json=json,
                    data=form,
                    headers=request_headers,
                    extensions=extensions,
                )
                response = await self.http.send(request)
            except httpx.HTTPError as exc:
                if attempt < policy.attempts and (retry_allowed or never_sent(exc)):
                    await asyncio.sleep(policy.delay(attempt))
                    attempt += 1
                    continue
                raise error_from_transport(exc) from None
            except (RuntimeError, ValueError) as exc:
                # httpx signals a closed client / an unusable URL this way.
                raise ApiError(f"The request could not be sent: {exc}") from None
            status = response.status_code
            if status < 400:
                return response
            if status == 401 and auth and not renewed:
                renewed = True
                token = await self.tokens.after_rejection(token)
                continue
            error = error_from_response(response)
            if attempt < policy.attempts and retry_allowed:
                retry_after = getattr(error, "retry_after", None)
                transient = retryable_status(status, error.code) or (
                    status == 429 and retry_after is not None and retry_after <= policy.max_delay
                )
                if transient:
                    await asyncio.sleep(policy.delay(attempt, retry_after))
                    attempt += 1
                    continue
            raise error

    def _adapter(self, into: Any) -> TypeAdapter[Any]:
        adapter = self._adapters.get(into)
        if adapter is None:
            adapter = self._adapters[into] = TypeAdapter(into)
        return adapter

    @overload
    def parse(self, response: httpx.Response, into: type[M]) -> M: ...
    @overload
    def parse(self, response: httpx.Response, into: Any) -> Any: ...

    def parse(self, response: httpx.Response, into: Any) -> Any:
        """The response body as ``into`` (a model or a type such as ``list[Model]``)."""
        try:
            if isinstance(into, type) and issubclass(into, BaseModel):
                return into.model_validate_json(response.content)
            return self._adapter(into).validate_json(response.content)
        except ValidationError as exc:
            raise unreadable_answer(response, exc) from None

    async def call(
        self,
        method: str,
        path: str,
        into: type[T],
        **kwargs: Any,
    ) -> T:
        """:meth:`send` and parse the answer as ``into``."""
        response = await self.send(method, path, **kwargs)
        return cast(T, self.parse(response, into))

    async def call_list(self, method: str, path: str, item: type[M], **kwargs: Any) -> list[M]:
        """:meth:`send` and parse the answer as a JSON array of ``item``."""
        response = await self.send(method, path, **kwargs)
        return cast(list[M], self.parse(response, list[item]))  # type: ignore[valid-type]

    async def call_none(self, method: str, path: str, **kwargs: Any) -> None:
        """:meth:`send`, expecting no body (204) or ignoring it."""
        await self.send(method, path, **kwargs)

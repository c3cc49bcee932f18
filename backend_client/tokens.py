"""Keeps the signed-in session alive without the user noticing.

The access token lives in memory only; the refresh token lives in the
:class:`~backend_client.credentials.CredentialStore`. Before a request, an access token that is
about to expire is renewed; if the server still rejects a token (401), it is renewed once and
the request repeated.

Renewal happens **exactly once** however many requests race: refresh tokens are single-use
and the server revokes the whole chain when one is presented twice, so two concurrent
refreshes would sign the user out. An :class:`asyncio.Lock` serialises renewals, and a request
that was rejected checks *which* token failed: if another request already replaced it, it
simply retries with the new one.

When renewal is impossible (refresh token expired, revoked, or already used) the stored token
is cleared, ``on_expired`` is called once, and every waiting request raises
:class:`~backend_client.errors.AuthExpired`.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from backend_client.credentials import CredentialStore
from backend_client.errors import ApiError, AuthExpired, ServerUnavailable, Unauthenticated
from backend_client.models.auth import TokenPair

__all__ = ["TokenManager"]

log = logging.getLogger(__name__)

Refresher = Callable[[str], Awaitable[TokenPair]]
ExpiredCallback = Callable[[], Awaitable[None] | None]


class TokenManager:
    """The access token in memory and the refresh token in ``store``.

    Args:
        store: where the refresh token persists.
        clock: monotonic seconds (injectable so tests can jump past expiry).
        on_expired: called once each time the session ends involuntarily.
        leeway: renew this many seconds before the access token's announced expiry (capped
            at a tenth of its lifetime, so short-lived tokens are not renewed constantly).
    """

    def __init__(
        self,
        store: CredentialStore,
        *,
        clock: Callable[[], float] = time.monotonic,
        on_expired: ExpiredCallback | None = None,
        leeway: float = 30.0,
    ) -> None:
        self.store = store
        self._clock = clock
        self._on_expired = on_expired
        self._leeway = leeway
        self._lock = asyncio.Lock()
        self._access: str | None = None
        self._renew_at = 0.0
        self._store_empty = False  # the store was read and held nothing: skip reading again
        self._expired = False  # the session ended involuntarily (until the next sign-in)
        self._notify_pending = False  # on_expired runs after the lock is released
        self._refresher: Refresher | None = None
        self.refresh_count = 0  # successful renewals (observability and tests)

    def bind(self, refresher: Refresher) -> None:
        """Set the call that exchanges a refresh token for a new pair (the auth API)."""
        self._refresher = refresher

    @property
    def access_token(self) -> str | None:
        """The current access token, without renewing it."""
        return self._access

    async def accept(self, pair: TokenPair) -> None:
        """Take a freshly issued pair (login, sign-up, renewal)."""
        await self.store.set_refresh_token(pair.refresh_token)
        self._access = pair.access_token
        lifetime = float(pair.expires_in)
        self._renew_at = self._clock() + lifetime - min(self._leeway, lifetime / 10)
        self._store_empty = False
        self._expired = False

    async def forget(self) -> None:
        """Sign out locally: drop the access token and clear the store."""
        self._access = None
        self._store_empty = True
        self._expired = False
        await self.store.clear()

    def _fresh(self) -> bool:
        return self._access is not None and self._clock() < self._renew_at

    async def current(self) -> str | None:
        """A usable access token (renewed first if it is about to expire), or ``None`` when
        nobody is signed in."""
        if self._fresh():
            return self._access
        if self._access is None and self._store_empty:
            return None
        async with self._locked():
            if self._fresh():
                return self._access
            if self._access is None:
                token = await self.store.get_refresh_token()
                if token is None:
                    self._store_empty = True
                    return None
            await self._renew()
            return self._access

    async def after_rejection(self, rejected: str | None) -> str:
        """The server answered 401 to a request sent with ``rejected``: renew (once) and return
        the token to retry with. Raises :class:`AuthExpired` / :class:`Unauthenticated`."""
        async with self._locked():
            if self._access is not None and self._access != rejected:
                return self._access  # another request already renewed it
            await self._renew()
            assert self._access is not None
            return self._access

    async def _renew(self) -> None:
        """Exchange the stored refresh token for a new pair. Caller holds the lock."""
        had_session = self._access is not None or self._expired
        token = await self.store.get_refresh_token()
        if token is None:
            self._access = None
            self._store_empty = True
            if had_session:
                # Requests that waited while the renewal failed end the same way, without
                # another call to the server.
                raise AuthExpired("Your session has ended; please sign in again.")
            raise Unauthenticated("Please sign in.")
        if self._refresher is None:  # pragma: no cover - the client always binds one
            raise RuntimeError("TokenManager.bind() was not called")
        try:
            pair = await self._refresher(token)
        except ServerUnavailable:
            raise  # the session may still be fine: keep the tokens, let the caller retry later
        except ApiError as exc:
            await self.forget()
            self._expired = True
            self._notify_pending = True
            raise AuthExpired(
                "Your session has ended; please sign in again.",
                status_code=exc.status_code,
                code="auth_expired",
            ) from exc
        await self.accept(pair)
        self.refresh_count += 1

    @contextlib.asynccontextmanager
    async def _locked(self) -> AsyncIterator[None]:
        """The renewal lock; ``on_expired`` is called only after it is released, so the
        callback may use the client (e.g. show the sign-in screen and sign in again)."""
        try:
            async with self._lock:
                yield
        finally:
            if self._notify_pending:
                self._notify_pending = False
                await self._notify_expired()

    async def _notify_expired(self) -> None:
        if self._on_expired is None:
            return
        try:
            result = self._on_expired()
            if inspect.isawaitable(result):
                await result
        except Exception:  # a broken callback must not replace the AuthExpired being raised
            log.exception("on_auth_expired callback failed")

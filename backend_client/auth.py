"""``client.auth``: signing in and out, driver sign-up, and who is signed in.

Signing in hands the token pair to the :class:`~backend_client.tokens.TokenManager`, which
stores only the refresh token; the password is sent once and never kept.
"""

from __future__ import annotations

import contextlib

from backend_client.errors import ApiError, InvalidCredentials, Unauthenticated
from backend_client.models.accounts import DriverProfile, DriverSignUp
from backend_client.models.auth import (
    LoginRequest,
    LogoutRequest,
    PrincipalKind,
    PrincipalPublic,
    RefreshRequest,
    TokenPair,
)
from backend_client.resources._base import build, endpoint
from backend_client.retry import RetryPolicy
from backend_client.transport import Requester

__all__ = ["AuthApi"]

_PREFIX = "/api/v1/auth"


class AuthApi:
    """Sign-in, sign-up, sign-out and the current principal."""

    def __init__(self, requester: Requester) -> None:
        self._r = requester
        requester.tokens.bind(self._exchange)

    @endpoint("POST", "/api/v1/auth/login")
    async def login(
        self, email: str, password: str, *, kind: PrincipalKind = PrincipalKind.STAFF
    ) -> PrincipalPublic:
        """Sign in and return the signed-in account.

        Raises:
            InvalidCredentials: wrong e-mail or password, or the account is deactivated.
            RateLimited: too many failed attempts; wait ``retry_after`` seconds.
            ValidationFailed: the e-mail is not an e-mail address.
        """
        request = LoginRequest.model_construct(email=email, password=password, kind=kind)
        try:
            pair = await self._r.call(
                "POST", f"{_PREFIX}/login", TokenPair, body=request, auth=False
            )
        except Unauthenticated as exc:
            raise InvalidCredentials(
                exc.message, status_code=exc.status_code, code="invalid_credentials"
            ) from None
        await self._r.tokens.accept(pair)
        return await self.me()

    async def login_staff(self, email: str, password: str) -> PrincipalPublic:
        """Sign in as operator staff (console, mobile office)."""
        return await self.login(email, password, kind=PrincipalKind.STAFF)

    async def login_driver(self, email: str, password: str) -> PrincipalPublic:
        """Sign in as a driver."""
        return await self.login(email, password, kind=PrincipalKind.DRIVER)

    @endpoint("POST", "/api/v1/drivers")
    async def sign_up(self, account: DriverSignUp) -> PrincipalPublic:
        """Create a driver account and sign in with it.

        Raises:
            Conflict: an account with this e-mail exists.
            ValidationFailed: a field is wrong (``.fields`` says which).
        """
        await self._r.call("POST", "/api/v1/drivers", DriverProfile, body=account, auth=False)
        return await self.login(account.email, account.password, kind=PrincipalKind.DRIVER)

    @endpoint("POST", "/api/v1/auth/token")
    async def login_form(self, username: str, password: str, *, scope: str = "") -> PrincipalPublic:
        """Sign in through the OAuth2 password-flow form (what ``/docs`` uses); scope
        ``"driver"`` signs a driver in. Apps use :meth:`login`."""
        try:
            pair = await self._r.call(
                "POST",
                f"{_PREFIX}/token",
                TokenPair,
                form={"username": username, "password": password, "scope": scope},
                auth=False,
            )
        except Unauthenticated as exc:
            raise InvalidCredentials(
                exc.message, status_code=exc.status_code, code="invalid_credentials"
            ) from None
        await self._r.tokens.accept(pair)
        return await self.me()

    @endpoint("GET", "/api/v1/auth/me")
    async def me(self) -> PrincipalPublic:
        """The signed-in account (kind, name, operator and role for staff)."""
        return await self._r.call("GET", f"{_PREFIX}/me", PrincipalPublic)

    @endpoint("POST", "/api/v1/auth/refresh")
    async def refresh(self) -> None:
        """Renew the access token now (normally automatic)."""
        await self._r.tokens.after_rejection(self._r.tokens.access_token)

    async def restore(self) -> PrincipalPublic | None:
        """Resume a stored session at app start: the account, or ``None`` if signed out.

        Raises:
            AuthExpired: a session was stored but has ended.
            ServerUnavailable: the server cannot be reached (the session is kept).
        """
        if await self._r.tokens.current() is None:
            return None
        return await self.me()

    @endpoint("POST", "/api/v1/auth/logout")
    async def logout(self) -> None:
        """Sign out: revoke the refresh token on the server and forget it locally.

        The local session ends even when the server cannot be reached.
        """
        try:
            token = await self._r.tokens.store.get_refresh_token()
            if token is not None:
                # Best effort: an unreachable server must not keep the user signed in here.
                with contextlib.suppress(ApiError):
                    await self._r.send(
                        "POST",
                        f"{_PREFIX}/logout",
                        body=build(LogoutRequest, refresh_token=token),
                        auth=False,
                        timeout=5.0,
                    )
        finally:
            await self._r.tokens.forget()

    async def _exchange(self, refresh_token: str) -> TokenPair:
        """The token manager's renewal call. Never retried once sent: the token is
        single-use, and a replay would revoke the session."""
        return await self._r.call(
            "POST",
            f"{_PREFIX}/refresh",
            TokenPair,
            body=build(RefreshRequest, refresh_token=refresh_token),
            auth=False,
            retry=RetryPolicy(attempts=2, base_delay=0.2),
        )

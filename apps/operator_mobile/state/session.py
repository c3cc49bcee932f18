"""Signing the operator in and out, and resuming a remembered session at start.

The refresh token is remembered by the client's credential store (Flet ``SecureStorage`` in
this app), so reopening the app signs straight back in until the token expires or is revoked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import flet as ft

from apps.operator_mobile.state.base import Ctx
from apps.operator_mobile.state.errors import describe_error
from backend_client import ApiError
from backend_client.models import PrincipalKind, PrincipalPublic

__all__ = ["AuthPhase", "AuthState"]


class AuthPhase(StrEnum):
    """Where sign-in is."""

    RESTORING = "restoring"
    SIGNED_OUT = "signed_out"
    SIGNED_IN = "signed_in"


@dataclass(eq=False)
class AuthState(ft.Observable):
    """The signed-in staff member (or why nobody is)."""

    phase: AuthPhase = AuthPhase.RESTORING
    principal: PrincipalPublic | None = None
    error: str | None = None
    busy: bool = False
    _ctx: Ctx | None = field(default=None, repr=False)

    @property
    def ctx(self) -> Ctx:
        assert self._ctx is not None, "AuthState used before bind()"
        return self._ctx

    def bind(self, ctx: Ctx) -> None:
        self._ctx = ctx

    @property
    def is_admin(self) -> bool:
        return self.principal is not None and self.principal.role == "admin"

    async def restore(self) -> bool:
        """Resume a remembered session; ``True`` when signed in."""
        try:
            principal = await self.ctx.client.auth.restore()
        except ApiError as exc:
            self.error = describe_error(exc, self.ctx.t)
            principal = None
        return self._accept(principal)

    async def sign_in(self, email: str, password: str) -> bool:
        """Sign in as staff; ``False`` with :attr:`error` set when refused."""
        if not email.strip() or not password:
            self.error = self.ctx.t("signin.missing")
            return False
        self.busy, self.error = True, None
        try:
            principal = await self.ctx.client.auth.login_staff(email.strip(), password)
        except ApiError as exc:
            self.error = describe_error(exc, self.ctx.t)
            principal = None
        finally:
            self.busy = False
        return self._accept(principal)

    def _accept(self, principal: PrincipalPublic | None) -> bool:
        if principal is not None and principal.kind != PrincipalKind.STAFF:
            self.error = self.ctx.t("signin.not_staff")
            principal = None
        self.principal = principal
        self.phase = AuthPhase.SIGNED_IN if principal is not None else AuthPhase.SIGNED_OUT
        return principal is not None

    async def sign_out(self, reason: str | None = None) -> None:
        """Forget the session here and on the server; ``reason`` is shown on the sign-in form."""
        try:
            await self.ctx.client.auth.logout()
        except ApiError as exc:
            reason = reason or describe_error(exc, self.ctx.t)
        self.principal = None
        self.error = reason
        self.phase = AuthPhase.SIGNED_OUT

"""Sign-in, token refresh and the signed-in principal (``/api/v1/auth``)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from backend_client.models.common import Email


class PrincipalKind(StrEnum):
    """Who signed in: an operator's staff member or a driver."""

    STAFF = "staff"
    DRIVER = "driver"


class StaffRole(StrEnum):
    """Admins manage staff and tariffs; staff run the network."""

    ADMIN = "admin"
    STAFF = "staff"


class LoginRequest(BaseModel):
    """E-mail and password of a staff member (``kind="staff"``) or a driver."""

    email: Email
    password: str = Field(min_length=1, max_length=128)
    kind: PrincipalKind = PrincipalKind.STAFF


class TokenPair(BaseModel):
    """A short-lived access token (send as ``Authorization: Bearer``) and a refresh token.

    The refresh token is single-use: each refresh returns a new pair. Presenting a used refresh
    token again revokes the whole chain (someone copied it), and the user must sign in again.
    """

    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=200)


class LogoutRequest(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=200)


class PrincipalPublic(BaseModel):
    """The signed-in account as the apps show it."""

    kind: PrincipalKind
    id: int
    email: str
    full_name: str
    operator_id: int | None = None
    operator_name: str | None = None
    role: StaffRole | None = None

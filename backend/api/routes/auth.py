"""Sign-in (JSON and the OAuth2 password form), token refresh, sign-out and "who am I"."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from pydantic import ValidationError

from backend.api.auth_deps import CurrentPrincipal
from backend.api.deps import ContextDep, SessionDep
from backend.api.responses import errors
from backend.errors import Invalid
from backend.services import auth
from backend_client.models import (
    LoginRequest,
    LogoutRequest,
    PrincipalPublic,
    RefreshRequest,
    TokenPair,
)
from backend_client.models.auth import PrincipalKind

router = APIRouter(prefix="/auth", tags=["auth"])


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/login", response_model=TokenPair, responses=errors(429, auth=False) | errors(401))
async def login(
    body: LoginRequest, request: Request, ctx: ContextDep, session: SessionDep
) -> TokenPair:
    """Sign in with e-mail and password (``kind``: ``staff`` or ``driver``)."""
    return await auth.login(
        session,
        ctx,
        email=body.email,
        password=body.password,
        kind=body.kind,
        client_ip=_client_ip(request),
    )


@router.post("/token", response_model=TokenPair, responses=errors(429, auth=False) | errors(401))
async def token(
    request: Request,
    ctx: ContextDep,
    session: SessionDep,
    username: Annotated[str, Form(min_length=3, max_length=254)],
    password: Annotated[str, Form(min_length=1, max_length=128)],
    scope: Annotated[str, Form(max_length=100)] = "",
) -> TokenPair:
    """OAuth2 password flow (the form ``/docs`` sends): scope ``driver`` signs a driver in,
    anything else a staff member."""
    try:
        body = LoginRequest(
            email=username,
            password=password,
            kind=PrincipalKind.DRIVER if "driver" in scope.split() else PrincipalKind.STAFF,
        )
    except ValidationError:
        raise Invalid(
            "The username must be an e-mail address.", field_name="body.username"
        ) from None
    return await login(body, request, ctx, session)


@router.post("/refresh", response_model=TokenPair, responses=errors(401, auth=False))
async def refresh(body: RefreshRequest, ctx: ContextDep, session: SessionDep) -> TokenPair:
    """Exchange the refresh token for a new pair; each refresh token works once."""
    return await auth.refresh(session, ctx, refresh_token=body.refresh_token)


@router.post("/logout", status_code=204, responses=errors(auth=False))
async def logout(body: LogoutRequest, ctx: ContextDep, session: SessionDep) -> Response:
    """Revoke the refresh token and every token rotated from the same sign-in."""
    await auth.logout(session, ctx, refresh_token=body.refresh_token)
    return Response(status_code=204)


@router.get("/me", response_model=PrincipalPublic, responses=errors())
async def me(principal: CurrentPrincipal, session: SessionDep) -> PrincipalPublic:
    """The signed-in account."""
    return await auth.describe(session, principal=principal)

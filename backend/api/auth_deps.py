"""Who is calling: ``Annotated`` dependencies that turn the Bearer token into a principal.

- :data:`CurrentPrincipal` — any signed-in staff member or driver;
- :data:`OptionalPrincipal` — the same, or ``None`` when no token is sent (public pages);
- :data:`CurrentStaff` / :data:`AdminStaff` — operator staff / operator admins only;
- :data:`CurrentDriver` — drivers only.

Missing, malformed, unknown or expired tokens answer 401 with ``WWW-Authenticate: Bearer``;
a valid token of the wrong kind or role answers 403.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession

from backend.api.deps import ContextDep, SessionDep
from backend.context import AppContext
from backend.errors import Forbidden, Unauthenticated
from backend.security import Principal, decode_access_token
from backend.services.auth import load_principal

TOKEN_URL = "/api/v1/auth/token"
_oauth2 = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)
TokenDep = Annotated[str | None, Depends(_oauth2)]


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(401, message, headers={"WWW-Authenticate": "Bearer"})


async def resolve_principal(session: AsyncSession, ctx: AppContext, token: str) -> Principal:
    """The principal of an access token, checked against the database (active account)."""
    try:
        kind, subject_id = decode_access_token(ctx.settings, token)
        return await load_principal(session, kind, subject_id)
    except Unauthenticated as exc:
        raise _unauthorized(exc.message) from None


async def get_principal(ctx: ContextDep, session: SessionDep, token: TokenDep) -> Principal:
    if not token:
        raise _unauthorized("Sign in first: this needs a Bearer access token.")
    return await resolve_principal(session, ctx, token)


async def get_optional_principal(
    ctx: ContextDep, session: SessionDep, token: TokenDep
) -> Principal | None:
    if not token:
        return None
    return await resolve_principal(session, ctx, token)


async def authenticate_briefly(ctx: AppContext, token: str | None) -> Principal:
    """Like :func:`get_principal` with a session of its own that is closed on return.

    For long-lived responses (the event stream), which must not hold a database connection
    for as long as the client listens.
    """
    if not token:
        raise _unauthorized("Sign in first: this needs a Bearer access token.")
    async with ctx.sessions() as session:
        return await resolve_principal(session, ctx, token)


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
OptionalPrincipal = Annotated[Principal | None, Depends(get_optional_principal)]


def require_staff(principal: CurrentPrincipal) -> Principal:
    if not principal.is_staff:
        raise Forbidden("Only operator staff may do this.")
    return principal


def require_admin(principal: CurrentPrincipal) -> Principal:
    if not principal.is_admin:
        raise Forbidden("Only operator admins may do this.")
    return principal


def require_driver(principal: CurrentPrincipal) -> Principal:
    if principal.kind != "driver":
        raise Forbidden("Only drivers may do this.")
    return principal


CurrentStaff = Annotated[Principal, Depends(require_staff)]
AdminStaff = Annotated[Principal, Depends(require_admin)]
CurrentDriver = Annotated[Principal, Depends(require_driver)]

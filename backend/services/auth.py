"""Sign-in, token refresh and sign-out for staff and drivers, and who the caller is.

Failures never say whether the account exists: an unknown e-mail and a wrong password give
the same 401 after the same argon2 work.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.context import AppContext
from backend.db.models import Driver, Operator, StaffUser
from backend.errors import Unauthenticated
from backend.security import (
    IssuedTokens,
    Principal,
    find_refresh_token,
    issue_token_pair,
    login_throttle,
    password_hashing,
    revoke_refresh_family,
    rotate_refresh_token,
    verify_password,
)
from backend_client.models import PrincipalPublic, TokenPair
from backend_client.models.auth import PrincipalKind


def _pair(tokens: IssuedTokens) -> TokenPair:
    return TokenPair(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        expires_in=tokens.expires_in,
    )


async def login(
    session: AsyncSession,
    ctx: AppContext,
    *,
    email: str,
    password: str,
    kind: PrincipalKind,
    client_ip: str,
) -> TokenPair:
    """Check the password and issue a token pair; throttled per (e-mail, client IP), per
    client IP and per e-mail (:class:`backend.security.LoginThrottle`)."""
    throttle = login_throttle(ctx)
    throttle.check(email, client_ip)
    principal: Principal | None = None
    hashing = await password_hashing(ctx)
    if kind == PrincipalKind.STAFF:
        staff = await session.scalar(select(StaffUser).where(StaffUser.email == email))
        ok = await verify_password(password, staff.password_hash if staff else None, hashing)
        if ok and staff is not None and staff.is_active:
            principal = Principal.for_staff(staff)
    else:
        driver = await session.scalar(select(Driver).where(Driver.email == email))
        ok = await verify_password(password, driver.password_hash if driver else None, hashing)
        if ok and driver is not None and driver.is_active:
            principal = Principal.for_driver(driver)
    if principal is None:
        throttle.failed(email, client_ip)
        raise Unauthenticated("Wrong e-mail or password.")
    throttle.succeeded(email, client_ip)
    tokens = issue_token_pair(session, ctx, principal)
    await session.commit()
    return _pair(tokens)


async def refresh(session: AsyncSession, ctx: AppContext, *, refresh_token: str) -> TokenPair:
    """Exchange a refresh token for a new pair (the old token is used up)."""
    row, _now = await rotate_refresh_token(session, ctx, refresh_token)
    principal = await load_principal(session, row.subject_kind, row.subject_id)
    tokens = issue_token_pair(session, ctx, principal, family_id=row.family_id)
    await session.commit()
    return _pair(tokens)


async def logout(session: AsyncSession, ctx: AppContext, *, refresh_token: str) -> None:
    """Revoke the refresh token's whole family. Unknown tokens are ignored (nothing to do)."""
    row = await find_refresh_token(session, refresh_token)
    if row is None:
        return
    await revoke_refresh_family(session, row.family_id, now=ctx.clock())
    await session.commit()


async def load_principal(session: AsyncSession, kind: str, subject_id: int) -> Principal:
    """The current principal for a token subject; deactivated accounts are refused.

    Role and operator come from the database, not the token, so a demotion applies at once.
    """
    if kind == "staff":
        staff = await session.get(StaffUser, subject_id)
        if staff is None or not staff.is_active:
            raise Unauthenticated("This account is no longer active.")
        return Principal.for_staff(staff)
    driver = await session.get(Driver, subject_id)
    if driver is None or not driver.is_active:
        raise Unauthenticated("This account is no longer active.")
    return Principal.for_driver(driver)


async def describe(session: AsyncSession, *, principal: Principal) -> PrincipalPublic:
    """The signed-in account, as the apps show it."""
    if principal.kind == "staff":
        row = (
            await session.execute(
                select(StaffUser, Operator.name)
                .join(Operator, Operator.id == StaffUser.operator_id)
                .where(StaffUser.id == principal.id)
            )
        ).one()
        staff, operator_name = row
        return PrincipalPublic(
            kind=PrincipalKind.STAFF,
            id=staff.id,
            email=staff.email,
            full_name=staff.full_name,
            operator_id=staff.operator_id,
            operator_name=operator_name,
            role=staff.role,
        )
    driver = await session.get(Driver, principal.id)
    if driver is None:
        raise Unauthenticated("This account is no longer active.")
    return PrincipalPublic(
        kind=PrincipalKind.DRIVER, id=driver.id, email=driver.email, full_name=driver.full_name
    )

"""Credentials: password hashes, access tokens, rotating refresh tokens, login throttling and
charger OCPP passwords.

- People's passwords are hashed with argon2 (slow on purpose), always off the event loop.
- Access tokens are short-lived HS256 JWTs; they are not stored, so they cannot be revoked —
  which is why they live minutes, not days.
- Refresh tokens are random strings stored only as SHA-256 hashes, single-use and chained in
  a family: presenting an already-used token means it was copied, so the whole family is
  revoked and the user signs in again (OAuth 2.0 Security BCP, refresh token rotation).
- Charger passwords are random machine secrets checked on every websocket (re)connect, so a
  fast salted SHA-256 is used: a reconnect storm must not cost seconds of CPU per charger.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.context import AppContext
from backend.db.models import Driver, RefreshToken, StaffRole, StaffUser
from backend.errors import TooManyRequests, Unauthenticated
from backend.settings import Settings

__all__ = [
    "LoginThrottle",
    "Principal",
    "decode_access_token",
    "hash_charger_password",
    "hash_password",
    "issue_access_token",
    "issue_token_pair",
    "login_throttle",
    "new_charger_password",
    "revoke_refresh_family",
    "rotate_refresh_token",
    "verify_charger_password",
    "verify_password",
]

_HASHER = PasswordHasher()  # immutable parameters object, not state
_ALGORITHM = "HS256"
# A hash to verify against when the account does not exist, so an unknown e-mail costs the
# same time as a wrong password and response times do not reveal which accounts exist.
_DUMMY_HASH = _HASHER.hash("chargepile-no-such-account")


@dataclass(frozen=True)
class Principal:
    """Who is acting: a staff member of an operator, or a driver.

    Services take it to decide what the caller may see: staff see their ``operator_id``'s
    data only, drivers only their own sessions and cards.
    """

    kind: str  # "staff" | "driver"
    id: int
    operator_id: int | None = None
    role: StaffRole | None = None

    @property
    def is_staff(self) -> bool:
        return self.kind == "staff"

    @property
    def is_admin(self) -> bool:
        return self.kind == "staff" and self.role == StaffRole.ADMIN

    @classmethod
    def for_staff(cls, staff: StaffUser) -> Principal:
        return cls("staff", staff.id, staff.operator_id, StaffRole(staff.role))

    @classmethod
    def for_driver(cls, driver: Driver) -> Principal:
        return cls("driver", driver.id)


# --- people's passwords ------------------------------------------------------------------


async def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (computed in a worker thread)."""
    return await asyncio.to_thread(_HASHER.hash, password)


async def verify_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches ``stored``; with ``stored=None`` it spends the same time
    and returns False (unknown account)."""

    def check() -> bool:
        try:
            return _HASHER.verify(stored or _DUMMY_HASH, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)


# --- charger OCPP passwords --------------------------------------------------------------


def new_charger_password() -> str:
    """A random OCPP Basic-auth password (OCPP 1.6 security: 16–40 characters)."""
    return secrets.token_urlsafe(24)  # 32 characters


def hash_charger_password(password: str) -> str:
    """``sha256$<salt>$<hex>``: fast salted hash for high-entropy machine secrets."""
    salt = secrets.token_hex(8)
    digest = hashlib.sha256(f"{salt}${password}".encode()).hexdigest()
    return f"sha256${salt}${digest}"


def verify_charger_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a :func:`hash_charger_password` value (constant time)."""
    try:
        scheme, salt, digest = stored.split("$", 2)
    except ValueError:
        return False
    if scheme != "sha256":
        return False
    candidate = hashlib.sha256(f"{salt}${password}".encode()).hexdigest()
    return hmac.compare_digest(candidate, digest)


# --- access tokens -----------------------------------------------------------------------


def issue_access_token(settings: Settings, principal: Principal, *, now: datetime) -> str:
    """A signed JWT for ``principal`` valid ``settings.access_token_minutes`` from ``now``."""
    claims: dict[str, Any] = {
        "sub": f"{principal.kind}:{principal.id}",
        "kind": principal.kind,
        "id": principal.id,
        "operator_id": principal.operator_id,
        "role": principal.role.value if principal.role else None,
        "typ": "access",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=settings.access_token_minutes)).timestamp()),
    }
    return jwt.encode(claims, settings.secret_key, algorithm=_ALGORITHM)


def decode_access_token(settings: Settings, token: str) -> tuple[str, int]:
    """``(kind, id)`` from a valid, unexpired access token; :class:`Unauthenticated` otherwise."""
    try:
        claims = jwt.decode(
            token,
            settings.secret_key,
            algorithms=[_ALGORITHM],
            options={"require": ["exp", "sub", "kind", "id"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("The access token has expired.") from None
    except jwt.PyJWTError:
        raise Unauthenticated("The access token is not valid.") from None
    kind, subject_id = claims.get("kind"), claims.get("id")
    if claims.get("typ") != "access" or kind not in ("staff", "driver"):
        raise Unauthenticated("The access token is not valid.")
    if not isinstance(subject_id, int):
        raise Unauthenticated("The access token is not valid.")
    return kind, subject_id


# --- refresh tokens ----------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int


def issue_token_pair(
    session: AsyncSession,
    ctx: AppContext,
    principal: Principal,
    *,
    family_id: str | None = None,
) -> IssuedTokens:
    """Add a new refresh token row (the caller commits) and sign an access token."""
    now = ctx.clock()
    refresh = secrets.token_urlsafe(32)
    session.add(
        RefreshToken(
            token_hash=_token_hash(refresh),
            family_id=family_id or str(uuid.uuid4()),
            subject_kind=principal.kind,
            subject_id=principal.id,
            issued_at=now,
            expires_at=now + timedelta(days=ctx.settings.refresh_token_days),
        )
    )
    return IssuedTokens(
        access_token=issue_access_token(ctx.settings, principal, now=now),
        refresh_token=refresh,
        expires_in=ctx.settings.access_token_minutes * 60,
    )


async def rotate_refresh_token(
    session: AsyncSession, ctx: AppContext, token: str
) -> tuple[RefreshToken, datetime]:
    """Consume ``token`` (single use) and return its row; the caller issues the next pair.

    A token that was already used revokes its whole family (commit included, so the
    revocation survives the 401 that follows).
    """
    now = ctx.clock()
    row = await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == _token_hash(token))
    )
    if row is None or row.revoked_at is not None:
        raise Unauthenticated("The refresh token is not valid; sign in again.")
    if row.expires_at <= now:
        raise Unauthenticated("The refresh token has expired; sign in again.")
    # Compare-and-set so two racing refreshes with one token cannot both succeed.
    consumed = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == row.id, RefreshToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(consumed, "rowcount", 0) != 1:
        await revoke_refresh_family(session, row.family_id, now=now)
        await session.commit()
        raise Unauthenticated("This refresh token was already used; sign in again.")
    return row, now


async def revoke_refresh_family(session: AsyncSession, family_id: str, *, now: datetime) -> None:
    """Revoke every token of a family (logout, or reuse detected). The caller commits."""
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )


async def find_refresh_token(session: AsyncSession, token: str) -> RefreshToken | None:
    return await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == _token_hash(token))
    )


# --- login throttling --------------------------------------------------------------------


@dataclass
class LoginThrottle:
    """Failed sign-ins per (e-mail, client IP) in a sliding window.

    After ``attempts`` failures within ``window`` seconds further attempts are refused with
    429 until the oldest failure leaves the window; a successful sign-in clears the key.
    Memory is bounded: keys whose failures all expired are dropped as new failures arrive.
    """

    attempts: int
    window: float
    clock: Any = time.monotonic
    _failures: dict[tuple[str, str], deque[float]] = field(default_factory=dict)

    def check(self, email: str, ip: str) -> None:
        """Raise :class:`TooManyRequests` when this key is locked out."""
        failures = self._failures.get((email, ip))
        if not failures:
            return
        now = self.clock()
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if len(failures) >= self.attempts:
            retry_after = max(1, int(failures[0] + self.window - now + 0.999))
            raise TooManyRequests(
                "Too many failed sign-in attempts; try again later.", retry_after=retry_after
            )

    def failed(self, email: str, ip: str) -> None:
        now = self.clock()
        if len(self._failures) > 10_000:
            self._prune(now)
        self._failures.setdefault((email, ip), deque(maxlen=self.attempts)).append(now)

    def succeeded(self, email: str, ip: str) -> None:
        self._failures.pop((email, ip), None)

    def _prune(self, now: float) -> None:
        for key in [k for k, v in self._failures.items() if not v or v[-1] <= now - self.window]:
            del self._failures[key]


def login_throttle(ctx: AppContext) -> LoginThrottle:
    """The app's throttle, created on first use in ``ctx.extensions``."""
    throttle = ctx.extensions.get(__name__ + ".throttle")
    if not isinstance(throttle, LoginThrottle):
        throttle = LoginThrottle(
            attempts=ctx.settings.login_attempts_per_window,
            window=float(ctx.settings.login_window_seconds),
        )
        ctx.extensions[__name__ + ".throttle"] = throttle
    return throttle

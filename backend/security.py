"""Credentials: password hashes, access tokens, rotating refresh tokens, login throttling and
charger OCPP passwords.

- People's passwords are hashed with argon2 (slow on purpose), always off the event loop;
  the cost comes from the settings (:class:`PasswordHashing`, one per app).
- Access tokens are short-lived HS256 JWTs; they are not stored, so they cannot be revoked —
  which is why they live minutes, not days.
- Refresh tokens are random strings stored only as SHA-256 hashes, single-use and chained in
  a family: presenting an already-used token means it was copied, so the whole family is
  revoked and the user signs in again (OAuth 2.0 Security BCP, refresh token rotation).
- Credentials never reach the logs: handshake traces of websockets (which uvicorn emits at
  DEBUG, headers included) have their ``Authorization`` values blanked.
- Charger passwords are random machine secrets checked on every websocket (re)connect, so a
  fast salted SHA-256 is used: a reconnect storm must not cost seconds of CPU per charger.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
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
    "PasswordHashing",
    "Principal",
    "RedactCredentials",
    "decode_access_token",
    "hash_charger_password",
    "hash_password",
    "issue_access_token",
    "issue_token_pair",
    "login_throttle",
    "new_charger_password",
    "password_hashing",
    "redact_credentials_in_logs",
    "revoke_refresh_family",
    "rotate_refresh_token",
    "verify_charger_password",
    "verify_password",
]

_ALGORITHM = "HS256"


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


@dataclass(frozen=True)
class PasswordHashing:
    """The argon2 parameters one app hashes with, plus a dummy hash made with them.

    The dummy hash is what an unknown e-mail is verified against, so it costs the same time as
    a wrong password and response times do not reveal which accounts exist.
    """

    hasher: PasswordHasher
    dummy_hash: str

    @classmethod
    def from_settings(cls, settings: Settings) -> PasswordHashing:
        """Build (blocking: computes one hash) from the ``password_hash_*`` settings."""
        hasher = PasswordHasher(
            time_cost=settings.password_hash_time_cost,
            memory_cost=settings.password_hash_memory_cost,
            parallelism=settings.password_hash_parallelism,
        )
        return cls(hasher, hasher.hash("chargepile-no-such-account"))


async def password_hashing(ctx: AppContext) -> PasswordHashing:
    """The app's :class:`PasswordHashing`, built on first use and kept in ``ctx.extensions``."""
    key = __name__ + ".password_hashing"
    found = ctx.extensions.get(key)
    if isinstance(found, PasswordHashing):
        return found
    hashing = await asyncio.to_thread(PasswordHashing.from_settings, ctx.settings)
    ctx.extensions[key] = hashing
    return hashing


async def hash_password(password: str, hashing: PasswordHashing | None = None) -> str:
    """An argon2id hash of ``password`` (computed in a worker thread).

    Without ``hashing`` the production cost (argon2-cffi's defaults) is used.
    """
    hasher = hashing.hasher if hashing is not None else PasswordHasher()
    return await asyncio.to_thread(hasher.hash, password)


async def verify_password(
    password: str, stored: str | None, hashing: PasswordHashing | None = None
) -> bool:
    """Whether ``password`` matches ``stored`` (a hash of any argon2 cost); with
    ``stored=None`` it spends the time of a check against ``hashing``'s dummy hash and
    returns False (unknown account)."""

    def check() -> bool:
        if stored is None:
            if hashing is None:
                PasswordHasher().hash(password)  # same work as a production-cost check
                return False
            candidate = hashing.dummy_hash
        else:
            candidate = stored
        verifier = hashing.hasher if hashing is not None else PasswordHasher()
        try:
            return verifier.verify(candidate, password) and stored is not None
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
    """Failed sign-ins in a sliding window, counted three ways.

    - per (e-mail, client IP): ``attempts`` failures lock that pair out — someone guessing
      one account's password from one place;
    - per client IP, over all e-mails: ``spread_attempts`` — one client spraying many accounts;
    - per e-mail, over all clients: ``spread_attempts`` — many clients (a botnet) on one account.

    ``spread_attempts`` is larger so that a shared NAT or a victim's own typos do not lock
    everyone out at once. A locked key answers 429 until its oldest failure leaves the window;
    a successful sign-in clears its (e-mail, IP) pair only, so a correct guess does not wipe a
    spraying client's record. Memory is bounded: expired keys are dropped as failures arrive.
    """

    attempts: int
    window: float
    spread_attempts: int = 0  # 0: four times ``attempts``
    clock: Any = time.monotonic
    _failures: dict[tuple[str, str], deque[float]] = field(default_factory=dict)

    def _keys(self, email: str, ip: str) -> list[tuple[tuple[str, str], int]]:
        spread = self.spread_attempts or 4 * self.attempts
        return [((email, ip), self.attempts), (("", ip), spread), ((email, ""), spread)]

    def check(self, email: str, ip: str) -> None:
        """Raise :class:`TooManyRequests` when any key of this attempt is locked out."""
        now = self.clock()
        for key, limit in self._keys(email.lower(), ip):
            failures = self._failures.get(key)
            if not failures:
                continue
            while failures and failures[0] <= now - self.window:
                failures.popleft()
            if len(failures) >= limit:
                retry_after = max(1, int(failures[0] + self.window - now + 0.999))
                raise TooManyRequests(
                    "Too many failed sign-in attempts; try again later.", retry_after=retry_after
                )

    def failed(self, email: str, ip: str) -> None:
        now = self.clock()
        if len(self._failures) > 30_000:
            self._prune(now)
        for key, limit in self._keys(email.lower(), ip):
            self._failures.setdefault(key, deque(maxlen=limit)).append(now)

    def succeeded(self, email: str, ip: str) -> None:
        self._failures.pop((email.lower(), ip), None)

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


# --- credentials in logs -----------------------------------------------------------------

_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
# websockets traces each handshake header as ``logger.debug("< %s: %s", name, value)``;
# uvicorn hands it its "uvicorn.error" logger, standalone websockets uses its own.
CREDENTIAL_TRACING_LOGGERS = ("uvicorn.error", "websockets.server", "websockets.protocol")


class RedactCredentials(logging.Filter):
    """Blanks the value of credential headers in header-trace records (``"%s: %s"`` with the
    header name first), e.g. a charger's ``Authorization: Basic ...`` at the OCPP handshake."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if (
            isinstance(args, tuple)
            and len(args) == 2
            and isinstance(args[0], str)
            and args[0].lower() in _SECRET_HEADERS
        ):
            record.args = (args[0], "[redacted]")
        return True


def redact_credentials_in_logs() -> None:
    """Install :class:`RedactCredentials` on the loggers that trace handshake headers
    (idempotent; logging configuration is process-wide by nature)."""
    for name in CREDENTIAL_TRACING_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactCredentials) for f in logger.filters):
            logger.addFilter(RedactCredentials())

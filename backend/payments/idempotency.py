"""``Idempotency-Key`` for money-moving API requests: a retry gets the first answer.

The key is reserved (scope, key, request hash) in its own committed transaction before the
request runs; the answer — success or a 4xx such as a decline — is stored and replayed to
every retry with the same key. The same key with a different request body is refused (422);
a retry while the first request is still running gets 409 (after five minutes the
reservation counts as abandoned and a retry runs). An answer that says "try again"
(503, or an unexpected failure) is not stored: the reservation is dropped so a retry runs.

Under load every step here takes a pooled database connection for one short transaction and
gives it back — none is held while the request itself runs (a charger or provider answering).
If the pool still has nothing free in time, the answer is a 503 ``busy`` with ``Retry-After``
(never stored): the client retries with the same key.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from backend.context import AppContext
from backend.db.models import IdempotencyRecord
from backend.errors import Conflict, DomainError, Invalid
from backend.payments.errors import IdempotencyKeyReused, PaymentsBusy
from backend.payments.ledger import insert_ignore

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
IN_FLIGHT_LIMIT = timedelta(minutes=5)
FORGET_ATTEMPTS = 5


@dataclass(frozen=True)
class StoredAnswer:
    status_code: int
    body: Any
    replayed: bool


def request_hash(method: str, path: str, body: Any) -> str:
    canonical = json.dumps([method, path, body], sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def error_body(exc: DomainError) -> dict[str, Any]:
    return {
        "error": {
            "code": exc.code,
            "message": exc.message,
            "fields": [{"field": f.field, "problem": f.problem} for f in exc.fields],
        }
    }


def busy_answer() -> StoredAnswer:
    """The 503 a saturated server gives instead of a pool timeout's 500."""
    busy = PaymentsBusy("The server is busy right now; nothing was charged. Please retry.")
    return StoredAnswer(busy.status_code, error_body(busy), replayed=False)


async def idempotent(
    ctx: AppContext,
    *,
    scope: str,
    key: str | None,
    fingerprint: str,
    run: Callable[[], Awaitable[tuple[int, Any]]],
) -> StoredAnswer:
    """Run ``run`` (returning status and JSON body) at most once per ``(scope, key)``."""
    try:
        return await _idempotent(ctx, scope=scope, key=key, fingerprint=fingerprint, run=run)
    except PoolTimeout:
        log.warning("no database connection free for %s; answered busy", scope)
        return busy_answer()


async def _idempotent(
    ctx: AppContext,
    *,
    scope: str,
    key: str | None,
    fingerprint: str,
    run: Callable[[], Awaitable[tuple[int, Any]]],
) -> StoredAnswer:
    if key is None:
        status, body = await _as_answer(run)
        return StoredAnswer(status, body, replayed=False)
    if not 1 <= len(key) <= 255 or not key.isprintable():
        raise Invalid(
            "Idempotency-Key must be 1-255 printable characters.",
            field_name="header.Idempotency-Key",
        )
    async with ctx.sessions() as db:
        fresh = await insert_ignore(
            db,
            IdempotencyRecord,
            {"scope": scope, "key": key, "request_hash": fingerprint, "created_at": ctx.clock()},
            ["scope", "key"],
        )
        await db.commit()
        if not fresh:
            record = await db.scalar(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.scope == scope, IdempotencyRecord.key == key
                )
            )
            assert record is not None
            if record.request_hash != fingerprint:
                raise IdempotencyKeyReused(
                    "This Idempotency-Key was already used for a different request."
                )
            if record.status_code is not None and record.response_body is not None:
                body = json.loads(record.response_body)
                return StoredAnswer(record.status_code, body, replayed=True)
            # Still running — or abandoned by a process that died mid-request: after
            # IN_FLIGHT_LIMIT one retry takes the reservation over (the dead attempt's provider
            # calls are finished or released by the outbox worker).
            taken = await db.execute(
                update(IdempotencyRecord)
                .where(
                    IdempotencyRecord.id == record.id,
                    IdempotencyRecord.status_code.is_(None),
                    IdempotencyRecord.created_at < ctx.clock() - IN_FLIGHT_LIMIT,
                )
                .values(created_at=ctx.clock())
            )
            await db.commit()
            if not getattr(taken, "rowcount", 0):
                raise Conflict("A request with this Idempotency-Key is still being processed.")
    try:
        status, body = await _as_answer(run)
    except BaseException:
        await _forget(ctx, scope, key)
        raise
    if status >= 500:
        await _forget(ctx, scope, key)
        return StoredAnswer(status, body, replayed=False)
    async with ctx.sessions() as db:
        await db.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.scope == scope, IdempotencyRecord.key == key)
            .values(status_code=status, response_body=json.dumps(body, default=str))
        )
        await db.commit()
    return StoredAnswer(status, body, replayed=False)


async def _as_answer(run: Callable[[], Awaitable[tuple[int, Any]]]) -> tuple[int, Any]:
    try:
        return await run()
    except DomainError as exc:
        return exc.status_code, error_body(exc)
    except PoolTimeout:
        answer = busy_answer()
        return answer.status_code, answer.body


async def _forget(ctx: AppContext, scope: str, key: str) -> None:
    """Drop the reservation so a retry runs; insists a little, because a reservation left
    behind would answer every retry 409 until it counts as abandoned."""
    for attempt in range(1, FORGET_ATTEMPTS + 1):
        try:
            async with ctx.sessions() as db:
                await db.execute(
                    delete(IdempotencyRecord).where(
                        IdempotencyRecord.scope == scope, IdempotencyRecord.key == key
                    )
                )
                await db.commit()
            return
        except (PoolTimeout, OperationalError):
            if attempt == FORGET_ATTEMPTS:
                raise
            await asyncio.sleep(0.1 * attempt)

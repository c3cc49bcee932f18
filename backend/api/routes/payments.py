"""Paid charging for drivers: the price before start, start with payment, a session's payment
status, and the provider's webhook endpoint.

The money-moving routes (start, top-up) sign the driver in with a connection of their own that
is given back at once (:data:`BriefDriver`), not the request-long session: a start waits for
the card provider and the charger, and holding a pooled connection all that time while the
start itself needs more ran the pool dry under load (each of N concurrent starts held one and
waited for another).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import TimeoutError as PoolTimeout

from backend.api.auth_deps import AdminStaff, CurrentPrincipal, TokenDep, authenticate_briefly
from backend.api.deps import ContextDep, SessionDep
from backend.api.params import IdPath
from backend.api.responses import errors
from backend.db.models import PaymentMethod
from backend.errors import Forbidden, NotFound
from backend.payments.billing import load_target, start_paid_session
from backend.payments.config import runtime_of
from backend.payments.errors import PaymentsBusy, WebhookRejected
from backend.payments.idempotency import StoredAnswer, idempotent, request_hash
from backend.payments.refunds import refund_payment
from backend.payments.tariff import price_preview
from backend.payments.views import payment_public, visible_session
from backend.payments.webhooks import handle_webhook
from backend.security import Principal
from backend_client.models import (
    ChargeStartRequest,
    ChargeStartResponse,
    PaymentPublic,
    PriceQuote,
    RefundRequest,
    WebhookAck,
)

router = APIRouter(tags=["payments"])

MAX_WEBHOOK_BYTES = 64 * 1024

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=255,
        description="Any unique string (a UUID); a retry with the same key gets the first answer.",
    ),
]


async def brief_driver(ctx: ContextDep, token: TokenDep) -> Principal:
    """The signed-in driver, looked up with a connection that is returned before the route
    runs (401 without a valid token, 403 for staff, 503 ``busy`` when no connection is free)."""
    try:
        principal = await authenticate_briefly(ctx, token)
    except PoolTimeout:
        raise PaymentsBusy(
            "The server is busy right now; nothing was done. Please retry."
        ) from None
    if principal.kind != "driver":
        raise Forbidden("Only drivers may do this.")
    return principal


BriefDriver = Annotated[Principal, Depends(brief_driver)]


def _error_code(body: object) -> str | None:
    error = body.get("error") if isinstance(body, dict) else None
    return error.get("code") if isinstance(error, dict) else None


def answer(stored: StoredAnswer) -> JSONResponse:
    """The stored (or fresh) answer of an idempotent request as a response."""
    headers = {"Idempotent-Replayed": "true"} if stored.replayed else {}
    if stored.status_code == 503 and _error_code(stored.body) == PaymentsBusy.code:
        headers["Retry-After"] = str(PaymentsBusy.retry_after)
    return JSONResponse(stored.body, status_code=stored.status_code, headers=headers or None)


@router.get("/charge/quote", response_model=PriceQuote, responses=errors(404, 409, auth=False))
async def quote(
    ctx: ContextDep,
    session: SessionDep,
    ocpp_id: Annotated[str, Query(min_length=1, max_length=48)],
    connector_no: Annotated[int, Query(ge=1, le=99)],
) -> PriceQuote:
    """The price a session started now would be billed, and the hold it needs (no sign-in:
    the QR code page shows it before anyone pays)."""
    settings = runtime_of(ctx).settings
    target = await load_target(session, ocpp_id, connector_no)
    preview = price_preview(target.tariff, ctx.clock(), timezone=target.operator.timezone)
    return PriceQuote(
        ocpp_id=ocpp_id,
        connector_no=connector_no,
        station_id=target.station.id,
        station_name=target.station.name,
        connector_status=target.connector.ocpp_status,
        startable=target.charger.is_online
        and target.connector.ocpp_status in ("Available", "Preparing"),
        tariff_id=target.tariff.id,
        currency=preview.currency,
        band_label=preview.band_label,
        energy_price=preview.energy_price,
        time_price=preview.time_price,
        idle_fee_per_minute=preview.idle_fee_per_minute,
        idle_grace_minutes=preview.idle_grace_minutes,
        tax_rate_percent=preview.tax_rate_percent,
        next_change_at=preview.next_change_at,
        next_energy_price=preview.next_energy_price,
        card_hold_minor=settings.card_hold_minor,
        guest_hold_minor=settings.guest_hold_minor,
        wallet_min_start_minor=settings.wallet_min_start_minor,
    )


@router.post(
    "/charge/start",
    response_model=ChargeStartResponse,
    status_code=201,
    responses=errors(402, 404, 409, 503),
)
async def start_charging(
    ctx: ContextDep,
    principal: BriefDriver,
    body: ChargeStartRequest,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Hold the money (wallet or card), then start the charger. A declined card answers 402
    and nothing starts; a charger that does not start answers 503/504/409 and the hold is
    given back."""

    async def run() -> tuple[int, object]:
        intent = await start_paid_session(
            ctx,
            driver_id=principal.id,
            ocpp_id=body.ocpp_id,
            connector_no=body.connector_no,
            method=PaymentMethod(body.pay_with.value),
            payment_method_token=body.payment_method_token,
        )
        assert intent.session_id is not None
        result = ChargeStartResponse(session_id=intent.session_id, payment=payment_public(intent))
        return 201, result.model_dump(mode="json")

    fingerprint = request_hash("POST", request.url.path, body.model_dump(mode="json"))
    stored = await idempotent(
        ctx, scope=f"driver:{principal.id}", key=idempotency_key, fingerprint=fingerprint, run=run
    )
    return answer(stored)


@router.get("/sessions/{session_id}/payment", response_model=PaymentPublic, responses=errors(404))
async def session_payment(
    session_id: IdPath, session: SessionDep, principal: CurrentPrincipal
) -> PaymentPublic:
    """The money side of a session: ``held`` while charging, ``pending`` while the capture
    is being retried, then ``paid`` (or ``released``)."""
    _row, intent = await visible_session(session, session_id, principal)
    if intent is None:
        raise NotFound("This session was not paid through the app.")
    return payment_public(intent)


@router.post(
    "/payments/webhooks/{provider}",
    response_model=WebhookAck,
    responses=errors(400, 404, auth=False),
)
async def provider_webhook(provider: str, request: Request, ctx: ContextDep) -> WebhookAck:
    """Signed provider events (HMAC-SHA256 in ``Chargepile-Signature``); a re-delivered event
    is acknowledged and ignored, a forged one refused (400) with nothing changed."""
    body = await request.body()
    if len(body) > MAX_WEBHOOK_BYTES:
        raise WebhookRejected("webhook body too large")
    outcome = await handle_webhook(ctx, provider[:20], body, dict(request.headers))
    return WebhookAck(received=True, duplicate=outcome.duplicate)


@router.post(
    "/payments/{payment_id}/refunds",
    response_model=PaymentPublic,
    status_code=201,
    responses=errors(404, 409),
)
async def refund(
    payment_id: IdPath,
    ctx: ContextDep,
    principal: AdminStaff,
    body: RefundRequest,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Refund part or all of a captured payment: a wallet is credited at once; a card refund
    goes to the provider (``refunded_minor`` grows when the provider confirms)."""
    assert principal.operator_id is not None
    operator_id = principal.operator_id

    async def run() -> tuple[int, object]:
        intent = await refund_payment(
            ctx,
            operator_id=operator_id,
            payment_id=payment_id,
            amount_minor=body.amount_minor,
            reason=body.reason,
            by=principal,
        )
        return 201, payment_public(intent).model_dump(mode="json")

    fingerprint = request_hash("POST", request.url.path, body.model_dump(mode="json"))
    stored = await idempotent(
        ctx, scope=f"staff:{principal.id}", key=idempotency_key, fingerprint=fingerprint, run=run
    )
    return answer(stored)

"""Ad-hoc charging without an account (the charger's QR code opens the H5 page): pay by card
hold, follow the session and fetch the receipt with the secret link token."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, Response

from backend.api.deps import ContextDep, SessionDep
from backend.api.responses import errors
from backend.api.routes.payments import IdempotencyKey, answer
from backend.db.models import PaymentMethod, SessionStatus
from backend.errors import ChargerUnavailable, Conflict
from backend.payments.billing import start_paid_session
from backend.payments.config import runtime_of
from backend.payments.idempotency import idempotent, request_hash
from backend.payments.receipts import build_receipt, receipt_pdf
from backend.payments.views import guest_session, payment_public
from backend_client.models import (
    ChargeStartResponse,
    GuestSessionStatus,
    GuestStartRequest,
    Receipt,
)

router = APIRouter(prefix="/guest", tags=["guest"])

Token = Annotated[str, Path(min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")]


def _status_url(token: str) -> str:
    return f"/api/v1/guest/sessions/{token}"


def _receipt_url(token: str) -> str:
    return f"/api/v1/guest/receipts/{token}"


@router.post(
    "/charge/start",
    response_model=ChargeStartResponse,
    status_code=201,
    responses=errors(402, 404, 409, 503, auth=False),
)
async def guest_start(
    ctx: ContextDep,
    body: GuestStartRequest,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Hold the guest's card, then start the charger. Keep ``receipt_token``: it opens the
    live status and the receipt (there is no account)."""

    async def run() -> tuple[int, object]:
        intent = await start_paid_session(
            ctx,
            driver_id=None,
            ocpp_id=body.ocpp_id,
            connector_no=body.connector_no,
            method=PaymentMethod.CARD,
            payment_method_token=body.payment_method_token,
        )
        assert intent.session_id is not None and intent.receipt_token is not None
        token = intent.receipt_token
        result = ChargeStartResponse(
            session_id=intent.session_id,
            payment=payment_public(intent),
            receipt_token=token,
            status_url=_status_url(token),
            receipt_url=_receipt_url(token),
        )
        return 201, result.model_dump(mode="json")

    # Guests have no identity: scope their keys by the card token so one guest's key never
    # replays another guest's answer (which carries a receipt token).
    scope = "guest:" + hashlib.sha256(body.payment_method_token.encode()).hexdigest()[:32]
    fingerprint = request_hash("POST", request.url.path, body.model_dump(mode="json"))
    stored = await idempotent(
        ctx, scope=scope, key=idempotency_key, fingerprint=fingerprint, run=run
    )
    return answer(stored)


@router.get(
    "/sessions/{token}", response_model=GuestSessionStatus, responses=errors(404, auth=False)
)
async def guest_status(token: Token, session: SessionDep) -> GuestSessionStatus:
    """Live status of the guest's session and its payment."""
    row, intent = await guest_session(session, token)
    return GuestSessionStatus(
        session_id=row.id,
        status=row.status,
        started_at=row.started_at,
        stopped_at=row.stopped_at,
        energy_wh=row.energy_wh,
        last_power_w=row.last_power_w,
        cost_minor=row.cost_minor,
        currency=intent.currency,
        payment=payment_public(intent),
    )


@router.post(
    "/sessions/{token}/stop",
    response_model=GuestSessionStatus,
    status_code=202,
    responses=errors(404, 409, 503, auth=False),
)
async def guest_stop(token: Token, ctx: ContextDep, session: SessionDep) -> GuestSessionStatus:
    """Ask the charger to stop the guest's session (billing follows its StopTransaction)."""
    row, _intent = await guest_session(session, token)
    if row.status not in (SessionStatus.PENDING, SessionStatus.ACTIVE):
        raise Conflict("The session has already ended.")
    charging = runtime_of(ctx).charging
    if charging is None:
        raise ChargerUnavailable("Remote stop is not available on this server.")
    await session.commit()  # do not hold a transaction open while the charger answers
    await charging.remote_stop(ctx, session_id=row.id)
    return await guest_status(token, session)


@router.get(
    "/receipts/{token}.pdf",
    response_class=Response,
    responses={**errors(404, 409, auth=False), 200: {"content": {"application/pdf": {}}}},
)
async def guest_receipt_pdf(token: Token, session: SessionDep) -> Response:
    """The guest's receipt as a PDF (declared before the JSON route so ``.pdf`` matches)."""
    row, intent = await guest_session(session, token)
    receipt = await build_receipt(session, row, intent)
    return Response(
        await receipt_pdf(receipt),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{receipt.receipt_number}.pdf"'},
    )


@router.get("/receipts/{token}", response_model=Receipt, responses=errors(404, 409, auth=False))
async def guest_receipt(token: Token, session: SessionDep) -> Receipt:
    """The guest's itemized receipt (409 while the session runs)."""
    row, intent = await guest_session(session, token)
    return await build_receipt(session, row, intent)

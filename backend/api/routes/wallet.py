"""A driver's prepaid wallet: balance, statement, top-ups by card.

Every route reads and writes through its own short sessions, so the driver is signed in with
:data:`~backend.api.routes.payments.BriefDriver` (no request-long connection held).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from backend.api.deps import ContextDep
from backend.api.params import LimitQuery, OffsetQuery
from backend.api.responses import errors
from backend.api.routes.payments import BriefDriver, IdempotencyKey, answer
from backend.db.models import PaymentStatus
from backend.payments.idempotency import idempotent, request_hash
from backend.payments.views import payment_public
from backend.payments.wallet import top_up, wallet_entries, wallet_view
from backend_client.models import Page, TopUpRequest, TopUpResult, WalletEntryPublic, WalletPublic

router = APIRouter(prefix="/wallet", tags=["wallet"])

CurrencyQuery = Annotated[str, Query(pattern=r"^[A-Z]{3}$", examples=["CNY"])]


@router.get("", response_model=WalletPublic, responses=errors())
async def get_wallet(
    ctx: ContextDep, principal: BriefDriver, currency: CurrencyQuery = "CNY"
) -> WalletPublic:
    """Spendable balance and what running sessions hold."""
    return await wallet_view(ctx, principal.id, currency)


@router.get("/entries", response_model=Page[WalletEntryPublic], responses=errors())
async def list_entries(
    ctx: ContextDep,
    principal: BriefDriver,
    currency: CurrencyQuery = "CNY",
    limit: LimitQuery = 50,
    offset: OffsetQuery = 0,
) -> Page[WalletEntryPublic]:
    """Every movement, newest first: top-ups, holds and their release, charges, refunds."""
    return await wallet_entries(ctx, principal.id, currency, limit=limit, offset=offset)


@router.post(
    "/topups",
    response_model=TopUpResult,
    status_code=201,
    responses={**errors(402, 503), 202: {"model": TopUpResult, "description": "Still processing"}},
)
async def create_topup(
    ctx: ContextDep,
    principal: BriefDriver,
    body: TopUpRequest,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Charge the card and credit the wallet: 201 when credited, 202 while the provider has
    not answered yet (credited automatically once it does), 402 when declined."""

    async def run() -> tuple[int, object]:
        intent = await top_up(
            ctx,
            driver_id=principal.id,
            amount_minor=body.amount_minor,
            currency=body.currency,
            payment_method_token=body.payment_method_token,
        )
        wallet = await wallet_view(ctx, principal.id, body.currency)
        result = TopUpResult(payment=payment_public(intent), wallet=wallet)
        status = 201 if intent.status == PaymentStatus.CAPTURED else 202
        return status, result.model_dump(mode="json")

    fingerprint = request_hash("POST", request.url.path, body.model_dump(mode="json"))
    stored = await idempotent(
        ctx, scope=f"driver:{principal.id}", key=idempotency_key, fingerprint=fingerprint, run=run
    )
    return answer(stored)

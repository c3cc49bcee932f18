"""Session receipts for the session's driver and its operator's staff: JSON and PDF."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from backend.api.auth_deps import CurrentPrincipal
from backend.api.deps import SessionDep
from backend.api.params import IdPath
from backend.api.responses import errors
from backend.payments.receipts import build_receipt, receipt_pdf
from backend.payments.views import visible_session
from backend_client.models import Receipt

router = APIRouter(prefix="/sessions", tags=["receipts"])


@router.get("/{session_id}/receipt", response_model=Receipt, responses=errors(404, 409))
async def get_receipt(
    session_id: IdPath, session: SessionDep, principal: CurrentPrincipal
) -> Receipt:
    """The itemized receipt of a finished session (409 while it is running)."""
    row, intent = await visible_session(session, session_id, principal)
    return await build_receipt(session, row, intent)


@router.get(
    "/{session_id}/receipt.pdf",
    response_class=Response,
    responses={**errors(404, 409), 200: {"content": {"application/pdf": {}}}},
)
async def get_receipt_pdf(
    session_id: IdPath, session: SessionDep, principal: CurrentPrincipal
) -> Response:
    """The receipt as a PDF to save or print."""
    row, intent = await visible_session(session, session_id, principal)
    receipt = await build_receipt(session, row, intent)
    return Response(
        await receipt_pdf(receipt),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{receipt.receipt_number}.pdf"'},
    )

"""Session receipts for the session's driver and its operator's staff: JSON and PDF, and a
short-lived signed link to the PDF for browsers and PDF viewers that cannot send the bearer
header (see :func:`backend.payments.receipts.issue_receipt_link`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from backend.api.auth_deps import CurrentPrincipal
from backend.api.deps import ContextDep, SessionDep
from backend.api.params import IdPath
from backend.api.responses import errors
from backend.payments.receipts import (
    build_receipt,
    issue_receipt_link,
    read_receipt_link,
    receipt_pdf,
)
from backend.payments.views import visible_session
from backend_client.models import Receipt, ReceiptLink

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
    return await _pdf_response(await build_receipt(session, row, intent))


async def _pdf_response(receipt: Receipt) -> Response:
    return Response(
        await receipt_pdf(receipt),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{receipt.receipt_number}.pdf"',
            # The link is personal: no shared cache may keep the PDF.
            "Cache-Control": "private, no-store",
        },
    )


@router.post("/{session_id}/receipt/link", response_model=ReceiptLink, responses=errors(404, 409))
async def create_receipt_link(
    session_id: IdPath, ctx: ContextDep, session: SessionDep, principal: CurrentPrincipal
) -> ReceiptLink:
    """A link that downloads the receipt PDF for a few minutes without the bearer token (to
    open in a browser tab or the phone's PDF viewer). 409 while the session runs."""
    row, intent = await visible_session(session, session_id, principal)
    await build_receipt(session, row, intent)  # refuse now rather than hand out a dead link
    token, expires_at = issue_receipt_link(
        ctx.settings.secret_key, principal, session_id, now=ctx.clock()
    )
    return ReceiptLink(
        url=f"/api/v1/sessions/{session_id}/receipt/download?t={token}", expires_at=expires_at
    )


LinkToken = Annotated[str, Query(alias="t", min_length=20, max_length=1024)]


@router.get(
    "/{session_id}/receipt/download",
    response_class=Response,
    responses={**errors(404, 409, auth=False), 200: {"content": {"application/pdf": {}}}},
)
async def download_receipt(
    session_id: IdPath, ctx: ContextDep, session: SessionDep, token: LinkToken
) -> Response:
    """The receipt PDF through a link from ``POST …/receipt/link`` (no bearer header; 404
    when the link is forged, expired or for another session)."""
    principal = read_receipt_link(ctx.settings.secret_key, token, session_id, now=ctx.clock())
    row, intent = await visible_session(session, session_id, principal)
    return await _pdf_response(await build_receipt(session, row, intent))

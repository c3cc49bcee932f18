"""Receipt downloads: a short-lived signed link to a receipt's PDF.

Why a link: a browser tab or the phone's PDF viewer opens a URL but cannot send the app's
``Authorization`` header, and the bearer token must never travel in a URL (it would land in
access logs and browser history). The link carries its own narrow, minutes-long permission.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class ReceiptLink(BaseModel):
    """Where to download one session's receipt PDF without signing in (until ``expires_at``)."""

    url: str = Field(description="Path on this API: /api/v1/sessions/{id}/receipt/download?t=…")
    expires_at: datetime

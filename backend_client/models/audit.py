"""The operator's audit log: who did what to which object, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class AuditEntry(BaseModel):
    id: int
    actor_staff_id: int | None
    actor_email: str | None
    action: str
    target_type: str
    target_id: str
    detail: dict[str, Any]
    created_at: datetime

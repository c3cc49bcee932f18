"""RFID cards (OCPP idTags): issued by an operator, bound to a driver, blocked when lost."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field

from backend_client.models.common import Email, Text, Timestamp

_UID = r"^[A-Za-z0-9]{4,20}$"


class CardStatus(StrEnum):
    ACTIVE = "active"
    BLOCKED = "blocked"


class CardCreate(BaseModel):
    uid: str = Field(pattern=_UID, description="The idTag the charger reads (hex digits).")
    label: Annotated[str, Text] = Field(default="", max_length=60)
    driver_email: Email | None = Field(default=None, description="Bind to this driver.")
    expires_at: Timestamp | None = None


class CardUpdate(BaseModel):
    """Fields to change. ``driver_email: null`` unbinds the card; ``expires_at: null`` clears."""

    label: Annotated[str, Text] | None = Field(default=None, max_length=60)
    driver_email: Email | None = None
    expires_at: Timestamp | None = None


class CardPublic(BaseModel):
    """A card as its operator manages it."""

    id: int
    operator_id: int
    uid: str
    label: str
    status: CardStatus
    expires_at: datetime | None
    driver_id: int | None
    driver_email: str | None
    created_at: datetime


class DriverCard(BaseModel):
    """A card as its driver sees it."""

    id: int
    uid: str
    label: str
    status: CardStatus
    expires_at: datetime | None
    operator_id: int
    operator_name: str


class DriverCardBind(BaseModel):
    """A driver links a card to their account by the number printed on it."""

    uid: str = Field(
        pattern=_UID,
        description="The card number (idTag) printed on the card: 4–20 letters or digits.",
    )
    label: Annotated[str, Text] = Field(
        default="", max_length=60, description="The driver's own name for the card."
    )

"""Accounts: operator staff (managed by admins) and drivers (self sign-up, own profile)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from backend_client.models.auth import StaffRole
from backend_client.models.common import Email, Password, Text


class StaffCreate(BaseModel):
    email: Email
    full_name: Annotated[str, Text] = Field(min_length=1, max_length=120)
    password: Password
    role: StaffRole = StaffRole.STAFF


class StaffUpdate(BaseModel):
    full_name: Annotated[str, Text] | None = Field(default=None, min_length=1, max_length=120)
    role: StaffRole | None = None
    is_active: bool | None = None
    password: Password | None = None


class StaffPublic(BaseModel):
    id: int
    operator_id: int
    email: str
    full_name: str
    role: StaffRole
    is_active: bool
    created_at: datetime


class DriverSignUp(BaseModel):
    email: Email
    full_name: Annotated[str, Text] = Field(min_length=1, max_length=120)
    password: Password
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9 \-]{5,31}$")
    locale: str = Field(default="en", pattern=r"^[a-z]{2}(-[A-Z]{2})?$")


class DriverProfile(BaseModel):
    id: int
    email: str
    full_name: str
    phone: str | None
    locale: str
    created_at: datetime


class DriverProfileUpdate(BaseModel):
    """Fields to change; a new ``password`` needs the ``current_password``."""

    full_name: Annotated[str, Text] | None = Field(default=None, min_length=1, max_length=120)
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9 \-]{5,31}$")
    locale: str | None = Field(default=None, pattern=r"^[a-z]{2}(-[A-Z]{2})?$")
    password: Password | None = None
    current_password: Annotated[str, Text] | None = Field(default=None, max_length=128)

"""Payment settings (``CHARGEPILE_PAYMENTS_*`` environment variables) and the per-app runtime.

The runtime (settings, provider, charging port, outbox kick) lives on
``ctx.extensions[RUNTIME_KEY]`` so several apps run side by side in one process and tests
inject their own provider — or share one provider between two apps on one database, the way
a real processor outlives a crashed backend.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from backend.context import AppContext
from backend.payments.provider import PaymentProvider

if TYPE_CHECKING:
    from backend.payments.charging_port import ChargingPort

RUNTIME_KEY = "backend.payments"


class PaymentSettings(BaseSettings):
    """Amounts are integer minor units of the session's currency."""

    model_config = SettingsConfigDict(env_prefix="CHARGEPILE_PAYMENTS_", extra="ignore")

    card_hold_minor: int = Field(default=20_000, ge=100, description="Hold on a driver's card.")
    guest_hold_minor: int = Field(default=30_000, ge=100, description="Hold on a guest's card.")
    wallet_hold_max_minor: int = Field(
        default=20_000, ge=100, description="At most this much of the wallet is reserved."
    )
    wallet_min_start_minor: int = Field(
        default=500, ge=1, description="A wallet session needs at least this balance to start."
    )
    topup_min_minor: int = Field(default=100, ge=1)
    topup_max_minor: int = Field(default=500_000, ge=1)
    stop_margin_percent: int = Field(
        default=5,
        ge=0,
        le=50,
        description="Stop the session once its cost reaches (100 - this)% of the hold, so the "
        "energy delivered until the next meter sample still fits.",
    )
    webhook_secret: str | None = Field(
        default=None, description="Sandbox webhook HMAC secret; derived from the app secret."
    )
    webhook_url: str | None = Field(
        default=None,
        description="Where the sandbox POSTs its webhooks; unset = handed to this app in-process.",
    )
    outbox_poll_seconds: float = Field(default=2.0, gt=0)
    outbox_batch: int = Field(default=20, ge=1)
    outbox_lease_seconds: float = Field(default=60.0, gt=0)
    outbox_max_backoff_seconds: float = Field(default=300.0, gt=0)
    provider_timeout_seconds: float = Field(default=20.0, gt=0)


def derived_webhook_secret(app_secret: str) -> str:
    """A webhook secret of its own, derived from the app secret (never the secret itself)."""
    return hmac.new(app_secret.encode(), b"payments-webhook", hashlib.sha256).hexdigest()


@dataclass
class PaymentsRuntime:
    """The payment collaborators of one app."""

    settings: PaymentSettings
    provider: PaymentProvider
    charging: ChargingPort | None = None
    owns_provider: bool = False
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    # Sessions the worker asked the charger to stop (over budget), and when: asked again
    # only after a while, not on every pass.
    stop_requested: dict[int, datetime] = field(default_factory=dict)

    def kick(self) -> None:
        """Ask the outbox worker to look for due operations now (after a commit)."""
        self.wake.set()


def runtime_of(ctx: AppContext) -> PaymentsRuntime:
    """The payments runtime of this app (installed by the payments lifecycle or a test)."""
    runtime = ctx.extensions.get(RUNTIME_KEY)
    if not isinstance(runtime, PaymentsRuntime):
        raise RuntimeError("payments are not set up on this app (payments_lifecycle missing)")
    return runtime

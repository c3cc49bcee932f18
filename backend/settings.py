"""Backend configuration, read from ``CHARGEPILE_*`` environment variables.

One value object handed to the app factory, so tests build apps with their own database and
secrets side by side in one process (no module-level settings object).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEMO_SECRET = "chargepile-demo-secret-change-me-0000000000"


class Settings(BaseSettings):
    """Everything the backend needs to run; defaults give a local demo on SQLite."""

    model_config = SettingsConfigDict(env_prefix="CHARGEPILE_", extra="ignore")

    environment: str = Field(
        default="demo",
        description="'demo', 'test' or 'production'. The demo secret is refused in production.",
    )
    data_dir: Path = Field(default=Path("data"), description="Folder for the SQLite file.")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy async URL; default sqlite+aiosqlite:///<data_dir>/chargepile.db. "
        "PostgreSQL: postgresql+asyncpg://user:pass@host:port/db",
    )
    secret_key: str = Field(default=DEMO_SECRET, min_length=32)
    access_token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(default=30, ge=1, le=365)
    login_attempts_per_window: int = Field(default=5, ge=1)
    login_window_seconds: int = Field(default=300, ge=1)
    public_driver_url: str = Field(
        default="http://127.0.0.1:8552",
        description="Base URL of the driver web app; QR labels hold <this>/c/<chargePointId>/<n>.",
    )
    cors_origins: list[str] = Field(default_factory=list)
    # OCPP central system
    ocpp_heartbeat_interval: int = Field(default=300, ge=10)
    ocpp_ping_interval: float = Field(default=30.0, gt=0)
    ocpp_call_timeout: float = Field(default=30.0, gt=0)
    ocpp_unknown_boot_status: str = Field(
        default="Rejected", pattern="^(Accepted|Pending|Rejected)$"
    )
    event_buffer_size: int = Field(default=1000, ge=10)

    @model_validator(mode="after")
    def _refuse_demo_secret_in_production(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEMO_SECRET:
            raise ValueError(
                "CHARGEPILE_SECRET_KEY must be set to a private value when "
                "CHARGEPILE_ENVIRONMENT=production"
            )
        return self

    @property
    def resolved_database_url(self) -> str:
        """The database URL in force: the configured one, or the SQLite file in ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'chargepile.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

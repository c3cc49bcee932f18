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
        description="'demo', 'test' or 'production'. The demo secret is accepted in 'demo' only.",
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
    # OCPP hostile-input limits (backend/ocpp/gateway.py, dispatch.py)
    ocpp_silence_limit: float | None = Field(
        default=None,
        gt=0,
        description="Seconds a connected charger may send no OCPP frame before it is dropped as "
        "hung; default 2 × heartbeat interval + ping interval.",
    )
    ocpp_rate_limit: float = Field(
        default=20.0,
        ge=0,
        description="Frames per second one charger may sustain; a faster one is read more "
        "slowly (back-pressure, nothing refused). 0 = no limit.",
    )
    ocpp_rate_burst: int = Field(default=100, ge=1, description="Frames allowed at once.")
    ocpp_max_frame_bytes: int = Field(
        default=512 * 1024,
        ge=1024,
        description="Largest websocket message accepted; a bigger one closes the connection "
        "with code 1009.",
    )
    ocpp_handshake_timeout: float = Field(
        default=10.0,
        gt=0,
        description="Seconds a new connection has to send its HTTP request (websocket upgrade).",
    )
    event_buffer_size: int = Field(default=1000, ge=10)
    # Database connection pool (backend/db/engine.py). SQLite has one writer at a time, so its
    # pool is sized for concurrent readers; a request that still finds no connection within
    # db_pool_timeout answers 503 "busy, retry" instead of hanging.
    db_pool_size: int | None = Field(
        default=None, ge=1, description="Pooled connections; default 20 (SQLite) / 10 (PostgreSQL)."
    )
    db_max_overflow: int = Field(default=20, ge=0)
    db_pool_timeout: float = Field(default=10.0, gt=0, description="Seconds to wait for one.")
    db_busy_timeout_ms: int = Field(default=5000, ge=0, description="SQLite busy_timeout.")
    # Live event streams (SSE): per-user caps, so one account cannot pin the server's
    # connections or hammer it with reconnects.
    event_streams_per_user: int = Field(default=5, ge=1)
    event_stream_connects_per_minute: int = Field(default=30, ge=1)
    # argon2id cost of people's password hashes; production defaults are argon2-cffi's own
    # (t=3, m=64 MiB, p=4). Tests lower them; production refuses anything under the OWASP
    # floor (t=2, m=19 MiB). Verification reads the cost from each hash, so old hashes stay valid.
    password_hash_time_cost: int = Field(default=3, ge=1)
    password_hash_memory_cost: int = Field(default=65536, ge=8, description="KiB")
    password_hash_parallelism: int = Field(default=4, ge=1)

    @model_validator(mode="after")
    def _refuse_weak_settings_outside_demo(self) -> Settings:
        if self.environment != "demo" and self.secret_key == DEMO_SECRET:
            raise ValueError(
                "CHARGEPILE_SECRET_KEY must be set to a private value outside the demo "
                f"(CHARGEPILE_ENVIRONMENT={self.environment})"
            )
        if self.environment == "production" and (
            self.password_hash_time_cost < 2 or self.password_hash_memory_cost < 19456
        ):
            raise ValueError(
                "password hashing is too cheap for production: "
                "CHARGEPILE_PASSWORD_HASH_TIME_COST must be >= 2 and "
                "CHARGEPILE_PASSWORD_HASH_MEMORY_COST >= 19456 (KiB)"
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

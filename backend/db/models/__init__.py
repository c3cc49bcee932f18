"""The database tables, one module per domain area; import from here.

- :mod:`.accounts`: operators (tenants), their staff, drivers, refresh tokens, the audit log.
- :mod:`.network`: stations, chargers, connectors and tariffs.
- :mod:`.charging`: RFID cards, charging sessions, meter samples and faults.
- :mod:`.payments`: wallets and their ledger, payment intents, provider calls (outbox), webhooks.
- :mod:`.reporting`: derived daily rollups that keep reports fast.
"""

from backend.db.models.accounts import (
    AuditLog,
    Driver,
    Operator,
    RefreshToken,
    StaffRole,
    StaffUser,
)
from backend.db.models.charging import (
    CardStatus,
    ChargingSession,
    Fault,
    FaultSource,
    MeterSample,
    RfidCard,
    SessionStatus,
)
from backend.db.models.network import (
    Charger,
    Connector,
    ConnectorType,
    RecordStatus,
    Station,
    Tariff,
)
from backend.db.models.payments import (
    EntryKind,
    IdempotencyRecord,
    OperationStatus,
    PaymentCapture,
    PaymentIntent,
    PaymentMethod,
    PaymentOperation,
    PaymentPurpose,
    PaymentStatus,
    Wallet,
    WalletEntry,
    WebhookEvent,
)
from backend.db.models.reporting import ReportRollupState, SessionDailyRollup

__all__ = [
    "AuditLog",
    "CardStatus",
    "Charger",
    "ChargingSession",
    "Connector",
    "ConnectorType",
    "Driver",
    "EntryKind",
    "Fault",
    "FaultSource",
    "IdempotencyRecord",
    "MeterSample",
    "OperationStatus",
    "Operator",
    "PaymentCapture",
    "PaymentIntent",
    "PaymentMethod",
    "PaymentOperation",
    "PaymentPurpose",
    "PaymentStatus",
    "RecordStatus",
    "RefreshToken",
    "ReportRollupState",
    "RfidCard",
    "SessionDailyRollup",
    "SessionStatus",
    "StaffRole",
    "StaffUser",
    "Station",
    "Tariff",
    "Wallet",
    "WalletEntry",
    "WebhookEvent",
]

"""The database tables, one module per domain area; import from here.

- :mod:`.accounts`: operators (tenants), their staff, drivers, refresh tokens, the audit log.
- :mod:`.network`: stations, chargers, connectors and tariffs.
- :mod:`.charging`: RFID cards, charging sessions, meter samples and faults.
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

__all__ = [
    "AuditLog",
    "CardStatus",
    "Charger",
    "ChargingSession",
    "Connector",
    "ConnectorType",
    "Driver",
    "Fault",
    "FaultSource",
    "MeterSample",
    "Operator",
    "RecordStatus",
    "RefreshToken",
    "RfidCard",
    "SessionStatus",
    "StaffRole",
    "StaffUser",
    "Station",
    "Tariff",
]

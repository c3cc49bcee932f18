"""The physical network an operator runs: stations, chargers, connectors, and the tariffs
that price charging at them."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.db.base import Base, UTCDateTime, utcnow


class RecordStatus(enum.StrEnum):
    """Operator records are retired, never deleted: sessions and reports keep pointing at them."""

    ACTIVE = "active"
    RETIRED = "retired"


class ConnectorType(enum.StrEnum):
    """Plug standards seen in the field (China's GB/T first, then the rest of the world)."""

    GBT_DC = "GBT_DC"
    GBT_AC = "GBT_AC"
    CCS2 = "CCS2"
    CCS1 = "CCS1"
    TYPE2 = "TYPE2"
    CHADEMO = "CHADEMO"
    TYPE1 = "TYPE1"


class Tariff(Base):
    """A price list: per kWh, per minute, idle fee after a grace period, time-of-use bands.

    Prices are decimal major units (e.g. 1.2500 CNY per kWh); costs are computed in integer
    minor units by the tariff engine. ``bands`` is a list of time-of-use bands, each
    ``{"start": "HH:MM", "end": "HH:MM", "label": str, "energy_price": str, "time_price": str}``
    in the operator's local time; outside all bands the base prices apply.
    """

    __tablename__ = "tariffs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    currency: Mapped[str] = mapped_column(String(3))
    energy_price: Mapped[Decimal] = mapped_column(Numeric(10, 4))
    time_price: Mapped[Decimal] = mapped_column(Numeric(10, 4), default=Decimal("0"))
    idle_fee_per_minute: Mapped[Decimal] = mapped_column(Numeric(10, 4), default=Decimal("0"))
    idle_grace_minutes: Mapped[int] = mapped_column(Integer, default=10)
    tax_rate_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0"))
    bands: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    status: Mapped[RecordStatus] = mapped_column(String(10), default=RecordStatus.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Station(Base):
    """A site with one or more chargers, found by drivers on the map."""

    __tablename__ = "stations"
    __table_args__ = (Index("ix_stations_lat_lon", "latitude", "longitude"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(255))
    city: Mapped[str] = mapped_column(String(80), default="")
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    opening_hours: Mapped[str] = mapped_column(String(120), default="24/7")
    photos: Mapped[list[str]] = mapped_column(JSON, default=list)
    tariff_id: Mapped[int | None] = mapped_column(ForeignKey("tariffs.id"), default=None)
    status: Mapped[RecordStatus] = mapped_column(String(10), default=RecordStatus.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    chargers: Mapped[list[Charger]] = relationship(back_populates="station", lazy="raise")
    tariff: Mapped[Tariff | None] = relationship(lazy="raise")


class Charger(Base):
    """A charge point speaking OCPP 1.6J, identified by its chargePointId.

    ``ocpp_password_hash`` authenticates the charger's websocket (Security Profile 1). Charger
    passwords are random machine secrets, so a fast salted SHA-256 is used rather than argon2:
    a reconnect storm of thousands of chargers must not spend seconds of CPU each.
    """

    __tablename__ = "chargers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"), index=True)
    ocpp_id: Mapped[str] = mapped_column(String(48), unique=True)
    vendor: Mapped[str] = mapped_column(String(20), default="")
    model: Mapped[str] = mapped_column(String(20), default="")
    serial_number: Mapped[str | None] = mapped_column(String(25), default=None)
    firmware_version: Mapped[str | None] = mapped_column(String(50), default=None)
    ocpp_password_hash: Mapped[str] = mapped_column(String(160))
    boot_policy: Mapped[str] = mapped_column(String(10), default="Accepted")
    is_online: Mapped[bool] = mapped_column(default=False)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_boot_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    firmware_status: Mapped[str | None] = mapped_column(String(32), default=None)
    diagnostics_status: Mapped[str | None] = mapped_column(String(32), default=None)
    status: Mapped[RecordStatus] = mapped_column(String(10), default=RecordStatus.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    station: Mapped[Station] = relationship(back_populates="chargers", lazy="raise")
    connectors: Mapped[list[Connector]] = relationship(
        back_populates="charger", lazy="raise", order_by="Connector.connector_no"
    )


class Connector(Base):
    """One plug of a charger (OCPP connectorId ≥ 1) with its live OCPP status."""

    __tablename__ = "connectors"
    __table_args__ = (UniqueConstraint("charger_id", "connector_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    charger_id: Mapped[int] = mapped_column(ForeignKey("chargers.id"), index=True)
    connector_no: Mapped[int] = mapped_column(Integer)
    connector_type: Mapped[ConnectorType] = mapped_column(String(10))
    max_kw: Mapped[float] = mapped_column(Float)
    ocpp_status: Mapped[str] = mapped_column(String(16), default="Unavailable")
    error_code: Mapped[str] = mapped_column(String(32), default="NoError")
    status_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    status: Mapped[RecordStatus] = mapped_column(String(10), default=RecordStatus.ACTIVE)

    charger: Mapped[Charger] = relationship(back_populates="connectors", lazy="raise")

"""Who the simulated chargers are and how they behave.

:class:`ChargerSpec` describes one physical charger (its OCPP identity, Security-Profile-1
password, connectors and power); :class:`SimConfig` holds the knobs shared by the whole fleet
(meter interval, simulated-time speed-up, retry and reconnect back-off, random faults and
outages). Charger lists come from the demo seed, a JSON/CSV file (:func:`load_chargers`) or
are generated (:func:`generate_chargers`).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simulators.ocpp.errors import ChargersFileError


class ChargerSpec(BaseModel):
    """One charger of the fleet, as it would be configured at the factory."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    identity: str = Field(min_length=1, max_length=48, pattern=r"^[A-Za-z0-9._:\-]+$")
    """OCPP charge point identity: the last path segment of the websocket URL."""
    password: str | None = None
    """HTTP Basic password (Security Profile 1); ``None`` connects without credentials."""
    connectors: int = Field(default=2, ge=1, le=16)
    max_kw: float = Field(default=22.0, gt=0, le=400)
    """Maximum power of each connector."""
    phases: int = Field(default=3, ge=1, le=3)
    voltage: float = Field(default=230.0, gt=0)
    vendor: str = "Chargepile"
    model: str = "SIM-AC22"
    firmware: str = "sim-1.0.0"
    behaviour: str = "normal"
    """Name of a charge-point class in :data:`simulators.ocpp.misbehaving.BEHAVIOURS`."""


@dataclass(frozen=True, slots=True)
class EvSpec:
    """The vehicle that plugs in: battery size, charge level and how fast it can take power."""

    battery_kwh: float = 60.0
    soc_start: float = 0.35
    soc_target: float = 1.0
    max_kw: float = 11.0


@dataclass(slots=True)
class SimConfig:
    """Fleet-wide behaviour. Times are real seconds unless the name says ``sim``."""

    meter_interval_s: float = 10.0
    """Default MeterValueSampleInterval (the charger's own config key can change it)."""
    heartbeat_interval_s: float | None = None
    """Override the interval the central system gives in the BootNotification answer."""
    time_scale: float = 1.0
    """Simulated seconds per real second for the battery model (demo: 30 makes sessions short)."""
    response_timeout_s: float = 30.0
    open_timeout_s: float = 10.0
    ping_interval_s: float | None = 20.0
    transaction_message_attempts: int = 3
    transaction_message_retry_interval_s: float = 60.0
    reconnect_min_s: float = 1.0
    reconnect_max_s: float = 60.0
    reconnect_jitter_s: float = 1.0
    boot_retry_s: float = 10.0
    """Wait before re-sending a BootNotification answered Pending/Rejected with interval 0."""
    fault_rate_per_hour: float = 0.0
    """Random faults per connector per real hour (0 disables)."""
    fault_duration_s: float = 120.0
    offline_rate_per_hour: float = 0.0
    """Random connection outages per charger per real hour (0 disables)."""
    offline_duration_s: float = 60.0
    arrivals_per_hour: float = 0.0
    """Random drivers plugging in and swiping a tag per idle connector per hour (demo)."""
    arrival_id_tags: tuple[str, ...] = ()
    full_stop_delay_s: float = 5.0
    """How long a full vehicle sits in SuspendedEV before the session is stopped."""
    auto_unplug_after_s: float | None = 10.0
    """Finishing → unplugged (Available) after this long; ``None`` waits for ``unplug``."""
    ev: EvSpec = field(default_factory=EvSpec)
    ev_randomise: bool = True
    """Vary battery size and start charge per session around :attr:`ev`."""
    seed: int | None = None
    ca_file: str | None = None
    """CA certificate(s) to trust for ``wss://`` central systems (Security Profile 2)."""


def _from_manifest(row: object) -> object:
    """Accept the demo seed's manifest rows (``backend.services.seed``: ``ocpp_id``, ``password``,
    ``connectors`` as a list of plugs, plus descriptive fields) as charger specs."""
    if not isinstance(row, dict) or "ocpp_id" not in row:
        return row
    plugs = row.get("connectors") or []
    spec: dict[str, object] = {"identity": row["ocpp_id"], "password": row.get("password")}
    if isinstance(plugs, list) and plugs:
        spec["connectors"] = len(plugs)
        spec["max_kw"] = max(float(p.get("max_kw") or 22.0) for p in plugs)
    for key in ("vendor", "model"):
        value = row.get(key)
        if isinstance(value, str) and value:
            spec[key] = value[:20]
    if isinstance(row.get("behaviour"), str):
        spec["behaviour"] = row["behaviour"]
    return spec


class _ChargersFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    chargers: list[ChargerSpec]


def load_chargers(path: str | Path) -> list[ChargerSpec]:
    """Read charger specs from a JSON (a list, or ``{"chargers": [...]}``) or CSV file.

    JSON rows are :class:`ChargerSpec` fields, or the demo seed's manifest rows
    (``data/demo-chargers.json``: ``ocpp_id``, ``password``, ``connectors: [{max_kw ...}]``).

    CSV needs a header row naming :class:`ChargerSpec` fields (``identity,password,...``).

    Raises:
        ChargersFileError: unreadable file or a row that does not describe a charger.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ChargersFileError(f"cannot read chargers file {p}: {exc}") from exc
    try:
        if p.suffix.lower() == ".csv":
            rows = [
                {k: v for k, v in row.items() if v not in (None, "")}
                for row in csv.DictReader(text.splitlines())
            ]
            specs = [ChargerSpec.model_validate(row) for row in rows]
        else:
            data = json.loads(text)
            if isinstance(data, list):
                data = {"chargers": data}
            if isinstance(data, dict) and isinstance(data.get("chargers"), list):
                data["chargers"] = [_from_manifest(row) for row in data["chargers"]]
            specs = _ChargersFile.model_validate(data).chargers
    except (ValueError, ValidationError) as exc:
        raise ChargersFileError(f"{p}: {exc}") from exc
    identities = [s.identity for s in specs]
    if len(set(identities)) != len(identities):
        raise ChargersFileError(f"{p}: duplicate charger identities")
    return specs


def generate_chargers(
    stations: int,
    connectors: int = 2,
    *,
    prefix: str = "SIM",
    password: str | None = None,
    max_kw: float = 22.0,
) -> list[ChargerSpec]:
    """``stations`` chargers with ``connectors`` connectors each, named ``PREFIX-0001`` …"""
    return [
        ChargerSpec(
            identity=f"{prefix}-{i:04d}",
            password=password,
            connectors=connectors,
            max_kw=max_kw,
        )
        for i in range(1, stations + 1)
    ]


__all__ = ["ChargerSpec", "EvSpec", "SimConfig", "generate_chargers", "load_chargers"]

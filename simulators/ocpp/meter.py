"""OCPP 1.6 meter-value payloads as the simulated charger puts them on the wire."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from simulators.ocpp.records import MeterSample


def iso(ts: datetime) -> str:
    """OCPP timestamps: UTC, millisecond precision, ``Z`` suffix."""
    return ts.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def meter_value(sample: MeterSample, context: str) -> dict[str, Any]:
    """One ``meterValue`` element with the four measurands the platform reads: energy
    register (Wh), active power (W), current (A) and the car's state of charge (%)."""
    return {
        "timestamp": iso(sample.timestamp),
        "sampled_value": [
            {
                "value": str(sample.energy_wh),
                "context": context,
                "measurand": "Energy.Active.Import.Register",
                "unit": "Wh",
            },
            {
                "value": f"{sample.power_w:.1f}",
                "context": context,
                "measurand": "Power.Active.Import",
                "unit": "W",
            },
            {
                "value": f"{sample.current_a:.2f}",
                "context": context,
                "measurand": "Current.Import",
                "unit": "A",
            },
            {
                "value": f"{sample.soc_percent:.1f}",
                "context": context,
                "measurand": "SoC",
                "unit": "Percent",
                "location": "EV",
            },
        ],
    }


def register_reading(at: datetime, energy_wh: int, context: str) -> dict[str, Any]:
    """A ``meterValue`` with the energy register only (StopTransaction's transactionData)."""
    return {
        "timestamp": iso(at),
        "sampled_value": [
            {
                "value": str(energy_wh),
                "context": context,
                "measurand": "Energy.Active.Import.Register",
                "unit": "Wh",
            }
        ],
    }


__all__ = ["iso", "meter_value", "register_reading"]

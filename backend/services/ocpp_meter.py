"""OCPP 1.6 MeterValues → the figures we keep: energy, power, current, voltage, state of charge.

Chargers report measurands in different units (Wh/kWh, W/kW) and phases: a three-phase meter
without a total reports L1/L2/L3 only. Energy and power of such a meter are the sum of the
phases (CitrineOS #123 counted only unphased values and lost the energy); current and voltage
take the highest phase.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class ParsedSample:
    """The measurands we keep from one OCPP ``meterValue`` element."""

    at: datetime
    energy_wh: int | None
    power_w: float | None
    current_a: float | None
    voltage_v: float | None
    soc: int | None
    raw: list[dict[str, Any]]


_SCALE = {"Wh": 1.0, "kWh": 1000.0, "W": 1.0, "kW": 1000.0, "A": 1.0, "V": 1.0, "Percent": 1.0}
_ENERGY = "Energy.Active.Import.Register"
# measurand → how a meter's phases combine when it reports no unphased total: energy and
# power of a three-phase meter are the sum of the phases (CitrineOS #123 counted only unphased
# values and lost the energy); current, voltage and SoC take the highest.
_KEPT = {
    _ENERGY: True,
    "Power.Active.Import": True,
    "Current.Import": False,
    "Voltage": False,
    "SoC": False,
}


def _readings(sampled: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """One value per kept measurand: the (last) unphased reading, else the phases combined.

    One pass over the sampled values (this runs for every sample the central system stores).
    """
    unphased: dict[str, float] = {}
    phases: dict[str, list[float]] = {}
    for sv in sampled:
        measurand = sv.get("measurand", _ENERGY)
        if measurand not in _KEPT:
            continue
        try:
            value = float(sv["value"]) * _SCALE.get(str(sv.get("unit") or ""), 1.0)
        except (KeyError, TypeError, ValueError):
            continue
        if sv.get("phase") is None:
            unphased[measurand] = value
        else:
            phases.setdefault(measurand, []).append(value)
    for measurand, values in phases.items():
        if measurand not in unphased:
            unphased[measurand] = sum(values) if _KEPT[measurand] else max(values)
    return unphased


def parse_meter_value(element: Mapping[str, Any], fallback: datetime) -> ParsedSample:
    """One ``meterValue`` element, as on the wire (``sampledValue``) or snake_cased by the
    ``ocpp`` library (``sampled_value``); the keys inside a sampled value are one word either
    way, so ``raw`` is stored the same."""
    sampled: list[dict[str, Any]] = list(
        element.get("sampledValue") or element.get("sampled_value") or []
    )
    found = _readings(sampled)
    energy = found.get(_ENERGY)
    soc = found.get("SoC")
    return ParsedSample(
        at=parse_time(element.get("timestamp")) or fallback,
        energy_wh=round(energy) if energy is not None else None,
        power_w=found.get("Power.Active.Import"),
        current_a=found.get("Current.Import"),
        voltage_v=found.get("Voltage"),
        soc=round(soc) if soc is not None else None,
        raw=sampled,
    )


def parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


__all__ = ["ParsedSample", "parse_meter_value", "parse_time"]

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


def _reading(sampled: Sequence[Mapping[str, Any]], measurand: str, *, combine: str) -> float | None:
    """One value for ``measurand``: the unphased reading, else the phases summed or maxed."""
    unphased: float | None = None
    phases: list[float] = []
    for sv in sampled:
        if sv.get("measurand", "Energy.Active.Import.Register") != measurand:
            continue
        try:
            value = float(sv["value"]) * _SCALE.get(str(sv.get("unit") or ""), 1.0)
        except (KeyError, TypeError, ValueError):
            continue
        if sv.get("phase") is None:
            unphased = value
        else:
            phases.append(value)
    if unphased is not None:
        return unphased
    if not phases:
        return None
    # Energy and power of a three-phase meter without a total are the sum of the phases
    # (CitrineOS #123 counted only unphased values and lost the energy).
    return sum(phases) if combine == "sum" else max(phases)


def parse_meter_value(element: Mapping[str, Any], fallback: datetime) -> ParsedSample:
    """One ``meterValue`` element, as on the wire (``sampledValue``) or snake_cased by the
    ``ocpp`` library (``sampled_value``); the keys inside a sampled value are one word either
    way, so ``raw`` is stored the same."""
    sampled: list[dict[str, Any]] = list(
        element.get("sampledValue") or element.get("sampled_value") or []
    )
    energy = _reading(sampled, "Energy.Active.Import.Register", combine="sum")
    power = _reading(sampled, "Power.Active.Import", combine="sum")
    current = _reading(sampled, "Current.Import", combine="max")
    voltage = _reading(sampled, "Voltage", combine="max")
    soc = _reading(sampled, "SoC", combine="max")
    return ParsedSample(
        at=parse_time(element.get("timestamp")) or fallback,
        energy_wh=round(energy) if energy is not None else None,
        power_w=power,
        current_a=current,
        voltage_v=voltage,
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

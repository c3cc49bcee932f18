"""The electrical side of a simulated session: battery, taper curve and smart-charging limits.

A charger never delivers more than the smallest of three ceilings: its own connector rating,
what the vehicle accepts (full power up to 80 % state of charge, then tapering linearly to a
trickle at the target), and the limit of the active OCPP charging profiles. Profiles follow
OCPP 1.6 §3.13: per purpose the highest stack level wins, TxProfile overrides TxDefaultProfile,
and ChargePointMaxProfile caps the result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from simulators.ocpp.config import EvSpec

TAPER_FROM_SOC = 0.8
TRICKLE_FRACTION = 0.05


@dataclass(slots=True)
class Battery:
    """A vehicle battery being charged."""

    capacity_wh: float
    soc: float
    target_soc: float
    max_w: float

    @classmethod
    def from_spec(cls, ev: EvSpec) -> Battery:
        return cls(
            capacity_wh=ev.battery_kwh * 1000.0,
            soc=ev.soc_start,
            target_soc=ev.soc_target,
            max_w=ev.max_kw * 1000.0,
        )

    @property
    def full(self) -> bool:
        return self.soc >= self.target_soc - 1e-9

    def acceptance_w(self) -> float:
        """Power the vehicle accepts now: flat up to 80 %, then a linear taper to a trickle."""
        if self.full:
            return 0.0
        if self.soc < TAPER_FROM_SOC:
            return self.max_w
        span = max(self.target_soc - TAPER_FROM_SOC, 1e-6)
        remaining = max(self.target_soc - self.soc, 0.0) / span
        return self.max_w * max(remaining, TRICKLE_FRACTION)

    def charge(self, power_w: float, sim_seconds: float) -> float:
        """Put ``power_w`` in for ``sim_seconds``; return the Wh actually stored."""
        wanted = power_w * sim_seconds / 3600.0
        room = max(self.target_soc - self.soc, 0.0) * self.capacity_wh
        stored = min(wanted, room)
        self.soc = min(self.target_soc, self.soc + stored / self.capacity_wh)
        return stored


PURPOSE_MAX = "ChargePointMaxProfile"
PURPOSE_DEFAULT = "TxDefaultProfile"
PURPOSE_TX = "TxProfile"


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


@dataclass(slots=True)
class InstalledProfile:
    connector_id: int
    profile: Mapping[str, Any]
    """The csChargingProfiles object as the ocpp library hands it over (snake_case keys)."""
    installed_at: datetime

    @property
    def id(self) -> int:
        return int(self.profile.get("charging_profile_id", 0))

    @property
    def purpose(self) -> str:
        return str(self.profile.get("charging_profile_purpose", ""))

    @property
    def stack_level(self) -> int:
        return int(self.profile.get("stack_level", 0))

    def limit_w(
        self, now: datetime, tx_started: datetime | None, voltage: float, phases: int
    ) -> float | None:
        """The limit this profile imposes at ``now`` in watts, or ``None`` if it is inactive."""
        p = self.profile
        valid_from, valid_to = _parse_time(p.get("valid_from")), _parse_time(p.get("valid_to"))
        if (valid_from and now < valid_from) or (valid_to and now >= valid_to):
            return None
        schedule = p.get("charging_schedule") or {}
        kind = p.get("charging_profile_kind", "Absolute")
        start = _parse_time(schedule.get("start_schedule"))
        if kind == "Relative":
            start = tx_started or self.installed_at
        start = start or self.installed_at
        elapsed = (now - start).total_seconds()
        if kind == "Recurring":
            period = 86400.0 if p.get("recurrency_kind") == "Daily" else 7 * 86400.0
            elapsed %= period
        duration = schedule.get("duration")
        if elapsed < 0 or (duration is not None and elapsed >= float(duration)):
            return None
        periods = sorted(
            schedule.get("charging_schedule_period") or [],
            key=lambda item: float(item.get("start_period", 0)),
        )
        current: Mapping[str, Any] | None = None
        for item in periods:
            if float(item.get("start_period", 0)) <= elapsed:
                current = item
        if current is None:
            return None
        limit = float(current.get("limit", 0))
        if schedule.get("charging_rate_unit") == "A":
            limit *= voltage * int(current.get("number_phases") or phases)
        return limit


class ProfileStore:
    """The charging profiles installed on one charger."""

    def __init__(self) -> None:
        self._profiles: list[InstalledProfile] = []

    def __len__(self) -> int:
        return len(self._profiles)

    def install(self, connector_id: int, profile: Mapping[str, Any], now: datetime) -> None:
        new = InstalledProfile(connector_id, dict(profile), now)
        # A profile replaces one with the same id, or the same purpose and stack level on
        # the same connector (OCPP 1.6 §5.16.2).
        self._profiles = [
            old
            for old in self._profiles
            if old.id != new.id
            and not (
                old.connector_id == connector_id
                and old.purpose == new.purpose
                and old.stack_level == new.stack_level
            )
        ]
        self._profiles.append(new)

    def clear(
        self,
        *,
        profile_id: int | None = None,
        connector_id: int | None = None,
        purpose: str | None = None,
        stack_level: int | None = None,
    ) -> bool:
        """Remove matching profiles (all criteria given must match); True if any went."""

        def matches(p: InstalledProfile) -> bool:
            if profile_id is not None:
                return p.id == profile_id
            return (
                (connector_id is None or p.connector_id == connector_id)
                and (purpose is None or p.purpose == purpose)
                and (stack_level is None or p.stack_level == stack_level)
            )

        kept = [p for p in self._profiles if not matches(p)]
        removed = len(kept) != len(self._profiles)
        self._profiles = kept
        return removed

    def drop_tx_profiles(self, connector_id: int) -> None:
        """TxProfiles end with their transaction."""
        self._profiles = [
            p
            for p in self._profiles
            if not (p.purpose == PURPOSE_TX and p.connector_id == connector_id)
        ]

    def limit_w(
        self,
        connector_id: int,
        now: datetime,
        tx_started: datetime | None,
        voltage: float,
        phases: int,
    ) -> float | None:
        """Effective limit for a connector in watts (``None``: no profile applies)."""

        def best(purpose: str, connectors: tuple[int, ...]) -> float | None:
            for cid in connectors:  # a connector-specific profile beats one on connector 0
                candidates = sorted(
                    (p for p in self._profiles if p.purpose == purpose and p.connector_id == cid),
                    key=lambda p: p.stack_level,
                    reverse=True,
                )
                for candidate in candidates:
                    limit = candidate.limit_w(now, tx_started, voltage, phases)
                    if limit is not None:
                        return limit
            return None

        tx_limit = best(PURPOSE_TX, (connector_id,)) if tx_started is not None else None
        if tx_limit is None:
            tx_limit = best(PURPOSE_DEFAULT, (connector_id, 0))
        cap = best(PURPOSE_MAX, (0,))
        limits = [x for x in (tx_limit, cap) if x is not None]
        return min(limits) if limits else None


def connector_power_w(
    *,
    rating_w: float,
    battery: Battery,
    profile_limit_w: float | None,
) -> float:
    """What flows into the car: the smallest of connector rating, car acceptance and profile."""
    ceiling = min(rating_w, battery.acceptance_w())
    if profile_limit_w is not None:
        ceiling = min(ceiling, max(profile_limit_w, 0.0))
    return max(ceiling, 0.0)


__all__ = ["Battery", "InstalledProfile", "ProfileStore", "connector_power_w"]

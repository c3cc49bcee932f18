"""MeterValues as different chargers send them become the same energy/power figures."""

from __future__ import annotations

from datetime import UTC, datetime

from backend.services.ocpp_meter import parse_meter_value

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_unphased_kwh_register_is_converted_to_wh() -> None:
    sample = parse_meter_value(
        {
            "timestamp": "2026-05-01T10:00:00Z",
            "sampled_value": [
                {"value": "12.5", "measurand": "Energy.Active.Import.Register", "unit": "kWh"},
                {"value": "7.2", "measurand": "Power.Active.Import", "unit": "kW"},
                {"value": "55", "measurand": "SoC", "unit": "Percent"},
            ],
        },
        NOW,
    )
    assert sample.energy_wh == 12500 and sample.power_w == 7200.0 and sample.soc == 55
    assert sample.at == datetime(2026, 5, 1, 10, tzinfo=UTC)


def test_phase_only_meter_sums_energy_and_power_and_takes_max_current() -> None:
    sampled = [
        {"value": v, "measurand": m, "phase": p, "unit": u}
        for m, u, values in (
            ("Energy.Active.Import.Register", "Wh", ("1000", "1100", "900")),
            ("Power.Active.Import", "W", ("3600", "3500", "3700")),
            ("Current.Import", "A", ("15.6", "15.2", "16.1")),
        )
        for p, v in zip(("L1", "L2", "L3"), values, strict=True)
    ]
    sample = parse_meter_value({"timestamp": "bad", "sampled_value": sampled}, NOW)
    assert sample.energy_wh == 3000 and sample.power_w == 10800.0
    assert sample.current_a == 16.1
    assert sample.at == NOW  # unreadable timestamp: the time it arrived


def test_value_without_measurand_is_the_energy_register() -> None:
    sample = parse_meter_value(
        {"timestamp": "2026-05-01T10:00:00+08:00", "sampled_value": [{"value": "42"}]}, NOW
    )
    assert sample.energy_wh == 42 and sample.power_w is None

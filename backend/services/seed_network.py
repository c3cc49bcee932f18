"""The demo network as data: stations around Shanghai (and one in Suzhou for the second
operator), the charger models installed there, tariffs and demo drivers.

Kept apart from :mod:`backend.services.seed` so the story can be edited without touching the
insert logic. Addresses and coordinates are real places; the operators are fictional.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ChargerKind:
    """A charger model: its plugs as (connector type, max kW, sessions/day on a weekday)."""

    vendor: str
    model: str
    firmware: str
    plugs: tuple[tuple[str, float, float], ...]


KINDS: dict[str, ChargerKind] = {
    "dc120": ChargerKind("StarCharge", "DCFC-120-2G", "3.2.7", (("GBT_DC", 120.0, 5.0),) * 2),
    "dc60": ChargerKind("TELD", "TE-DC60", "V2.18.4", (("GBT_DC", 60.0, 4.0),)),
    "dc_ccs": ChargerKind(
        "XJ Electric", "XJ-DC90-CCS", "1.9.3", (("GBT_DC", 90.0, 4.0), ("CCS2", 90.0, 1.2))
    ),
    "ac7": ChargerKind("Kstar", "AC7-G1", "2.4.1", (("GBT_AC", 7.0, 1.5),)),
}


@dataclass(frozen=True)
class StationSpec:
    code: str
    name: str
    address: str
    city: str
    latitude: float
    longitude: float
    opening_hours: str
    tariff: str
    chargers: tuple[str, ...]
    popularity: float
    weekend_factor: float
    age_days: int  # how long ago the station opened


DEMO_STATIONS: tuple[StationSpec, ...] = (
    StationSpec(
        "LJZ", "Lujiazui Finance Plaza P2", "88 Century Avenue, Pudong New Area", "Shanghai",
        31.2397, 121.5036, "24/7", "dc",
        ("dc120",) * 3 + ("dc_ccs",) * 2 + ("dc60",) * 2 + ("ac7",), 1.0, 0.6, 400,
    ),
    StationSpec(
        "HQH", "Hongqiao Transport Hub P9", "1500 Shenhong Road, Minhang District", "Shanghai",
        31.1945, 121.3200, "24/7", "dc",
        ("dc120",) * 4 + ("dc60",) * 2 + ("dc_ccs",) * 2, 1.2, 1.1, 400,
    ),
    StationSpec(
        "XJH", "Xujiahui Grand Gateway B2", "1 Hongqiao Road, Xuhui District", "Shanghai",
        31.1955, 121.4365, "07:00-23:00", "dc",
        ("dc60",) * 2 + ("ac7",) * 4, 0.9, 1.3, 400,
    ),
    StationSpec(
        "ZJP", "Zhangjiang Hi-Tech Park East", "2000 Zhangjiang Road, Pudong New Area",
        "Shanghai", 31.2035, 121.5907, "24/7", "dc",
        ("dc120",) * 2 + ("dc60",) * 2 + ("ac7",) * 2, 0.8, 0.55, 400,
    ),
    StationSpec(
        "JAT", "Jing'an Temple Parking", "1686 Nanjing West Road, Jing'an District", "Shanghai",
        31.2235, 121.4460, "06:00-24:00", "ac",
        ("ac7",) * 4, 0.9, 1.3, 400,
    ),
    StationSpec(
        "ATC", "Anting Auto City Hub", "888 Moyu Road, Jiading District", "Shanghai",
        31.2903, 121.1610, "24/7", "dc",
        ("dc120",) * 4 + ("dc_ccs",) * 2 + ("ac7",) * 2, 0.7, 1.2, 60,
    ),
)  # fmt: skip

OTHER_STATIONS: tuple[StationSpec, ...] = (
    StationSpec(
        "JJL", "Jinji Lake Riverside P1", "9 Xinggang Street, Suzhou Industrial Park", "Suzhou",
        31.3178, 120.6714, "24/7", "std",
        ("dc120", "dc60", "ac7"), 0.8, 1.0, 200,
    ),
)  # fmt: skip

# China-style time-of-use: peak 08:00-11:00 and 18:00-21:00, valley 23:00-07:00, flat
# otherwise (the base price). Energy price = electricity + service fee per kWh; the AC tariff
# charges its service fee per minute instead.
_DC_BANDS: list[dict[str, Any]] = [
    {"start": "08:00", "end": "11:00", "label": "peak", "energy_price": "1.9500", "time_price": "0.0000"},
    {"start": "18:00", "end": "21:00", "label": "peak", "energy_price": "1.9500", "time_price": "0.0000"},
    {"start": "23:00", "end": "07:00", "label": "valley", "energy_price": "1.0500", "time_price": "0.0000"},
]  # fmt: skip
_AC_BANDS: list[dict[str, Any]] = [
    {"start": "08:00", "end": "11:00", "label": "peak", "energy_price": "1.1000", "time_price": "0.0300"},
    {"start": "18:00", "end": "21:00", "label": "peak", "energy_price": "1.1000", "time_price": "0.0300"},
    {"start": "23:00", "end": "07:00", "label": "valley", "energy_price": "0.3200", "time_price": "0.0300"},
]  # fmt: skip

TARIFFS: dict[str, dict[str, dict[str, Any]]] = {
    "demo-charging-co": {
        "dc": {
            "name": "Shanghai DC fast (time-of-use)",
            "currency": "CNY",
            "energy_price": "1.5500",
            "time_price": "0.0000",
            "idle_fee_per_minute": "0.5000",
            "idle_grace_minutes": 20,
            "bands": _DC_BANDS,
        },
        "ac": {
            "name": "Destination AC (time-of-use, service fee per minute)",
            "currency": "CNY",
            "energy_price": "0.7000",
            "time_price": "0.0300",
            "idle_fee_per_minute": "0.2000",
            "idle_grace_minutes": 60,
            "bands": _AC_BANDS,
        },
    },
    "riverside-ev": {
        "std": {
            "name": "Suzhou standard",
            "currency": "CNY",
            "energy_price": "1.4000",
            "time_price": "0.0000",
            "idle_fee_per_minute": "0.3000",
            "idle_grace_minutes": 30,
            "bands": [],
        },
    },
}


@dataclass(frozen=True)
class DemoDriver:
    email: str
    name: str
    phone: str
    locale: str
    card_uid: str


DRIVERS: tuple[DemoDriver, ...] = (
    DemoDriver("driver@demo.chargepile", "Li Wei", "+8613800138001", "zh", "04A1B2C3D4E5F6"),
    DemoDriver("wang.fang@demo.chargepile", "Wang Fang", "+8613900139002", "zh", "04B7C8D9E0F112"),
    DemoDriver("zhang.min@demo.chargepile", "Zhang Min", "+8613700137003", "zh", "04C3D4E5F60718"),
    DemoDriver("chen.jie@demo.chargepile", "Chen Jie", "+8618600186004", "zh", "04D9E0F1122334"),
    DemoDriver("liu.yang@demo.chargepile", "Liu Yang", "+8615000150005", "zh", "04E5F607182930"),
    DemoDriver(
        "emma.schmidt@demo.chargepile", "Emma Schmidt", "+8613600136006", "en", "04F1122334455A"
    ),
)

"""OCPP 1.6J charging-station simulator fleet.

A fleet of simulated charge points (N chargers × M connectors) that connect to any OCPP 1.6J
central system over websockets with HTTP Basic auth, boot, report status, send heartbeats, run
realistic charging sessions (tapering power curve, periodic meter values, smart-charging
limits), fault, go offline and replay their transaction messages — plus misbehaving variants
for failure tests and a control API (:class:`Fleet` in-process, HTTP on loopback).

Entry points: :func:`run_fleet` (``chargepile sim stations``, ``python -m simulators.ocpp``)
and :class:`Fleet`.
"""

from simulators.ocpp.charge_point import DATA_TRANSFER_VENDOR, SimChargePoint
from simulators.ocpp.config import ChargerSpec, EvSpec, SimConfig, generate_chargers, load_chargers
from simulators.ocpp.control import ControlServer, build_control_app
from simulators.ocpp.errors import (
    ChargersFileError,
    InvalidState,
    NotConnected,
    SimulatorError,
    UnknownCharger,
    UnknownConnector,
)
from simulators.ocpp.fleet import Fleet, run_fleet
from simulators.ocpp.misbehaving import (
    BEHAVIOURS,
    DroppingChargePoint,
    DuplicatingChargePoint,
    RejectingChargePoint,
    SlowChargePoint,
)
from simulators.ocpp.records import MeterSample, SessionRecord
from simulators.ocpp.station import Station

__all__ = [
    "BEHAVIOURS",
    "DATA_TRANSFER_VENDOR",
    "ChargerSpec",
    "ChargersFileError",
    "ControlServer",
    "DroppingChargePoint",
    "DuplicatingChargePoint",
    "EvSpec",
    "Fleet",
    "InvalidState",
    "MeterSample",
    "NotConnected",
    "RejectingChargePoint",
    "SessionRecord",
    "SimChargePoint",
    "SimConfig",
    "SimulatorError",
    "SlowChargePoint",
    "Station",
    "UnknownCharger",
    "UnknownConnector",
    "build_control_app",
    "generate_chargers",
    "load_chargers",
    "run_fleet",
]

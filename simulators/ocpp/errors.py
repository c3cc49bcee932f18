"""The simulator's exception tree.

Every error the fleet's control surface (``Fleet`` methods, the HTTP control server) can raise
derives from :class:`SimulatorError`, so callers — tests, the demo, the CLI — catch one type::

    SimulatorError
    ├── UnknownCharger        no charger with that identity in the fleet
    ├── UnknownConnector      the charger has no connector with that id
    ├── InvalidState          the action makes no sense in the connector's current state
    ├── NotConnected          the charger has no open connection to the central system
    └── ChargersFileError     a chargers JSON/CSV file could not be read or is malformed
"""

from __future__ import annotations


class SimulatorError(Exception):
    """Base class of every simulator error."""


class UnknownCharger(SimulatorError):
    """No charger with the given identity belongs to the fleet."""


class UnknownConnector(SimulatorError):
    """The charger exists but has no connector with the given id."""


class InvalidState(SimulatorError):
    """The requested action is not possible in the connector's current state."""


class NotConnected(SimulatorError):
    """The charger is offline (no websocket to the central system) right now."""


class ChargersFileError(SimulatorError):
    """A chargers file (JSON or CSV) is missing, unreadable or malformed."""


__all__ = [
    "ChargersFileError",
    "InvalidState",
    "NotConnected",
    "SimulatorError",
    "UnknownCharger",
    "UnknownConnector",
]

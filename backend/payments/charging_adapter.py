"""The app's :class:`~backend.payments.charging_port.ChargingPort`: the OCPP central system's
remote start/stop service (:mod:`backend.services.charging`).

Imported lazily so payments load (and their tests run) whether or not the charging layer is
present in this build.
"""

from __future__ import annotations

import importlib

from backend.payments.charging_port import ChargingPort


def default_charging_port() -> ChargingPort | None:
    """The OCPP-backed port, or None when this build has no remote start service."""
    try:
        module = importlib.import_module("backend.services.charging")
    except ImportError:
        return None
    factory = getattr(module, "payments_charging_port", None)
    if factory is None:
        return None
    port: ChargingPort = factory()
    return port

"""Simulated home charger (issue 8): a charger model behind a sans-IO protocol core, exposed
as a real BLE GATT peripheral on Google's Bumble stack.

Entry points: ``HomeSimulator.start(link)`` in-process, ``run_home_simulator(...)`` as its own
process (``chargepile sim home`` / ``python -m simulators.home``).
"""

from simulators.home.core import ChargerCore
from simulators.home.keystore import ChargerIdentity, KeyStore
from simulators.home.model import ChargerModel, VirtualClock
from simulators.home.runner import HomeSimulator, HomeSimulatorConfig, run_home_simulator

__all__ = [
    "ChargerCore",
    "ChargerIdentity",
    "ChargerModel",
    "HomeSimulator",
    "HomeSimulatorConfig",
    "KeyStore",
    "VirtualClock",
    "run_home_simulator",
]

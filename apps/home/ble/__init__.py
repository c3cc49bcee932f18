"""BLE link layer of the home app: the only place on the app side that imports bleak/bumble.

* ``HomeChargerLink`` (link.py): the interface views and state use
* ``BleakHomeChargerLink`` (bleak_link.py): its implementation over bleak
* ``BumbleRadio`` / ``BumbleScanner`` / ``BumbleClient`` (bumble_backend.py): bleak backend on
  Bumble's virtual controllers, for tests and ``make demo``
* ``AppKeyStorage`` and implementations (keys.py): where the app's private key lives
* errors.py: the exception tree

bleak cannot run inside a Flet phone build; a phone transport would implement
``HomeChargerLink`` next to ``BleakHomeChargerLink`` without touching the views.
"""

from apps.home.ble.bleak_link import BleakHomeChargerLink
from apps.home.ble.errors import (
    ChargerNotFound,
    ChargerRefused,
    CommandTimeout,
    EnrollmentError,
    HomeLinkError,
    IdentityMismatch,
    LinkClosedError,
    NotConnectedError,
)
from apps.home.ble.keys import (
    AppKeyStorage,
    KeyringKeyStorage,
    MemoryKeyStorage,
    load_or_create_app_key,
)
from apps.home.ble.link import (
    ChargerPairing,
    DiscoveredCharger,
    HomeChargerLink,
    LinkEvent,
    LinkState,
    LinkStateChanged,
    StatusChanged,
)

__all__ = [
    "AppKeyStorage",
    "BleakHomeChargerLink",
    "ChargerNotFound",
    "ChargerPairing",
    "ChargerRefused",
    "CommandTimeout",
    "DiscoveredCharger",
    "EnrollmentError",
    "HomeChargerLink",
    "HomeLinkError",
    "IdentityMismatch",
    "KeyringKeyStorage",
    "LinkClosedError",
    "LinkEvent",
    "LinkState",
    "LinkStateChanged",
    "MemoryKeyStorage",
    "NotConnectedError",
    "StatusChanged",
    "load_or_create_app_key",
]

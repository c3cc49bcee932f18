"""Exception tree of the home app above its BLE layer (what the state layer raises itself)::

HomeAppError            anything apps.home raises outside apps.home.ble
├── StorageError        the device's secure storage / keychain could not be read or written
└── QrDecodeError       a picture held no readable chargepile label QR code

Link errors (``apps.home.ble.errors.HomeLinkError`` and subclasses) are not wrapped: the state
layer turns both trees into one translated sentence (``apps.home.state.errors``).
"""

from __future__ import annotations

__all__ = ["HomeAppError", "QrDecodeError", "StorageError"]


class HomeAppError(Exception):
    """Base of the errors the home app's own layers raise."""


class StorageError(HomeAppError):
    """Secure storage (Flet SecureStorage on phones/web, keyring on desktop) failed."""


class QrDecodeError(HomeAppError):
    """No QR code could be read from the picture (blurred, cropped, or not a label)."""

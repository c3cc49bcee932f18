"""Exception tree of the home app's BLE link (what views catch and show)::

HomeLinkError                 anything the link raises
├── LinkClosedError           the link object was closed
├── NotConnectedError         no secure session could be established in time
├── ChargerNotFound           the charger is not advertising nearby
├── CommandTimeout            no answer within the command's timeout (it was not
│                             acknowledged; a later retry with the same request id is safe)
├── ChargerRefused            the charger said no; ``.reason`` is a ReasonCode
│   └── EnrollmentError       enrolment refused (window closed, wrong secret, store full)
└── IdentityMismatch          charger key differs from the label fingerprint / stored key
"""

from __future__ import annotations

from home_protocol.reasons import ReasonCode

__all__ = [
    "ChargerNotFound",
    "ChargerRefused",
    "CommandTimeout",
    "EnrollmentError",
    "HomeLinkError",
    "IdentityMismatch",
    "LinkClosedError",
    "NotConnectedError",
]


class HomeLinkError(Exception):
    """Base of every error raised by apps.home.ble."""


class LinkClosedError(HomeLinkError):
    """The link was closed with close(); create a new one."""


class NotConnectedError(HomeLinkError):
    """No secure session with the charger could be established within the timeout.

    ``reason`` is set when the charger itself refused the session (UNKNOWN_KEY: this phone
    was removed; KEY_PENDING: the owner has not approved it yet).
    """

    def __init__(self, message: str, reason: ReasonCode | None = None) -> None:
        super().__init__(message)
        self.reason = reason


class ChargerNotFound(HomeLinkError):
    """The charger was not seen advertising within the scan timeout."""


class CommandTimeout(HomeLinkError):
    """The command got no answer in time."""


class ChargerRefused(HomeLinkError):
    """The charger refused the request; ``reason`` says why."""

    def __init__(self, reason: ReasonCode, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason.name}: {detail}" if detail else reason.name)


class EnrollmentError(ChargerRefused):
    """Enrolment was refused (PAIRING_WINDOW_CLOSED, BAD_PROOF, KEY_STORE_FULL, ...)."""


class IdentityMismatch(HomeLinkError):
    """The charger's public key is not the one on its label or stored at enrolment."""

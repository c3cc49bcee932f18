"""Connector statuses and how they look, in one table every app and screen shares.

Why: "Faulted" must be the same red with the same icon on the operator's fault feed, the driver's
station page and a printed report, and a colour-blind user needs the icon and the word as well as
the colour. The values are OCPP 1.6 ``ChargePointStatus`` strings plus ``Offline``, which OCPP has
no word for (the charger's websocket is gone, so its last reported status is stale).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import flet as ft

__all__ = ["STATUS_STYLES", "ConnectorStatus", "StatusStyle"]


class ConnectorStatus(StrEnum):
    """What a connector is doing, as the driver and the operator understand it."""

    AVAILABLE = "Available"
    PREPARING = "Preparing"
    CHARGING = "Charging"
    SUSPENDED_EV = "SuspendedEV"
    SUSPENDED_EVSE = "SuspendedEVSE"
    FINISHING = "Finishing"
    RESERVED = "Reserved"
    FAULTED = "Faulted"
    UNAVAILABLE = "Unavailable"
    OFFLINE = "Offline"

    @classmethod
    def from_wire(cls, value: str | None, *, online: bool = True) -> ConnectorStatus:
        """Map a backend/OCPP status string; a charger that is not connected is ``OFFLINE``.

        Unknown strings (a newer OCPP version, a typo in a simulator) show as ``UNAVAILABLE``
        rather than crashing a list of a thousand chargers.
        """
        if not online:
            return cls.OFFLINE
        try:
            return cls(value or "")
        except ValueError:
            return cls.UNAVAILABLE

    @property
    def label_key(self) -> str:
        """The translation key of the status's name (``"status.Faulted"``)."""
        return f"status.{self.value}"

    @property
    def is_busy(self) -> bool:
        """A session occupies the connector (a driver cannot start here now)."""
        return self in _BUSY

    @property
    def is_problem(self) -> bool:
        """The operator should look at it."""
        return self in (ConnectorStatus.FAULTED, ConnectorStatus.OFFLINE)


_BUSY = frozenset(
    {
        ConnectorStatus.PREPARING,
        ConnectorStatus.CHARGING,
        ConnectorStatus.SUSPENDED_EV,
        ConnectorStatus.SUSPENDED_EVSE,
        ConnectorStatus.FINISHING,
    }
)


@dataclass(frozen=True, slots=True)
class StatusStyle:
    """How a status is drawn: a filled badge ``color`` with ``on_color`` text and an ``icon``.

    The colours are Material 700 shades chosen so white text passes WCAG AA on each, in light and
    dark themes alike.
    """

    color: str
    on_color: str
    icon: ft.IconData


STATUS_STYLES: dict[ConnectorStatus, StatusStyle] = {
    ConnectorStatus.AVAILABLE: StatusStyle(
        ft.Colors.GREEN_700, ft.Colors.WHITE, ft.Icons.EV_STATION
    ),
    ConnectorStatus.PREPARING: StatusStyle(ft.Colors.BLUE_700, ft.Colors.WHITE, ft.Icons.POWER),
    ConnectorStatus.CHARGING: StatusStyle(ft.Colors.TEAL_700, ft.Colors.WHITE, ft.Icons.BOLT),
    ConnectorStatus.SUSPENDED_EV: StatusStyle(
        ft.Colors.AMBER_900, ft.Colors.WHITE, ft.Icons.PAUSE_CIRCLE
    ),
    ConnectorStatus.SUSPENDED_EVSE: StatusStyle(
        ft.Colors.ORANGE_900, ft.Colors.WHITE, ft.Icons.PAUSE_CIRCLE_OUTLINE
    ),
    ConnectorStatus.FINISHING: StatusStyle(
        ft.Colors.INDIGO_700, ft.Colors.WHITE, ft.Icons.DONE_ALL
    ),
    ConnectorStatus.RESERVED: StatusStyle(ft.Colors.PURPLE_700, ft.Colors.WHITE, ft.Icons.BOOKMARK),
    ConnectorStatus.FAULTED: StatusStyle(ft.Colors.RED_700, ft.Colors.WHITE, ft.Icons.ERROR),
    ConnectorStatus.UNAVAILABLE: StatusStyle(ft.Colors.GREY_700, ft.Colors.WHITE, ft.Icons.BLOCK),
    ConnectorStatus.OFFLINE: StatusStyle(
        ft.Colors.BLUE_GREY_900, ft.Colors.WHITE, ft.Icons.CLOUD_OFF
    ),
}
"""Style per status; a test checks every status has one and that no two share a colour."""

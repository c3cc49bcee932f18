"""Charger codes: the QR deep link, the app route, and the code printed under the QR.

The operator app prints labels whose QR holds ``<public driver URL>/c/<chargePointId>/<n>`` and
whose caption reads ``<chargePointId> · <n>``. Opening the URL in a browser serves this app at
route ``/c/<chargePointId>/<n>``; scanning it in the app, or typing the caption, leads to the
same charger screen. Anything else (another network's QR, an EVSE id, a web page) is refused
with a reason the driver can act on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from apps.user_mobile.state.errors import CodeNotRecognised

__all__ = ["ChargerRef", "deep_link", "parse_code", "parse_route"]

_OCPP_ID = r"[A-Za-z0-9._\-:]{1,48}"
_ROUTE = re.compile(rf"^/c/({_OCPP_ID})/([0-9]{{1,2}})/?$")
# "CP-1 · 2", "CP-1/2", "CP-1 2", "CP-1 #2": the printed caption and what people type.
_TYPED = re.compile(rf"^({_OCPP_ID}?)\s*(?:·|/|#|\s)\s*([0-9]{{1,2}})$")


@dataclass(frozen=True, slots=True)
class ChargerRef:
    """One connector of one charger, as a QR code names it."""

    ocpp_id: str
    connector_no: int

    @property
    def route(self) -> str:
        """The app route of the charger screen."""
        return f"/c/{self.ocpp_id}/{self.connector_no}"

    @property
    def caption(self) -> str:
        """The code as printed under the QR."""
        return f"{self.ocpp_id} · {self.connector_no}"


def deep_link(public_url: str, ref: ChargerRef) -> str:
    """The URL a QR label for ``ref`` holds."""
    return public_url.rstrip("/") + ref.route


def parse_route(route: str | None) -> ChargerRef | None:
    """The charger a route names (``/c/CP-1/2``), or ``None`` for any other route."""
    if not route:
        return None
    path = urlsplit(route).path
    match = _ROUTE.match(unquote(path))
    if match is None:
        return None
    number = int(match.group(2))
    return ChargerRef(match.group(1), number) if number >= 1 else None


def parse_code(text: str, *, public_url: str | None = None) -> ChargerRef:
    """Read a scanned QR payload or a typed charger code.

    Args:
        text: the QR content or what the driver typed.
        public_url: this network's driver URL; a deep link to another host is refused.

    Raises:
        CodeNotRecognised: with ``key`` ``scan.empty``, ``scan.other_network`` (a deep link of
            another site) or ``scan.not_charger`` (not a charger code at all).
    """
    value = text.strip()
    if not value:
        raise CodeNotRecognised(key="scan.empty")
    if "://" in value:
        parts = urlsplit(value)
        ref = parse_route(parts.path)
        if ref is None:
            raise CodeNotRecognised(key="scan.not_charger")
        if public_url:
            ours = urlsplit(public_url)
            if parts.hostname != ours.hostname or (parts.port or 0) != (ours.port or 0):
                raise CodeNotRecognised(key="scan.other_network")
        return ref
    ref = parse_route(value if value.startswith("/") else None)
    if ref is not None:
        return ref
    match = _TYPED.match(value)
    if match is None or not match.group(1):
        raise CodeNotRecognised(key="scan.not_charger")
    number = int(match.group(2))
    if number < 1:
        raise CodeNotRecognised(key="scan.not_charger")
    return ChargerRef(match.group(1), number)

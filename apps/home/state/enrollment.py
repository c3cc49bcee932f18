"""Enrolling this phone with a charger: find chargers nearby, read the label, prove the secret.

Why three ways in: the label's QR code is the normal path (camera, or a photo of it picked as
a file), but a dark garage or a browser without a camera must not lock the owner out, so the
printed code can be typed. All three end in the same :meth:`EnrollState.enroll`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import flet as ft

from apps.home.ble.link import ChargerPairing, DiscoveredCharger
from apps.home.qr_scan import decode_qr_text
from apps.home.state.base import Ctx
from home_protocol.label import ChargerLabel, parse_label
from home_protocol.reasons import Role
from shared import Loadable

__all__ = ["EnrollState"]

OnEnrolled = Callable[[ChargerPairing], Awaitable[None]]


@dataclass(eq=False)
class EnrollState(ft.Observable):
    """Scan results and the enrolment in progress.

    ``nearby`` is ``None`` until the first scan. ``working`` is true while reading a picture
    or talking to the charger; ``error`` is the last failure as a sentence, ``scanned`` the
    text read from the last picture (shown so the user sees what the camera caught).
    """

    nearby: Loadable[list[DiscoveredCharger]] | None = None
    working: bool = False
    error: str | None = None
    scanned: str = ""
    scan_timeout: float = 3.0
    _ctx: Ctx | None = field(default=None, repr=False)
    _on_enrolled: OnEnrolled | None = field(default=None, repr=False)

    @property
    def ctx(self) -> Ctx:
        assert self._ctx is not None, "EnrollState used before HomeState.create bound it"
        return self._ctx

    def bind(self, ctx: Ctx, on_enrolled: OnEnrolled) -> None:
        self._ctx, self._on_enrolled = ctx, on_enrolled

    async def scan(self) -> None:
        """Look for home chargers advertising nearby (and whether their pairing window is open)."""
        self.nearby = Loadable.loading()
        timeout = self.scan_timeout
        self.nearby = await self.ctx.load(lambda: self.ctx.link.scan(timeout))

    async def enroll(self, code: str, *, role: Role = Role.OWNER, name: str = "") -> bool:
        """Enrol with the label text (QR ``CPH1:...`` or typed ``SERIAL:CODE``)."""
        if self.working:
            return False
        self.working, self.error = True, None
        try:
            label = await self.ctx.attempt(lambda: _parse(code))
            if label.value is None:
                self.error = label.error
                return False
            phone = name.strip() or self.ctx.t("enroll.default_name")
            value = label.value
            result = await self.ctx.attempt(
                lambda: self.ctx.link.enroll(value, role=role, name=phone[:32])
            )
            if result.value is None:
                self.error = result.error
                return False
            assert self._on_enrolled is not None
            await self._on_enrolled(result.value)
            return True
        finally:
            self.working = False

    async def enroll_from_picture(
        self, data: bytes, *, role: Role = Role.OWNER, name: str = ""
    ) -> bool:
        """Read the label's QR code from a picture, then enrol with it."""
        if self.working:
            return False
        self.working, self.error, self.scanned = True, None, ""
        text = await self.ctx.attempt(lambda: decode_qr_text(data))
        self.working = False
        if text.value is None:
            self.error = text.error
            return False
        self.scanned = text.value
        return await self.enroll(text.value, role=role, name=name)

    def fail(self, message: str) -> None:
        """Show a failure that happened in the view (camera refused, file unreadable)."""
        self.error, self.working = message, False


async def _parse(code: str) -> ChargerLabel:
    return parse_label(code)  # LabelError becomes a sentence in Ctx.attempt

"""Starting, watching and stopping one paid session — for a guest or a signed-in driver.

The flow is what the driver sees after tapping "Start": each step (request sent, charger
accepted, plugged in?, charging), the charger's real refusal, the live figures, the notice that
charging has finished before idle fees begin, the stop, and the receipt. It keeps following the
session across network loss (it retries and says so) and across app restarts: a guest's
session is found again from the receipt token kept on the device, a driver's from the list of
their running sessions.

Figures arrive two ways: pushed over the driver's event stream (``session.updated``) when live
events are on, and by polling (guests have no stream; the poll also heals a stream that missed
something). The poll is slower while the stream is connected.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import flet as ft

from apps.user_mobile.state.charger import ChargerModel
from apps.user_mobile.state.credentials import GUEST_TOKEN_KEY, DeviceMemory
from apps.user_mobile.state.errors import Translate, describe_error, describe_refusal
from apps.user_mobile.state.links import ChargerRef
from apps.user_mobile.state.pricing import to_minor
from apps.user_mobile.state.session import Phase, Snapshot, phase_of
from apps.user_mobile.state.watch import Next, SessionWatcher, Timing
from backend_client import (
    Action,
    ApiError,
    ChargepileClient,
    Conflict,
    CredentialStoreError,
    NotFound,
)
from backend_client.models import (
    PaymentState,
    PayWith,
    PriceQuote,
    Receipt,
    SessionPublic,
    SessionStatus,
)
from shared import ConnectionState, ConnectorStatus, LiveSession, format_money

__all__ = ["ChargeFlow", "Timing"]

_UNSETTLED = {PaymentState.PROCESSING, PaymentState.HELD, PaymentState.PENDING}


@dataclass(eq=False)
class ChargeFlow(ft.Observable):
    """The driver's current session, from "Start" to the receipt."""

    phase: Phase = Phase.IDLE
    error: str | None = None
    ref: ChargerRef | None = None
    station_name: str = ""
    session_id: int | None = None
    pay_with: PayWith | None = None
    guest: bool = False
    live: LiveSession | None = None
    notice: str | None = None
    link: ConnectionState | None = None
    receipt: Receipt | None = None
    receipt_error: str | None = None
    idle_fee_minor: int = 0
    idle_grace_minutes: int = 0
    currency: str = "CNY"
    _snapshot: Snapshot | None = None
    _guest_token: str | None = None
    _stop_requested: bool = False
    _client: ChargepileClient | None = None
    _t: Translate | None = None
    _memory: DeviceMemory | None = None
    _timing: Timing = field(default_factory=Timing)
    _live_events: bool = True
    _watcher: SessionWatcher | None = None
    _on_finished: Callable[[], Awaitable[None]] | None = None

    def bind(
        self,
        client: ChargepileClient,
        t: Translate,
        memory: DeviceMemory,
        *,
        timing: Timing | None = None,
        live_events: bool = True,
        on_finished: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._client, self._t, self._memory = client, t, memory
        self._timing = timing or Timing()
        self._live_events = live_events
        self._on_finished = on_finished

    @property
    def client(self) -> ChargepileClient:
        assert self._client is not None, "ChargeFlow.bind() first"
        return self._client

    def t(self, key: str, /, **params: Any) -> str:
        assert self._t is not None, "ChargeFlow.bind() first"
        return self._t(key, **params)

    @property
    def guest_token(self) -> str | None:
        """The secret that opens a guest's status and receipt (also the receipt link)."""
        return self._guest_token

    # --- start ----------------------------------------------------------------------------
    async def start(
        self,
        charger: ChargerModel,
        quote: PriceQuote,
        *,
        pay_with: PayWith,
        signed_in: bool,
        card_token: str | None = None,
        action: Action | None = None,
    ) -> None:
        """Hold the money and start the connector; on success follow the session.

        A refusal (card declined, wallet too low, connector occupied or faulted, charger
        offline, silent or refusing) leaves :attr:`phase` at ``REFUSED`` with the reason.
        """
        assert charger.ref is not None
        self._reset(charger.ref, quote)
        self.pay_with, self.guest = pay_with, not signed_in
        self.phase = Phase.STARTING
        key = action or Action()
        try:
            if signed_in:
                result = await self.client.charging.start(
                    quote.ocpp_id, quote.connector_no, pay_with=pay_with,
                    payment_method_token=card_token, idempotency_key=key,
                )  # fmt: skip
            else:
                assert card_token is not None, "guests pay by card"
                result = await self.client.guest.start(
                    quote.ocpp_id, quote.connector_no, card_token, idempotency_key=key
                )
        except ApiError as exc:
            status = await charger.connector_status()
            self.error = describe_refusal(exc, status, self.t)
            self.phase = Phase.REFUSED
            return
        self.session_id = result.session_id
        self._guest_token = result.receipt_token
        if result.receipt_token is not None and self._memory is not None:
            with contextlib.suppress(CredentialStoreError):
                await self._memory.set(GUEST_TOKEN_KEY, self._remembered(result.receipt_token))
        self.phase = Phase.PLUG_IN
        self._follow()

    def _reset(self, ref: ChargerRef | None, quote: PriceQuote | None) -> None:
        self.cancel()
        self.ref, self.error, self.notice, self.receipt, self.receipt_error = (
            ref,
            None,
            None,
            None,
            None,
        )
        self.session_id, self._guest_token, self._snapshot, self.live = None, None, None, None
        self._stop_requested, self.link = False, None
        if quote is not None:
            self.station_name = quote.station_name
            self.currency = quote.currency
            self.idle_fee_minor = to_minor(quote.idle_fee_per_minute, quote.currency)
            self.idle_grace_minutes = quote.idle_grace_minutes

    # --- resume after a restart ------------------------------------------------------------
    async def resume(self, *, signed_in: bool) -> bool:
        """Find a session still running for this device / driver and follow it again."""
        if self.phase.running:
            return True
        if signed_in:
            for status in (SessionStatus.ACTIVE, SessionStatus.PENDING):
                try:
                    page = await self.client.sessions.list(status=status, limit=1)
                except ApiError:
                    return False
                if page.items:
                    self._adopt_driver_session(page.items[0])
                    return True
        if self._memory is None:
            return False
        try:
            stored = await self._memory.get(GUEST_TOKEN_KEY)
        except CredentialStoreError:
            return False
        if stored is None:
            return False
        try:
            saved = json.loads(stored)
            token = str(saved["token"])
        except (ValueError, KeyError, TypeError):
            await self._forget_guest()
            return False
        try:
            guest = await self.client.guest.status(token)
        except NotFound:
            await self._forget_guest()
            return False
        except ApiError:
            return False
        if guest.status not in ("pending", "active"):
            await self._forget_guest()
            return False
        self._reset(ChargerRef(str(saved["ocpp_id"]), int(saved["connector_no"])), None)
        self.guest, self._guest_token, self.session_id = True, token, guest.session_id
        self.station_name = str(saved.get("station", ""))
        self.idle_fee_minor = int(saved.get("idle_fee_minor", 0))
        self.idle_grace_minutes = int(saved.get("idle_grace_minutes", 0))
        self.pay_with = guest.payment.pay_with
        self.currency = guest.currency
        self._apply(Snapshot.from_guest(guest))
        self._follow()
        return True

    def _remembered(self, token: str) -> str:
        """What the device keeps to find a guest's session again (no account to ask)."""
        assert self.ref is not None
        return json.dumps({
            "token": token, "ocpp_id": self.ref.ocpp_id, "connector_no": self.ref.connector_no,
            "station": self.station_name, "idle_fee_minor": self.idle_fee_minor,
            "idle_grace_minutes": self.idle_grace_minutes,
        })  # fmt: skip

    def _adopt_driver_session(self, s: SessionPublic) -> None:
        self._reset(ChargerRef(s.ocpp_id, s.connector_no), None)
        self.guest, self.session_id, self.station_name = False, s.id, s.station_name
        self.currency = s.currency
        self._apply(Snapshot.from_session(s))
        self._follow()

    # --- watch -----------------------------------------------------------------------------
    def _follow(self) -> None:
        self.cancel()
        assert self.session_id is not None
        self._watcher = SessionWatcher(
            self.client, session_id=self.session_id, fetch=self._fetch,
            on_snapshot=self._on_snapshot, on_link=self._on_link, on_gone=self._on_gone,
            stream=self._live_events and not self.guest, timing=self._timing,
        )  # fmt: skip

    def refresh_now(self) -> None:
        """Look at the followed session at once (after the backend came back)."""
        if self._watcher is not None:
            self._watcher.kick()

    def cancel(self) -> None:
        """Stop following (the session goes on at the charger)."""
        if self._watcher is not None:
            self._watcher.cancel()
            self._watcher = None

    async def _fetch(self) -> Snapshot:
        if self.guest:
            assert self._guest_token is not None
            return Snapshot.from_guest(await self.client.guest.status(self._guest_token))
        assert self.session_id is not None
        return Snapshot.from_session(await self.client.sessions.get(self.session_id))

    async def _on_snapshot(self, snapshot: Snapshot) -> Next:
        if self.phase in (Phase.COMPLETED, Phase.FAILED):
            return Next.DONE  # the other source got here first
        phase = self._apply(snapshot)
        if phase == Phase.COMPLETED:
            await self.load_receipt()
        if phase in (Phase.COMPLETED, Phase.FAILED):
            return Next.DONE
        return Next.STARTING if phase in (Phase.PLUG_IN, Phase.CONNECTED) else Next.RUNNING

    def _on_link(self, up: bool) -> None:
        if not up:
            self.link = ConnectionState.RECONNECTING
        elif self.link == ConnectionState.RECONNECTING:
            self.link = ConnectionState.RECONNECTED

    async def _on_gone(self) -> None:
        self.error, self.phase = self.t("err.session_gone"), Phase.FAILED
        await self._forget_guest()

    def _apply(self, snapshot: Snapshot) -> Phase:
        self._snapshot = snapshot
        self.currency = snapshot.currency
        phase = phase_of(snapshot, stopping=self._stop_requested)
        if phase == Phase.FAILED and self.phase != Phase.FAILED:
            self.error = self.t("err.start_failed")
        self.phase = phase
        self.live = LiveSession(
            power_kw=round(snapshot.power_w / 1000, 2),
            energy_kwh=snapshot.energy_wh / 1000,
            cost_minor=snapshot.cost_minor,
            currency=snapshot.currency,
            elapsed_s=round(snapshot.elapsed_s()),
            status=_badge(phase),
        )
        self.notice = self._notice(snapshot, phase)
        return phase

    def _notice(self, snapshot: Snapshot, phase: Phase) -> str | None:
        if phase != Phase.SUSPENDED:
            return None
        grace_s = self.idle_grace_minutes * 60
        idle = snapshot.idle_seconds or 0
        if self.idle_fee_minor <= 0:
            return self.t("watch.finished_no_fee")
        fee = _money(self, self.idle_fee_minor)
        if idle >= grace_s and grace_s >= 0 and snapshot.idle_seconds is not None:
            return self.t("watch.idle_fee_running", fee=fee)
        minutes = max(0, (grace_s - idle + 59) // 60)
        return self.t("watch.finished_idle_soon", minutes=minutes, fee=fee)

    # --- stop and receipt -------------------------------------------------------------------
    async def stop(self) -> None:
        """Ask the charger to stop; the receipt follows when it reports the stop."""
        if not self.phase.running or self.session_id is None:
            return
        previous = self.phase
        self._stop_requested, self.phase, self.error = True, Phase.STOPPING, None
        try:
            if self.guest:
                assert self._guest_token is not None
                await self.client.guest.stop(self._guest_token)
            else:
                await self.client.remote.stop(self.session_id)
        except Conflict:
            pass  # already ended at the charger: the next poll shows the receipt
        except ApiError as exc:
            self._stop_requested, self.phase = False, previous
            self.error = describe_error(exc, self.t)
            return
        if self._watcher is None or not self._watcher.running:
            self._follow()

    async def load_receipt(self) -> None:
        """Fetch the receipt and keep it current until the payment is settled.

        The server answers 409 for a moment while it bills; then the payment reads ``held`` /
        ``pending`` until the capture went through (retried from the outbox). The driver
        should see what was actually taken, so the receipt is re-read until then.
        """
        for _ in range(self._timing.receipt_attempts):
            try:
                receipt = await self._fetch_receipt()
            except Conflict:
                await asyncio.sleep(0.5)
                continue
            except ApiError as exc:
                self.receipt_error = describe_error(exc, self.t)
                return
            self.receipt, self.receipt_error = receipt, None
            if receipt.payment_state not in _UNSETTLED:
                break
            await asyncio.sleep(0.5)
        if self.receipt is None:
            self.receipt_error = self.t("receipt.not_ready")
        if self._on_finished is not None:
            await self._on_finished()

    async def _fetch_receipt(self) -> Receipt:
        if self.guest:
            assert self._guest_token is not None
            return await self.client.guest.receipt(self._guest_token)
        assert self.session_id is not None
        return await self.client.sessions.receipt(self.session_id)

    async def done(self) -> None:
        """The driver has seen the receipt: forget the session on this device."""
        self.cancel()
        await self._forget_guest()
        self._reset(None, None)
        self.phase, self.pay_with, self.guest = Phase.IDLE, None, False

    async def _forget_guest(self) -> None:
        if self._memory is not None:
            with contextlib.suppress(CredentialStoreError):
                await self._memory.remove(GUEST_TOKEN_KEY)


def _money(flow: ChargeFlow, minor: int) -> str:
    return format_money(minor, flow.currency)


def _badge(phase: Phase) -> ConnectorStatus:
    return {
        Phase.PLUG_IN: ConnectorStatus.PREPARING,
        Phase.CONNECTED: ConnectorStatus.PREPARING,
        Phase.CHARGING: ConnectorStatus.CHARGING,
        Phase.SUSPENDED: ConnectorStatus.SUSPENDED_EV,
        Phase.STOPPING: ConnectorStatus.FINISHING,
    }.get(phase, ConnectorStatus.FINISHING)

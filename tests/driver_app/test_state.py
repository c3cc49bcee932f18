"""The rules behind the session screen: which step a session is on, and the idle-fee notice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apps.user_mobile.main import CATALOGS
from apps.user_mobile.state.charge import ChargeFlow
from apps.user_mobile.state.credentials import DeviceMemory, MemoryStorage
from apps.user_mobile.state.errors import describe_refusal
from apps.user_mobile.state.session import Phase, Snapshot, phase_of
from backend_client import (
    ChargepileClient,
    ChargerOffline,
    ChargerRejected,
    ChargerTimeout,
    Conflict,
    PaymentDeclined,
)
from shared import I18n, Language


def snap(
    status: str, *, power_w: float = 0, energy_wh: int = 0, idle: int | None = None
) -> Snapshot:
    start = datetime.now(UTC) - timedelta(minutes=30)
    return Snapshot(
        session_id=1, status=status, started_at=start, stopped_at=None, energy_wh=energy_wh,
        power_w=power_w, cost_minor=0, currency="CNY", idle_seconds=idle,
    )  # fmt: skip


def test_steps_follow_the_session() -> None:
    assert phase_of(snap("pending")) == Phase.PLUG_IN
    assert phase_of(snap("active")) == Phase.CONNECTED
    assert phase_of(snap("active", power_w=7000, energy_wh=10)) == Phase.CHARGING
    assert phase_of(snap("active", energy_wh=12_000)) == Phase.SUSPENDED
    assert phase_of(snap("active", power_w=7000), stopping=True) == Phase.STOPPING
    assert phase_of(snap("completed", energy_wh=1)) == Phase.COMPLETED
    assert phase_of(snap("failed")) == Phase.FAILED


async def test_notice_warns_before_idle_fees_begin_and_when_they_run() -> None:
    i18n = I18n.default().extended(CATALOGS)
    async with ChargepileClient("http://127.0.0.1:9") as client:
        flow = ChargeFlow()
        flow.bind(
            client,
            lambda key, **kw: i18n.translate(Language.EN, key, **kw),
            DeviceMemory(MemoryStorage()),
        )
        flow.idle_fee_minor, flow.idle_grace_minutes, flow.currency = 50, 10, "CNY"
        flow._apply(snap("active", power_w=7000, energy_wh=5_000))
        assert flow.notice is None
        flow._apply(snap("active", energy_wh=20_000, idle=240))
        assert flow.phase == Phase.SUSPENDED
        assert flow.notice == (
            "Your car has stopped charging. Unplug within 6 min to avoid the idle fee of ¥0.50/min."
        )
        flow._apply(snap("active", energy_wh=20_000, idle=660))
        assert flow.notice == "Idle fee of ¥0.50/min is running. Please unplug."
        flow.idle_fee_minor = 0
        flow._apply(snap("active", energy_wh=20_000, idle=60))
        assert flow.notice == "Your car has stopped charging. Please unplug."


def test_refusals_name_the_chargers_real_state() -> None:
    i18n = I18n.default().extended(CATALOGS)

    def t(key: str, **kw: object) -> str:
        return i18n.translate(Language.EN, key, **kw)

    busy = Conflict("Connector 1 is Charging; nothing was charged.", status_code=409)
    assert describe_refusal(busy, "Charging", t).startswith("This connector is in use")
    assert describe_refusal(busy, "Faulted", t).startswith("This connector is faulted")
    assert describe_refusal(busy, "Unavailable", t).startswith("This connector is out of service")
    offline = ChargerOffline("offline", status_code=503)
    assert describe_refusal(offline, "Available", t).startswith("The charger is offline")
    rejected = ChargerRejected("Rejected", status_code=409)
    assert describe_refusal(rejected, "Available", t) == (
        "The charger refused to start; nothing was charged."
    )
    silent = ChargerTimeout("timeout", status_code=504)
    assert describe_refusal(silent, "Available", t).startswith("The charger did not answer")
    declined = PaymentDeclined(
        "Your card was declined (insufficient funds). The charger was not started.",
        status_code=402,
        code="payment_declined",
    )
    assert describe_refusal(declined, "Available", t) == (
        "Your card was declined (insufficient funds); nothing was started."
    )

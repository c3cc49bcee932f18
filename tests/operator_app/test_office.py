"""The mobile office at phone width: dashboard, faults (acknowledge), network, charger detail
with remote actions, reports with CSV export, and precise errors."""

from __future__ import annotations

import asyncio
import csv
import io

import httpx
from fastapi import FastAPI

from apps.operator_mobile.state.app import OperatorState
from backend_client import ChargepileClient, CredentialStore, RetryPolicy
from tests.operator_app.support import (
    Storage,
    add_fault,
    operator_app,
    seed_network,
    sign_in,
)
from tests.support.flet_harness import FakeApp


async def _go(fake: FakeApp, state: OperatorState, section: str) -> None:
    await fake.run(lambda: state.go(section))


async def test_phone_shows_bottom_bar_with_office_destinations_only(app: FastAPI) -> None:
    await seed_network(app)
    async with operator_app(app) as (fake, _):
        await sign_in(fake)
        assert fake.has_key("nav-bar") and not fake.has_key("nav-rail")
        assert fake.has_key("nav-faults") and not fake.has_key("nav-tariffs")
        assert fake.by_key("kpi-online-value").value == "0/2"  # nobody connected yet


async def test_fault_feed_lists_and_acknowledges_with_note(app: FastAPI) -> None:
    net = await seed_network(app)
    fault_id = await add_fault(app, net)
    async with operator_app(app) as (fake, state):
        await sign_in(fake)
        await fake.select("nav-bar", 1)
        await fake.wait_for_text("GroundFailure")
        assert fake.has_text("CP-1 · connector 1 · Harbour Plaza")
        await fake.click(f"fault-{fault_id}-ack")
        await fake.click("ack-confirm")  # no note yet
        assert fake.has_text("A note is required")
        await fake.enter_text("ack-note", "Electrician on site")
        await fake.click("ack-confirm")
        await fake.wait_for_text("GroundFailure on CP-1 acknowledged")
        # Still open (not cleared by the charger) but acknowledged, with the note shown.
        await fake.wait_for_text("Electrician on site")
        assert fake.by_key(f"fault-{fault_id}-ack", cls=None) is not None
        assert not any(
            getattr(c, "identifier", None) == f"fault-{fault_id}-ack" for c in fake.walk()
        )
        assert state.faults.faults.value is not None


async def test_new_fault_is_marked_new_after_an_event(app: FastAPI) -> None:
    net = await seed_network(app)
    async with operator_app(app) as (fake, state):
        await sign_in(fake)
        await _go(fake, state, "faults")
        assert fake.has_text("No faults")
        fault_id = await add_fault(app, net, "OverCurrentFailure")
        from backend_client.models import LiveEvent

        state.handle_event(LiveEvent(id=1, type="fault.opened", data={"fault_id": fault_id}))
        await fake.wait_for_text("OverCurrentFailure")
        assert fake.has_key(f"fault-{fault_id}-new")
        assert fake.by_key("kpi-open-faults-value").value if state.section == "dashboard" else True


async def test_network_and_charger_detail_with_remote_answer(app: FastAPI) -> None:
    net = await seed_network(app)
    async with operator_app(app) as (fake, state):
        await sign_in(fake)
        await _go(fake, state, "network")
        await fake.wait_for_text("Harbour Plaza")
        assert fake.has_key("charger-CP-1") and fake.has_key("charger-CP-2")
        await fake.click("charger-CP-1")
        await fake.wait_for(lambda: state.charger.charger.state != "loading")
        assert state.charger.charger.value is not None, state.charger.charger.error
        assert fake.has_text("#1 · Connector 1 · Completed")
        # The click handler waits for the confirmation, so it runs beside the test.
        pending = asyncio.create_task(fake.click("remote-reset"))
        await fake.wait_for(lambda: fake.has_key("remote-reset-confirm-confirm"))
        await fake.click("remote-reset-confirm-confirm")
        await pending
        await fake.wait_for(lambda: state.charger.outcome is not None)
        outcome = state.charger.outcome
        assert outcome is not None and not outcome.ok
        # CP-1 never connected: the platform says why the reset cannot happen, precisely.
        assert fake.by_key("remote-outcome").value == outcome.message
        assert state.charger.charger_id == net.charger_ids["CP-1"]


async def test_reports_by_week_and_csv_export(app: FastAPI) -> None:
    await seed_network(app)
    storage = Storage()
    async with operator_app(app, storage=storage) as (fake, state):
        await sign_in(fake)
        await _go(fake, state, "reports")
        await fake.wait_for(lambda: state.reports.report.value is not None)
        assert fake.has_key("chart-report-energy")
        assert fake.by_key("kpi-report-sessions-value").value == "1"
        await fake.click("report-group-week")
        await fake.wait_for(lambda: state.reports.report.value is not None)
        report = state.reports.report.value
        assert report is not None and report.group == "week"
        await fake.click("report-export")
        await fake.wait_for(lambda: bool(storage.saved))
        name, data = storage.saved[0]
        assert name.startswith("chargepile-report-week") and name.endswith(".csv")
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        assert len(rows) >= 2
        assert fake.has_text("CSV exported")


class Unplugged(httpx.AsyncBaseTransport):
    """The real backend in-process, behind a network cable the test can pull."""

    def __init__(self, app: FastAPI) -> None:
        self._inner = httpx.ASGITransport(app=app)
        self.down = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        return await self._inner.handle_async_request(request)


async def test_server_down_shows_precise_error_and_retry(app: FastAPI) -> None:
    await seed_network(app)
    cable = Unplugged(app)

    def client(store: CredentialStore) -> ChargepileClient:
        return ChargepileClient(
            "http://testserver", transport=cable, credentials=store, retry=RetryPolicy(attempts=1)
        )

    storage = Storage()
    async with operator_app(app, client_factory=client, storage=storage) as (fake, _):
        await sign_in(fake)
        await fake.wait_for_text("Chargers right now")
        cable.down = True
        await fake.click("dash-refresh")
        await fake.wait_for_text("The server cannot be reached")
        cable.down = False
        await fake.click("dashboard-retry")
        await fake.wait_for_text("Chargers right now")
    # Reopening the app while the server is down: the remembered session cannot be checked,
    # and the sign-in form says exactly why.
    cable.down = True
    async with operator_app(app, client_factory=client, storage=storage) as (fake, _):
        await fake.wait_for(lambda: fake.has_key("signin-submit"))
        assert fake.has_text("The server cannot be reached")

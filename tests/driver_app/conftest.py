"""A live backend on loopback (OCPP endpoint mounted, paid charging on) with a simulated
charger fleet, for the driver-app tests that really start and stop sessions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from simulators.ocpp import EvSpec, Fleet
from tests.ocpp.conftest import LiveBackend, serve_backend
from tests.ocpp.support import fast_config
from tests.support.backend import fresh_database_url, make_test_settings


@pytest.fixture
async def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[LiveBackend]:
    monkeypatch.setenv("CHARGEPILE_PAYMENTS_OUTBOX_POLL_SECONDS", "0.2")
    async with fresh_database_url(tmp_path) as url:
        settings = make_test_settings(
            url, tmp_path, ocpp_heartbeat_interval=60, ocpp_ping_interval=5.0, ocpp_call_timeout=5.0
        )
        async with serve_backend(settings, ["CP-1", "CP-2"]) as backend:
            yield backend


@pytest.fixture
async def fleet(live: LiveBackend) -> AsyncIterator[Fleet]:
    """CP-1 and CP-2 online; a big battery so a session charges until it is stopped."""
    net = live.network
    config = fast_config(ev=EvSpec(battery_kwh=300, soc_start=0.1, max_kw=11))
    async with Fleet(live.ocpp_url, [net.spec("CP-1"), net.spec("CP-2")], config) as running:
        await running.wait_ready(timeout=10)
        yield running

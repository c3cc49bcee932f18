"""Fixtures for the payment suites: a paid-charging app and a small operator network."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from backend.settings import Settings
from tests.payments.support import PayApp, charger_online, pay_app
from tests.support.builders import World, build_world


@pytest.fixture
async def pa(settings: Settings) -> AsyncIterator[PayApp]:
    async with pay_app(settings) as running:
        yield running


@pytest.fixture
async def world(pa: PayApp) -> World:
    built = await build_world(pa.app)
    await charger_online(pa.ctx, built.charger.ocpp_id)
    return built

"""The reconnect notice, fast and without a backend process: every time the live link comes
back the app reloads what it shows and says "Reconnected" (已重新连接) briefly — the second
and later times too — and a link that drops again is not reported as fine.

The event stream reports its state through ``on_state``; these tests play that role by calling
the state's handler directly (the in-process ASGI transport cannot carry a real stream; the
real thing, with a backend process killed and restarted, is
tests/reliability/test_operator_restart.py).
"""

from __future__ import annotations

import functools

import pytest
from fastapi import FastAPI

import apps.operator_mobile.state.app as app_state
from backend_client import StreamState
from shared import ConnectionState
from tests.operator_app.support import add_fault, operator_app, seed_network, sign_in
from tests.support.flet_harness import FakeApp


def _gone(fake: FakeApp, text: str) -> bool:
    return not fake.has_text(text)


NOTICES = {"en": ("Reconnecting…", "Reconnected"), "zh-CN": ("正在重新连接…", "已重新连接")}


async def test_every_reconnect_reloads_and_shows_a_brief_notice(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app_state, "RECONNECTED_NOTICE_S", 0.3)
    net = await seed_network(app)
    async with operator_app(app) as (fake, state):
        await sign_in(fake)
        await fake.run(lambda: state.go("faults"))
        for n, language in enumerate(("en", "zh-CN", "en")):
            if n:
                await fake.click("lang-switch")
                await fake.settle()
            reconnecting, reconnected = NOTICES[language]
            await fake.run(lambda: state._on_stream_state(StreamState.RECONNECTING))
            await fake.wait_for_text(reconnecting)
            # Written while the link was down: only the reload on reconnect can show it.
            code = f"Fault{n}"
            await add_fault(app, net, code)
            assert not fake.has_text(code)
            await fake.run(lambda: state._on_stream_state(StreamState.RECONNECTED))
            await fake.wait_for_text(reconnected)
            await fake.wait_for_text(code)
            await fake.wait_for(functools.partial(_gone, fake, reconnected), timeout=5)
            assert state.connection == ConnectionState.ONLINE


async def test_a_link_that_drops_again_is_not_reported_online(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app_state, "RECONNECTED_NOTICE_S", 0.2)
    await seed_network(app)
    async with operator_app(app) as (fake, state):
        await sign_in(fake)
        await fake.run(lambda: state._on_stream_state(StreamState.RECONNECTED))
        await fake.run(lambda: state._on_stream_state(StreamState.RECONNECTING))
        await fake.settle(60)  # well past the notice time
        assert state.connection == ConnectionState.RECONNECTING
        assert fake.has_text("Reconnecting…")

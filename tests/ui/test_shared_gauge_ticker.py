"""The session gauge's one-second clock stops when it is no longer shown: when the gauge is
unmounted, and when the whole Flet session is closed and gone (a closed browser tab) — then
it must end quietly instead of raising "An attempt to fetch destroyed session"."""

from __future__ import annotations

import asyncio
import gc

import flet as ft

from shared import LiveSession, SessionGauge
from tests.support.flet_harness import FakeApp
from tests.ui.helpers import Props, mount, strict_ui, with_props

SESSION = LiveSession(7.0, 1.0, 100, "CNY", 59)


def _tickers() -> list[asyncio.Task[object]]:
    """The gauge's running clock tasks."""
    return [
        t
        for t in asyncio.all_tasks()
        if not t.done() and getattr(t.get_coro(), "__name__", "") == "_tick"
    ]


async def _until_done(task: asyncio.Task[object]) -> None:
    async with asyncio.timeout(5):
        await asyncio.wait({task})


async def _tick_then_close_the_tab() -> asyncio.Task[object]:
    """Show a ticking gauge, then close its session; the app object goes out of scope."""
    ui = strict_ui()
    main = mount(ui, lambda: SessionGauge(SESSION, ticking=True))
    app = FakeApp(main, cancel_leftover_tasks=False)
    await app.start()
    await app.wait_for(lambda: app.by_key("gauge-elapsed").value == "0:01:00", timeout=3)
    [ticker] = _tickers()
    await app.close()
    return ticker


async def test_ticker_stops_quietly_when_the_session_is_gone() -> None:
    ticker = await _tick_then_close_the_tab()
    gc.collect()  # the closed session is destroyed, as the server's registry drops it
    await _until_done(ticker)
    assert not ticker.cancelled()
    assert ticker.exception() is None


async def test_ticker_is_cancelled_when_the_gauge_is_unmounted() -> None:
    ui = strict_ui()
    props = Props(True)

    def render(shown: bool) -> ft.Control:
        return SessionGauge(SESSION, ticking=True) if shown else ft.Text("gone", key="gone")

    async with FakeApp(mount(ui, with_props(props, render))) as app:
        await app.wait_for(lambda: bool(_tickers()), timeout=3)
        [ticker] = _tickers()
        props.value = False
        await app.wait_for(lambda: app.has_key("gone"))
        await _until_done(ticker)
        assert ticker.cancelled()
        assert _tickers() == []

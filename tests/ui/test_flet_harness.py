"""The fake Flet client itself: crashes surface, client calls are answered, routes work."""

from __future__ import annotations

import flet as ft
import pytest

from tests.support.flet_harness import FakeApp, SessionCrashed


async def test_a_crashing_handler_fails_the_test() -> None:
    def main(page: ft.Page) -> None:
        def boom() -> None:
            raise ValueError("handler bug")

        page.add(ft.Button("Boom", key="boom", on_click=boom))

    async with FakeApp(main) as app:
        with pytest.raises(SessionCrashed, match="handler bug"):
            await app.click("boom")


async def test_a_crashing_main_fails_at_start() -> None:
    def main(page: ft.Page) -> None:
        raise RuntimeError("main bug")

    with pytest.raises(SessionCrashed, match="main bug"):
        await FakeApp(main).start()


async def test_client_method_calls_are_answered_from_the_table() -> None:
    stored: dict[str, str] = {}

    async def main(page: ft.Page) -> None:
        prefs = ft.SharedPreferences()
        await prefs.set("lang", "zh-CN")
        value = await prefs.get("lang")
        page.add(ft.Text(f"lang={value}"))

    results = {
        "SharedPreferences.set": lambda args: stored.update({args["key"]: args["value"]}) or True,
        "SharedPreferences.get": lambda args: stored.get(args["key"]),
    }
    async with FakeApp(main, method_results=results) as app:
        assert app.has_text("lang=zh-CN")
        assert [c[1] for c in app.method_calls] == ["set", "get"]


async def test_an_unanswered_client_call_is_reported() -> None:
    async def main(page: ft.Page) -> None:
        prefs = ft.SharedPreferences()
        try:
            await prefs.get("x")
        except RuntimeError as exc:
            page.add(ft.Text(f"error: {exc}"))

    with pytest.raises(SessionCrashed, match=r"no answer for SharedPreferences\.get"):
        await FakeApp(main).start()


async def test_routes_deep_links_and_navigation() -> None:
    def main(page: ft.Page) -> None:
        def show() -> None:
            page.views.clear()
            page.views.append(ft.View(route="/", controls=[ft.Text("home")]))
            if page.route.startswith("/c/"):
                page.views.append(ft.View(route=page.route, controls=[ft.Text(page.route)]))
            page.update()

        page.on_route_change = show
        show()

    async with FakeApp(main, route="/c/CP-1/2") as app:
        assert app.routes == ["/", "/c/CP-1/2"]
        await app.navigate("/")
        assert app.routes == ["/"]

        async def go() -> None:
            await app.page.push_route("/c/CP-9/1")

        await app.run(go)
        assert app.routes == ["/", "/c/CP-9/1"]
        assert app.has_text("/c/CP-9/1")


async def test_text_entry_and_disabled_buttons() -> None:
    def main(page: ft.Page) -> None:
        out = ft.Text("", key="out")

        def changed(e: ft.Event[ft.TextField]) -> None:
            out.value = f"typed {e.control.value}"

        page.add(
            ft.TextField(key="code", on_change=changed),
            out,
            ft.Button("Nope", key="nope", disabled=True, on_click=lambda: None),
        )

    async with FakeApp(main) as app:
        await app.enter_text("code", "CP-001")
        assert app.by_key("out").value == "typed CP-001"
        with pytest.raises(AssertionError, match="disabled"):
            await app.click("nope")

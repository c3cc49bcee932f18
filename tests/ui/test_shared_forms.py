"""Form helpers shared by the three apps: kept form values, bound fields, buttons, outcome lines."""

from __future__ import annotations

import flet as ft

from shared import (
    FormValues,
    Notice,
    action_button,
    bind,
    notice,
    outcome_line,
    text_field,
    use_form,
)
from tests.support.flet_harness import FakeApp
from tests.ui.helpers import Props, mount, strict_ui, with_props


async def test_typed_text_survives_rerenders_and_defaults_are_submitted() -> None:
    sent: list[dict[str, str]] = []
    props: Props = Props(None)

    async def save(values: FormValues, tag: str) -> None:
        sent.append({"tag": tag, **values.current})

    @ft.component
    def Form(outcome: Notice | None) -> ft.Control:
        values = use_form()
        return ft.Column(
            [
                text_field(values, "email", "Email", "f-email"),
                text_field(values, "start", "Start", "f-start", default="22:00"),
                text_field(values, "pin", "PIN", "f-pin", password=True),
                text_field(values, "note", "Note", "f-note", multiline=True),
                action_button("f-save", "Save", bind(save, values, "button")),
                outcome_line(outcome, "f-outcome"),
            ]
        )

    async with FakeApp(mount(strict_ui(), with_props(props, Form))) as app:
        assert app.by_key("f-start").value == "22:00"
        pin, note = app.by_key("f-pin"), app.by_key("f-note")
        assert pin.password and pin.can_reveal_password and not note.password
        assert note.multiline and (note.min_lines, note.max_lines) == (3, 8)
        assert app.by_identifier("f-email").content is app.by_key("f-email")
        await app.enter_text("f-email", "ops@example.com")
        # A re-render of the component (new props) must keep what was typed.
        props.value = Notice(False, "Email already in use")
        await app.settle()
        assert app.by_key("f-email").value == "ops@example.com"
        assert app.by_key("f-outcome").value == "Email already in use"
        await app.click("f-save")
        # Untouched fields without a default are not sent; a default is.
        assert sent == [{"tag": "button", "email": "ops@example.com", "start": "22:00"}]


async def test_enter_submits_and_a_seeded_form_keeps_cleared_fields_cleared() -> None:
    submitted: list[str] = []
    values = FormValues({"code": "EVSE-1"})

    async def submit() -> None:
        submitted.append(values.get("code"))

    def build() -> ft.Control:
        return ft.Column(
            [text_field(values, "code", "Code", "code", default="ignored", on_submit=submit)]
        )

    async with FakeApp(mount(strict_ui(), build)) as app:
        assert app.by_key("code").value == "EVSE-1"
        await app.enter_text("code", "")
        await app.fire(app.by_key("code"), "submit")
        assert submitted == [""]
        assert values.get("missing", "n/a") == "n/a"
        values.set("code", "EVSE-2")
        assert values.current == {"code": "EVSE-2"}


async def test_buttons_run_sync_async_and_coroutine_returning_callbacks() -> None:
    clicks: list[str] = []

    async def later(tag: str) -> None:
        clicks.append(tag)

    def build() -> ft.Control:
        return ft.Column(
            [
                action_button("b-sync", "Sync", lambda: clicks.append("sync"), kind="text"),
                action_button("b-async", "Async", bind(later, "async"), kind="tonal"),
                # A lambda returning a coroutine: Flet alone would drop it un-awaited.
                action_button("b-lambda", "Lambda", lambda: later("lambda"), kind="outlined"),
                action_button("b-danger", "Delete", bind(later, "danger"), kind="danger"),
                action_button("b-none", "Nothing", None, expand=True),
                action_button("b-off", "Off", bind(later, "off"), disabled=True),
            ]
        )

    async with FakeApp(mount(strict_ui(), build)) as app:
        for ident in ("b-sync", "b-async", "b-lambda", "b-danger"):
            await app.click(ident)
        assert clicks == ["sync", "async", "lambda", "danger"]
        assert isinstance(app.by_key("b-sync"), ft.TextButton)
        assert isinstance(app.by_key("b-async"), ft.FilledTonalButton)
        assert isinstance(app.by_key("b-lambda"), ft.OutlinedButton)
        danger = app.by_key("b-danger")
        assert isinstance(danger, ft.FilledButton) and danger.style.bgcolor == ft.Colors.ERROR
        assert app.by_key("b-none").disabled and app.by_key("b-none").expand
        assert app.by_key("b-off").disabled
        assert app.by_identifier("b-danger").content is danger


async def test_outcome_lines_hide_until_there_is_something_to_say() -> None:
    props: Props = Props(None)

    def render(outcome: Notice | None) -> ft.Control:
        return ft.Column(
            [
                outcome_line(outcome, "full"),
                outcome_line(outcome, "compact", compact=True),
            ]
        )

    async with FakeApp(mount(strict_ui(), with_props(props, render))) as app:
        assert not app.has_key("full") and not app.has_key("compact")
        props.value = notice("Charger CP-7 is offline (no heartbeat for 5 min)")
        await app.settle()
        assert app.by_key("full").color == ft.Colors.ERROR
        compact = app.by_key("compact")
        assert compact.value == "Charger CP-7 is offline (no heartbeat for 5 min)"
        assert compact.color == ft.Colors.ERROR and compact.selectable
        assert [i.icon for i in app.find_all(ft.Icon)] == [ft.Icons.ERROR]
        props.value = notice("Saved", ok=True)
        await app.settle()
        assert (
            app.by_key("full").color is None and app.by_key("compact").color == ft.Colors.GREEN_800
        )
        assert [i.icon for i in app.find_all(ft.Icon)] == [ft.Icons.CHECK_CIRCLE]
        props.value = notice("")
        await app.settle()
        assert not app.has_key("full") and not app.has_key("compact")

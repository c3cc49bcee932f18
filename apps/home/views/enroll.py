"""Enrolment: find the charger nearby, then scan its label QR, pick a photo of it, or type
the printed code; choose owner or household member and name this phone."""

from __future__ import annotations

import asyncio
from pathlib import Path

import flet as ft

from apps.home.ble.link import DiscoveredCharger
from apps.home.state.base import Outcome
from apps.home.state.enrollment import EnrollState
from apps.home.views.camera import show_camera_dialog
from apps.home.views.common import card, use_services
from home_protocol.reasons import Role
from shared import (
    LanguageSwitch,
    LoadableView,
    LoadState,
    ThemeToggle,
    UiState,
    action_button,
    outcome_line,
    slug,
    spacing,
    text_field,
    use_form,
    use_ui,
)

__all__ = ["EnrollView"]


def _nearby_row(ui: UiState, found: DiscoveredCharger) -> ft.Control:
    window = "enroll.window_open" if found.pairing_window_open else "enroll.window_closed"
    signal = f" · {found.rssi} dBm" if found.rssi is not None else ""
    return ft.ListTile(
        key=slug("nearby", found.name),
        leading=ft.Icon(ft.Icons.EV_STATION),
        title=ft.Text(found.name),
        subtitle=ft.Text(ui.t(window) + signal),
        dense=True,
    )


def _nearby(ui: UiState, enroll: EnrollState) -> ft.Control:
    rows: list[ft.Control] = [
        ft.Text(ui.t("enroll.nearby_hint"), size=12, color=ft.Colors.ON_SURFACE_VARIANT)
    ]
    if enroll.nearby is not None:
        rows.append(
            LoadableView(
                enroll.nearby,
                lambda found: ft.Column([_nearby_row(ui, f) for f in found], spacing=0),
                on_retry=enroll.scan,
                empty_message=ui.t("enroll.nearby_none"),
                ident="nearby",
            )
        )
    rows.append(
        action_button(
            "scan-nearby",
            ui.t("enroll.scan"),
            enroll.scan,
            icon=ft.Icons.BLUETOOTH_SEARCHING,
            kind="tonal",
            disabled=enroll.nearby is not None and enroll.nearby.state is LoadState.LOADING,
        )
    )
    return card(ui.t("enroll.nearby_title"), rows, "nearby-card")


@ft.component
def EnrollView(enroll: EnrollState, notice: Outcome | None = None) -> ft.View:
    """The whole enrolment page (shown until this phone is paired with a charger)."""
    ui = use_ui()
    services = use_services()
    form = use_form()
    member, set_member = ft.use_state(False)

    def role() -> Role:
        return Role.MEMBER if member else Role.OWNER

    async def submit() -> None:
        await enroll.enroll(form.get("code"), role=role(), name=form.get("name"))

    async def picture(data: bytes) -> None:
        await enroll.enroll_from_picture(data, role=role(), name=form.get("name"))

    async def use_camera() -> None:
        page = ft.context.page
        assert isinstance(page, ft.Page)
        await show_camera_dialog(page, ui, picture, enroll.fail)

    async def pick_photo() -> None:
        picker = services.file_picker
        if picker is None:
            picker = services.file_picker = ft.FilePicker()
        try:
            files = await picker.pick_files(
                dialog_title=ui.t("enroll.photo"),
                file_type=ft.FilePickerFileType.IMAGE,
                with_data=True,
            )
            if not files:
                return
            chosen = files[0]
            data = chosen.bytes
            if data is None and chosen.path:  # desktop/phone builds give a path, web bytes
                data = await asyncio.to_thread(Path(chosen.path).read_bytes)
        except Exception as exc:  # the client reports picker failures as plain errors
            enroll.fail(ui.t("enroll.photo_failed", detail=str(exc)))
            return
        await picture(data or b"")

    def member_changed(e: ft.Event[ft.Switch]) -> None:
        set_member(bool(e.control.value))

    busy = enroll.working
    label_card = card(
        ui.t("enroll.label_title"),
        [
            ft.Text(ui.t("enroll.label_hint"), size=12, color=ft.Colors.ON_SURFACE_VARIANT),
            ft.Row(
                [
                    action_button(
                        "enroll-camera",
                        ui.t("enroll.camera"),
                        use_camera,
                        icon=ft.Icons.QR_CODE_SCANNER,
                        kind="tonal",
                        disabled=busy,
                    ),
                    action_button(
                        "enroll-photo",
                        ui.t("enroll.photo"),
                        pick_photo,
                        icon=ft.Icons.IMAGE,
                        kind="outlined",
                        disabled=busy,
                    ),
                ],
                wrap=True,
                spacing=spacing.sm,
            ),
            ft.Divider(),
            ft.Text(ui.t("enroll.or_type"), size=12, color=ft.Colors.ON_SURFACE_VARIANT),
            text_field(
                form,
                "code",
                ui.t("enroll.code"),
                "enroll-code",
                hint="CPH-SIM-0001:ABCD-EFGH-…",
                on_submit=submit,
            ),
            text_field(
                form,
                "name",
                ui.t("enroll.name"),
                "enroll-name",
                default=ui.t("enroll.default_name"),
            ),
            ft.Row(
                [
                    ft.Semantics(
                        identifier="enroll-member",
                        label=ui.t("enroll.as_member"),
                        content=ft.Switch(
                            key="enroll-member", value=member, on_change=member_changed
                        ),
                    ),
                    ft.Text(ui.t("enroll.as_member"), expand=True),
                ]
            ),
            ft.Row(
                [
                    action_button(
                        "enroll-submit",
                        ui.t("enroll.submit"),
                        submit,
                        icon=ft.Icons.LINK,
                        disabled=busy,
                    ),
                    ft.ProgressRing(width=20, height=20, visible=busy, key="enroll-progress"),
                ],
                spacing=spacing.md,
            ),
            ft.Text(
                ui.t("enroll.scanned", text=enroll.scanned),
                key="enroll-scanned",
                size=12,
                visible=bool(enroll.scanned),
            ),
            outcome_line(Outcome(False, enroll.error) if enroll.error else None, "enroll-error"),
        ],
        "label-card",
    )
    body: list[ft.Control] = [ft.Text(ui.t("enroll.intro"))]
    if notice is not None:
        body.append(outcome_line(notice, "enroll-notice"))
    body += [label_card, _nearby(ui, enroll)]
    return ft.View(
        route="/",
        appbar=ft.AppBar(
            title=ft.Text(ui.t("enroll.title")), actions=[LanguageSwitch(), ThemeToggle()]
        ),
        controls=[
            ft.Column(
                body,
                key="enroll-screen",
                spacing=spacing.lg,
                scroll=ft.ScrollMode.AUTO,
                expand=True,
            )
        ],
        padding=spacing.lg,
    )

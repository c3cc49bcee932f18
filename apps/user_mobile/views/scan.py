"""Scan: the charger's QR code with the camera, from a picture, or typed from its label.

Every route leads to the same charger screen as the QR's deep link. A code that is not a
charger of this network (another network's QR, an EVSE id, a web page) is refused with a
sentence saying so; a well-formed code of an unknown or retired charger is refused by the
charger screen itself ("no charger … on this network").
"""

from __future__ import annotations

import flet as ft
import flet_camera as fc

from apps.user_mobile.state.app import DriverState
from apps.user_mobile.state.links import ChargerRef
from apps.user_mobile.state.scan import ScanModel
from apps.user_mobile.views.common import heading
from shared import action_button, notice, outcome_line, spacing, text_field, use_form, use_ui

__all__ = ["ScanScreen"]


def _new_camera() -> fc.Camera:
    return fc.Camera(key="camera", width=320, height=240, preview_enabled=True)


def _new_picker() -> ft.FilePicker:
    return ft.FilePicker()


@ft.component
def ScanScreen(state: DriverState, scan: ScanModel) -> ft.Control:
    ui = use_ui()
    form = use_form()
    camera_ref: ft.MutableRef[fc.Camera] = ft.use_ref(_new_camera)
    picker_ref: ft.MutableRef[ft.FilePicker] = ft.use_ref(_new_picker)
    camera = camera_ref.current
    assert isinstance(camera, fc.Camera)

    async def found(ref: ChargerRef | None) -> None:
        if ref is not None:
            scan.camera_on = False
            await state.go(ref.route)

    async def typed() -> None:
        await found(scan.read_text(form.get("code")))

    async def start_camera() -> None:
        scan.camera_error, scan.camera_on = None, True

    async def init_camera() -> None:
        if not scan.camera_on:
            return
        try:
            cameras = await camera.get_available_cameras()
            if not cameras:
                scan.camera_error = ui.t("scan.no_camera")
                return
            await camera.initialize(cameras[0], fc.ResolutionPreset.MEDIUM, enable_audio=False)
        except Exception as exc:  # the client reports permission/device errors as text
            scan.camera_error = ui.t("scan.camera_failed", reason=str(exc)[:120])

    ft.use_effect(init_camera, [scan.camera_on])

    async def shoot() -> None:
        try:
            picture = await camera.take_picture()
        except Exception as exc:  # same: a client-side failure arrives as an error string
            scan.camera_error = ui.t("scan.camera_failed", reason=str(exc)[:120])
            return
        await found(await scan.read_image(picture))

    async def pick() -> None:
        picker = picker_ref.current
        assert picker is not None
        files = await picker.pick_files(
            allow_multiple=False, with_data=True, file_type=ft.FilePickerFileType.IMAGE
        )
        if files and files[0].bytes:
            await found(await scan.read_image(files[0].bytes))

    controls: list[ft.Control] = [heading(ui.t("scan.title"))]
    if scan.camera_on:
        controls += [
            ft.Container(camera, border_radius=12, clip_behavior=ft.ClipBehavior.HARD_EDGE),
            outcome_line(notice(scan.camera_error), "camera-error", compact=True),
            action_button(
                "scan-shoot",
                ui.t("scan.shoot"),
                None if scan.busy else shoot,
                icon=ft.Icons.CAMERA,
                expand=True,
            ),
        ]
    else:
        controls.append(
            action_button(
                "scan-camera",
                ui.t("scan.camera"),
                start_camera,
                icon=ft.Icons.QR_CODE_SCANNER,
                expand=True,
            )
        )
    controls += [
        action_button("scan-image", ui.t("scan.image"), pick, kind="outlined", icon=ft.Icons.IMAGE),
        ft.Divider(),
        ft.Text(ui.t("scan.type_hint"), size=12),
        ft.Row(
            [
                ft.Container(
                    text_field(
                        form,
                        "code",
                        ui.t("scan.code"),
                        "scan-code",
                        hint="CP-1 · 1",
                        on_submit=typed,
                    ),
                    expand=True,
                ),
                action_button("scan-go", ui.t("scan.go"), typed),
            ]
        ),
        outcome_line(notice(scan.error), "scan-error", compact=True),
    ]
    if scan.busy:
        controls.append(ft.ProgressRing(key="scan-busy"))
    return ft.Column(controls, spacing=spacing.md)

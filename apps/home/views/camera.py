"""Taking a picture of the charger's label with the device camera (``flet_camera``).

Why a dialog of its own: the camera must be initialised *after* its control reached the client,
and released when the dialog closes whatever happened; the picture goes to the enrolment model,
which decodes the QR code. Works in the browser and on phones, not in desktop builds (no
flet_camera backend there), where the user picks a photo or types the code instead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft
import flet_camera as fc

from shared import UiState, action_button

__all__ = ["show_camera_dialog"]

OnPicture = Callable[[bytes], Awaitable[object]]
OnFailure = Callable[[str], None]


async def show_camera_dialog(
    page: ft.Page, ui: UiState, on_picture: OnPicture, on_failure: OnFailure
) -> None:
    """Open the camera preview with a "Capture" button; calls ``on_picture(jpeg)`` once."""
    camera = fc.Camera(key="camera-preview", width=320, height=240, preview_enabled=True)
    status = ft.Text(ui.t("camera.starting"), key="camera-status")
    capture_done = False

    def close() -> None:
        if dialog.open:
            page.pop_dialog()

    async def capture() -> None:
        nonlocal capture_done
        if capture_done:
            return
        try:
            picture = await camera.take_picture()
        except Exception as exc:  # the client reports camera failures as plain errors
            close()
            on_failure(ui.t("camera.failed", detail=str(exc)))
            return
        capture_done = True
        close()
        await on_picture(bytes(picture))

    dialog = ft.AlertDialog(
        key="camera-dialog",
        title=ft.Text(ui.t("camera.title")),
        content=ft.Column([camera, status], tight=True, width=320),
        actions=[
            action_button("camera-cancel", ui.t("common.cancel"), close, kind="text"),
            action_button("camera-capture", ui.t("camera.capture"), capture, icon=ft.Icons.CAMERA),
        ],
    )
    page.show_dialog(dialog)
    try:
        cameras = await camera.get_available_cameras()
        if not cameras:
            raise LookupError(ui.t("camera.none"))
        back = [c for c in cameras if c.lens_direction == fc.CameraLensDirection.BACK]
        await camera.initialize((back or cameras)[0], fc.ResolutionPreset.HIGH, enable_audio=False)
    except Exception as exc:  # no camera, permission denied, or an insecure (http) origin
        close()
        on_failure(ui.t("camera.failed", detail=str(exc)))
        return
    status.value = ui.t("camera.aim")
    status.update()

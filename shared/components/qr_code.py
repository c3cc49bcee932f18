"""QR code on screen: an image of the code with an optional caption under it.

Why a component: the accessible label and caption are translated, and the PNG is generated once
per distinct payload (memoised), not on every re-render of a list of connectors.
"""

from __future__ import annotations

import flet as ft

from shared.components.base import slug
from shared.qr import qr_png
from shared.state import use_ui
from shared.theme import spacing

__all__ = ["QrCode"]


@ft.component
def QrCode(data: str, ident: str, caption: str | None = None, size: float = 220) -> ft.Control:
    """The QR code of ``data`` (``key="qr-<ident>"``, PNG bytes in ``Image.src``) and a caption."""
    ui = use_ui()
    png = ft.use_memo(lambda: qr_png(data, box_size=8), [data])
    key = slug("qr", ident)
    controls: list[ft.Control] = [
        ft.Container(
            bgcolor=ft.Colors.WHITE,  # scanners need the quiet zone white even in dark mode
            padding=spacing.sm,
            border_radius=8,
            content=ft.Image(
                src=png,
                width=size,
                height=size,
                key=key,
                fit=ft.BoxFit.CONTAIN,
                filter_quality=ft.FilterQuality.NONE,
                semantics_label=ui.t("qr.image_label", target=caption or data),
            ),
        )
    ]
    if caption:
        controls.append(ft.Text(caption, weight=ft.FontWeight.BOLD, selectable=True))
    return ft.Column(
        controls, horizontal_alignment=ft.CrossAxisAlignment.CENTER, spacing=spacing.sm, tight=True
    )

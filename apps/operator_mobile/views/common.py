"""Building blocks only the operator screens use: page services, the screen frame and file
downloads (forms, buttons and outcome lines come from :mod:`shared`).

Why: "save this file" means a browser download in web mode and a save dialog on phones, and
Flet drops page services nothing references.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import flet as ft

__all__ = ["SERVICES", "Services", "save_file", "screen", "use_services"]


@dataclass(eq=False)
class Services:
    """Per-session page services and settings (kept referenced: Flet drops orphans)."""

    public_driver_url: str
    file_picker: ft.FilePicker | None = None
    keep: list[object] = field(default_factory=list)


SERVICES: ft.ContextProvider[Services | None] = ft.create_context(None)


def use_services() -> Services:
    services = ft.use_context(SERVICES)
    assert services is not None, "render the operator app through SERVICES(...)"
    return services


@ft.component
def screen(title: str, actions: list[ft.Control], body: list[ft.Control], ident: str) -> ft.Control:
    """A scrolling screen with a title row (title left, actions right)."""
    return ft.Column(
        [
            # Not a wrapping row: an expanded child inside a Wrap has no width to expand into.
            ft.Row(
                [
                    ft.Text(
                        title,
                        size=22,
                        weight=ft.FontWeight.BOLD,
                        expand=True,
                        max_lines=1,
                        overflow=ft.TextOverflow.ELLIPSIS,
                    ),
                    *actions,
                ],
            ),
            *body,
        ],
        key=ident,
        spacing=12,
        scroll=ft.ScrollMode.AUTO,
        expand=True,
    )


async def save_file(services: Services, name: str, data: bytes) -> str | None:
    """Offer ``data`` as file ``name`` (a download in the browser); the path chosen, if any."""
    picker = services.file_picker
    if picker is None:
        picker = services.file_picker = ft.FilePicker()
    return await picker.save_file(file_name=name, src_bytes=data)

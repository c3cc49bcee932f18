"""Building blocks only the home screens use: section cards, charger-clock times and the
per-session page services (forms, buttons and outcome lines come from :mod:`shared`).

Why: the charger's clock counts *local* seconds, which must be shown as such, not shifted by
the server's time zone; and Flet drops page services nothing references.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import flet as ft

from shared import spacing

__all__ = ["SERVICES", "Services", "card", "charger_time", "use_services"]


@dataclass(eq=False)
class Services:
    """Per-session page services (kept referenced here: Flet drops unreferenced ones)."""

    file_picker: ft.FilePicker | None = None
    keep: list[object] = field(default_factory=list)


SERVICES: ft.ContextProvider[Services | None] = ft.create_context(None)


def use_services() -> Services:
    services = ft.use_context(SERVICES)
    assert services is not None, "render the home app through SERVICES(...)"
    return services


def card(title: str, controls: list[ft.Control], ident: str) -> ft.Control:
    """A titled card section of a screen."""
    return ft.Card(
        key=ident,
        content=ft.Container(
            padding=spacing.lg,
            content=ft.Column(
                [ft.Text(title, size=16, weight=ft.FontWeight.BOLD), *controls],
                spacing=spacing.md,
                tight=True,
            ),
        ),
    )


def charger_time(seconds: int) -> datetime:
    """A charger timestamp as the wall-clock time it counts (no zone shift)."""
    return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)

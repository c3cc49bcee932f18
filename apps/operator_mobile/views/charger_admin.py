"""Console-only management of one charger: edit it, add or retire connectors, retire it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from apps.operator_mobile.state.base import Outcome
from apps.operator_mobile.state.catalog import CatalogState
from apps.operator_mobile.views.catalog import form_dialog
from backend_client.models import ChargerPublic
from shared import UiState, action_button, ask_confirmation, slug

__all__ = ["charger_admin_card"]


def charger_admin_card(
    ui: UiState,
    catalog: CatalogState,
    charger: ChargerPublic,
    refresh: Callable[[], Awaitable[None]],
) -> ft.Control:
    """Edit / add connectors / retire connector n / retire charger, each followed by a reload
    of the detail so the operator sees the result."""
    ident = slug("charger-admin", charger.ocpp_id)

    async def then_refresh(outcome: Outcome) -> Outcome:
        if outcome.ok:
            await refresh()
        return outcome

    def edit() -> None:
        form_dialog(
            ui,
            slug(ident, "edit"),
            ui.t("catalog.edit_charger", ocpp_id=charger.ocpp_id),
            [
                ("vendor", ui.t("catalog.vendor")),
                ("model", ui.t("catalog.model")),
                ("serial_number", ui.t("catalog.serial")),
            ],
            lambda v: _chain(catalog.update_charger(charger.id, v), then_refresh),
            initial={
                "vendor": charger.vendor,
                "model": charger.model,
                "serial_number": charger.serial_number or "",
            },
        )

    def add_connectors() -> None:
        free = max((c.connector_no for c in charger.connectors), default=0) + 1
        form_dialog(
            ui,
            slug(ident, "connectors"),
            ui.t("catalog.add_connectors", ocpp_id=charger.ocpp_id),
            [("spec", ui.t("catalog.connectors_spec"))],
            lambda v: _chain(catalog.add_connector(charger.id, v.get("spec", "")), then_refresh),
            initial={"spec": f"{free}:GBT_DC:60"},
        )

    def retire(kind: str, connector_no: int = 0) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            page = ft.context.page
            assert isinstance(page, ft.Page)
            name = charger.ocpp_id if kind == "charger" else f"{charger.ocpp_id}/{connector_no}"
            if await ask_confirmation(
                page,
                ui,
                title=ui.t("catalog.retire_title", name=name),
                message=ui.t("catalog.retire_message"),
                destructive=True,
                ident=slug(ident, "retire", kind, connector_no, "confirm"),
            ):
                await then_refresh(await catalog.retire(kind, charger.id, connector_no))

        return run

    active = [c for c in charger.connectors if c.status == "active"]
    return ft.Card(
        key=ident,
        content=ft.Container(
            ft.Column(
                [
                    ft.Text(ui.t("catalog.manage_charger"), weight=ft.FontWeight.BOLD),
                    ft.Row(
                        [
                            action_button(
                                slug(ident, "edit"),
                                ui.t("common.edit"),
                                edit,
                                icon=ft.Icons.EDIT,
                                kind="text",
                            ),
                            action_button(
                                slug(ident, "add-connectors"),
                                ui.t("catalog.add_connectors_short"),
                                add_connectors,
                                icon=ft.Icons.ADD,
                                kind="text",
                            ),
                            action_button(
                                slug(ident, "retire"),
                                ui.t("common.retire"),
                                retire("charger"),
                                icon=ft.Icons.ARCHIVE,
                                kind="text",
                            ),
                        ],
                        wrap=True,
                    ),
                    ft.Row(
                        [
                            action_button(
                                slug(ident, "retire-connector", c.connector_no),
                                ui.t("catalog.retire_connector", no=c.connector_no),
                                retire("connector", c.connector_no),
                                kind="text",
                                disabled=len(active) <= 1,
                            )
                            for c in active
                        ],
                        wrap=True,
                    ),
                ],
                spacing=4,
            ),
            padding=14,
        ),
    )


async def _chain(
    first: Awaitable[Outcome], then: Callable[[Outcome], Awaitable[Outcome]]
) -> Outcome:
    return await then(await first)

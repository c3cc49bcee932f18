"""Console dialogs for the network records: add/edit/retire stations, add chargers and
connectors, and the CSV bulk import (pick a file or paste text)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from apps.operator_mobile.state.base import Outcome
from apps.operator_mobile.state.catalog import CatalogState
from backend_client.models import StationPublic
from shared import FormValues, UiState, action_button, ask_confirmation, slug, text_field, use_ui

__all__ = ["StationActions", "catalog_toolbar", "form_dialog"]

Save = Callable[[dict[str, str]], Awaitable[Outcome]]


def form_dialog(
    ui: UiState,
    ident: str,
    title: str,
    fields: list[tuple[str, str]],
    on_save: Save,
    *,
    initial: dict[str, str] | None = None,
    multiline: tuple[str, ...] = (),
    extra: list[ft.Control] | None = None,
) -> ft.AlertDialog:
    """Show a dialog of text fields; Save calls ``on_save(values)`` and closes on success,
    otherwise shows the precise problem and keeps what was typed."""
    page = ft.context.page
    assert isinstance(page, ft.Page)
    values = FormValues(initial)
    error = ft.Text(
        "", key=slug(ident, "error"), color=ft.Colors.ERROR, visible=False, selectable=True
    )

    async def save() -> None:
        outcome = await on_save(dict(values.current))
        if outcome.ok:
            page.pop_dialog()
        else:
            error.value, error.visible = outcome.message, True
            error.update()

    controls: list[ft.Control] = [
        text_field(values, name, label, slug(ident, name), multiline=name in multiline)
        for name, label in fields
    ]
    dialog = ft.AlertDialog(
        key=slug(ident, "dialog"),
        title=ft.Text(title),
        content=ft.Column(
            [*controls, *(extra or []), error], tight=True, width=420, scroll=ft.ScrollMode.AUTO
        ),
        actions=[
            action_button(
                slug(ident, "cancel"), ui.t("common.cancel"), page.pop_dialog, kind="text"
            ),
            action_button(slug(ident, "save"), ui.t("common.save"), save),
        ],
    )
    page.show_dialog(dialog)
    return dialog


def _station_fields(ui: UiState) -> list[tuple[str, str]]:
    return [
        ("name", ui.t("catalog.name")),
        ("address", ui.t("catalog.address")),
        ("city", ui.t("catalog.city")),
        ("latitude", ui.t("catalog.latitude")),
        ("longitude", ui.t("catalog.longitude")),
        ("opening_hours", ui.t("catalog.opening_hours")),
        ("tariff", ui.t("catalog.tariff")),
    ]


def catalog_toolbar(catalog: CatalogState) -> ft.Control:
    """Add station, import stations, import chargers."""
    ui = use_ui()

    def add_station() -> None:
        form_dialog(
            ui,
            "station-form",
            ui.t("catalog.add_station"),
            _station_fields(ui),
            lambda v: catalog.save_station(None, v),
            initial={"opening_hours": "24/7"},
        )

    def import_dialog(kind: str) -> None:
        page = ft.context.page
        assert isinstance(page, ft.Page)

        async def pick() -> None:
            files = await ft.FilePicker().pick_files(
                allowed_extensions=["csv"], file_type=ft.FilePickerFileType.CUSTOM, with_data=True
            )
            if files and files[0].bytes is not None:
                text = files[0].bytes.decode("utf-8-sig", errors="replace")
                page.pop_dialog()
                await catalog.import_csv(kind, text)

        hint = ui.t(f"catalog.csv_{kind}")
        form_dialog(
            ui,
            f"import-{kind}",
            ui.t(f"catalog.import_{kind}"),
            [("csv", hint)],
            lambda v: catalog.import_csv(kind, v.get("csv", "")),
            multiline=("csv",),
            extra=[
                action_button(
                    f"import-{kind}-pick",
                    ui.t("catalog.pick_file"),
                    pick,
                    icon=ft.Icons.UPLOAD_FILE,
                    kind="outlined",
                )
            ],
        )

    return ft.Row(
        [
            action_button(
                "station-add",
                ui.t("catalog.add_station"),
                add_station,
                icon=ft.Icons.ADD_LOCATION_ALT,
                kind="tonal",
            ),
            action_button(
                "import-stations",
                ui.t("catalog.import_stations"),
                lambda: import_dialog("stations"),
                icon=ft.Icons.UPLOAD,
                kind="outlined",
            ),
            action_button(
                "import-chargers",
                ui.t("catalog.import_chargers"),
                lambda: import_dialog("chargers"),
                icon=ft.Icons.UPLOAD,
                kind="outlined",
            ),
        ],
        wrap=True,
    )


@ft.component
def StationActions(catalog: CatalogState, station: StationPublic) -> ft.Control:
    """Edit, add a charger, retire (console only)."""
    ui = use_ui()
    ident = slug("station", station.id)

    def edit() -> None:
        initial = {
            name: str(getattr(station, name)) for name, _ in _station_fields(ui) if name != "tariff"
        }
        form_dialog(
            ui,
            slug(ident, "form"),
            ui.t("catalog.edit_station"),
            _station_fields(ui),
            lambda v: catalog.save_station(station.id, v),
            initial=initial,
        )

    def add_charger() -> None:
        form_dialog(
            ui,
            slug(ident, "charger-form"),
            ui.t("catalog.add_charger", station=station.name),
            [
                ("ocpp_id", "chargePointId"),
                ("vendor", ui.t("catalog.vendor")),
                ("model", ui.t("catalog.model")),
                ("connectors", ui.t("catalog.connectors_spec")),
            ],
            lambda v: catalog.add_charger(
                station.id,
                v.get("ocpp_id", ""),
                v.get("vendor", ""),
                v.get("model", ""),
                v.get("connectors", ""),
            ),
            initial={"connectors": "1:GBT_DC:60"},
        )

    async def retire() -> None:
        page = ft.context.page
        assert isinstance(page, ft.Page)
        if await ask_confirmation(
            page,
            ui,
            title=ui.t("catalog.retire_title", name=station.name),
            message=ui.t("catalog.retire_message"),
            destructive=True,
            ident=slug(ident, "retire-confirm"),
        ):
            await catalog.retire("station", station.id)

    return ft.Row(
        [
            action_button(
                slug(ident, "edit"), ui.t("common.edit"), edit, icon=ft.Icons.EDIT, kind="text"
            ),
            action_button(
                slug(ident, "add-charger"),
                ui.t("catalog.charger"),
                add_charger,
                icon=ft.Icons.ADD,
                kind="text",
            ),
            action_button(
                slug(ident, "retire"),
                ui.t("common.retire"),
                retire,
                icon=ft.Icons.ARCHIVE,
                kind="text",
            ),
        ],
        tight=True,
    )

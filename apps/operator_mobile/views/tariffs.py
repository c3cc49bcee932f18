"""Tariffs with time-of-use bands: list, create, retire (console)."""

from __future__ import annotations

from decimal import Decimal

import flet as ft

from apps.operator_mobile.state.base import Outcome
from apps.operator_mobile.state.manage import TariffsState, parse_bands
from apps.operator_mobile.views.catalog import form_dialog
from apps.operator_mobile.views.common import screen
from backend_client.models import TariffPublic
from shared import (
    LoadableView,
    UiState,
    action_button,
    ask_confirmation,
    currency_symbol,
    outcome_line,
    slug,
    use_ui,
)

__all__ = ["TariffsScreen"]


def price(value: Decimal, currency: str) -> str:
    """``¥1.20``: at least two decimals, more only when the tariff has them (``¥0.4575``)."""
    text = f"{value:.2f}" if value == value.quantize(Decimal("0.01")) else f"{value.normalize()}"
    return f"{currency_symbol(currency)}{text}"


def _tariff_card(ui: UiState, tariffs: TariffsState, tariff: TariffPublic) -> ft.Control:
    ident = slug("tariff", tariff.id)
    bands = [
        f"{b.start}–{b.end} {b.label} {price(b.energy_price, tariff.currency)}/kWh".replace(
            "  ", " "
        )
        for b in tariff.bands
    ]

    async def retire() -> None:
        page = ft.context.page
        assert isinstance(page, ft.Page)
        if await ask_confirmation(
            page,
            ui,
            title=ui.t("catalog.retire_title", name=tariff.name),
            message=ui.t("tariffs.retire_message"),
            destructive=True,
            ident=slug(ident, "retire-confirm"),
        ):
            await tariffs.retire(tariff.id)

    lines: list[ft.Control] = [
        ft.Row(
            [
                ft.Text(tariff.name, weight=ft.FontWeight.BOLD, size=16, expand=True),
                *(
                    [
                        action_button(
                            slug(ident, "retire"),
                            ui.t("common.retire"),
                            retire,
                            icon=ft.Icons.ARCHIVE,
                            kind="text",
                        )
                    ]
                    if tariff.status == "active"
                    else [ft.Text(ui.t("common.retired_badge"))]
                ),
            ]
        ),
        ft.Text(
            ui.t(
                "tariffs.base",
                price=price(tariff.energy_price, tariff.currency),
                time=price(tariff.time_price, tariff.currency),
            )
        ),
        *[ft.Text(b, size=12) for b in bands],
    ]
    if not bands:
        lines.append(ft.Text(ui.t("tariffs.no_bands"), size=12, color=ft.Colors.ON_SURFACE_VARIANT))
    return ft.Card(key=ident, content=ft.Container(ft.Column(lines, spacing=4), padding=14))


@ft.component
def TariffsScreen(tariffs: TariffsState) -> ft.Control:
    ui = use_ui()

    async def save(values: dict[str, str]) -> Outcome:
        try:
            bands = parse_bands(values.get("bands", ""))
        except ValueError as exc:
            return Outcome(False, ui.t("form.invalid", problems=str(exc)))
        return await tariffs.create(
            name=values.get("name", ""),
            currency=values.get("currency", "CNY"),
            energy_price=values.get("energy_price", ""),
            time_price=values.get("time_price", "0"),
            bands=bands,
        )

    def add() -> None:
        form_dialog(
            ui,
            "tariff-form",
            ui.t("tariffs.add"),
            [
                ("name", ui.t("catalog.name")),
                ("currency", ui.t("tariffs.currency")),
                ("energy_price", ui.t("tariffs.energy_price")),
                ("time_price", ui.t("tariffs.time_price")),
                ("bands", ui.t("tariffs.bands_hint")),
            ],
            save,
            initial={"currency": "CNY", "time_price": "0"},
            multiline=("bands",),
        )

    return screen(
        ui.t("nav.tariffs"),
        [action_button("tariff-add", ui.t("tariffs.add"), add, icon=ft.Icons.ADD)],
        [
            outcome_line(tariffs.outcome, "tariffs-outcome"),
            LoadableView(
                tariffs.tariffs,
                lambda items: ft.Column([_tariff_card(ui, tariffs, t) for t in items], spacing=8),
                on_retry=tariffs.reload,
                empty_message=ui.t("tariffs.none"),
                ident="tariffs",
            ),
        ],
        "screen-tariffs",
    )

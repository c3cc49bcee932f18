"""The charger screen a QR code opens: where it is, each connector's live status, the price in
force (energy, time, idle fee, peak/off-peak and the next change) and how to pay — shown before
anything is started or held. Guests pay by card hold; signed-in drivers choose wallet or card.
"""

from __future__ import annotations

from decimal import Decimal

import flet as ft

from apps.user_mobile.state.account import AccountModel
from apps.user_mobile.state.app import DriverState
from apps.user_mobile.state.charger import ChargerModel
from apps.user_mobile.state.errors import CardRejected, describe_error
from apps.user_mobile.state.pricing import unit_price
from apps.user_mobile.views.common import band_name, go_to, heading, line
from backend_client.models import ChargerStatus, PayWith, PriceQuote
from shared import (
    ConnectorStatus,
    LoadableView,
    StatusBadge,
    UiState,
    action_button,
    notice,
    outcome_line,
    show_confirmation,
    slug,
    spacing,
    tagged,
    text_field,
    use_form,
    use_ui,
)

__all__ = ["ChargerScreen"]

TEST_CARD = "4242 4242 4242 4242"


def _connectors(ui: UiState, quote: PriceQuote, charger: ChargerStatus | None) -> ft.Control:
    rows: list[ft.Control] = []
    connectors = charger.connectors if charger is not None else []
    online = charger.is_online if charger is not None else True
    for c in connectors:
        status = ConnectorStatus.from_wire(c.ocpp_status, online=online)
        mine = c.connector_no == quote.connector_no
        rows.append(
            ft.Container(
                key=slug("connector", quote.ocpp_id, c.connector_no),
                border=ft.Border.all(
                    2 if mine else 1, ft.Colors.PRIMARY if mine else ft.Colors.OUTLINE_VARIANT
                ),
                border_radius=8,
                padding=spacing.sm,
                content=ft.Row(
                    [
                        ft.Column(
                            [
                                ft.Text(
                                    ui.t("charger.connector", id=c.connector_no),
                                    weight=ft.FontWeight.BOLD,
                                ),
                                ft.Text(
                                    f"{ui.t('plug.' + str(c.connector_type))} · "
                                    f"{ui.power(c.max_kw)}",
                                    size=12,
                                ),
                            ],
                            spacing=0,
                            expand=True,
                        ),
                        StatusBadge(status, ident=slug(quote.ocpp_id, c.connector_no), dense=True),
                    ]
                ),
            )
        )
    if not rows:  # station detail unavailable: show the quote's own status
        status = ConnectorStatus.from_wire(quote.connector_status)
        rows.append(StatusBadge(status, ident=slug(quote.ocpp_id, quote.connector_no)))
    return ft.Column(rows, spacing=spacing.sm)


def _price(ui: UiState, quote: PriceQuote) -> ft.Control:
    cur = quote.currency
    lines: list[ft.Control] = [
        ft.Row(
            [
                ft.Text(ui.t("price.energy"), expand=True),
                ft.Text(
                    unit_price(quote.energy_price, cur, "kWh"),
                    key="price-energy",
                    size=22,
                    weight=ft.FontWeight.BOLD,
                ),
            ]
        ),
        ft.Text(
            ui.t("price.band_now", band=band_name(ui, quote.band_label)), key="price-band", size=12
        ),
    ]
    if quote.next_change_at is not None and quote.next_energy_price is not None:
        lines.append(
            ft.Text(
                ui.t(
                    "price.next",
                    time=ui.date_time(quote.next_change_at),
                    price=unit_price(quote.next_energy_price, cur, "kWh"),
                ),
                key="price-next",
                size=12,
            )
        )
    if quote.time_price > 0:
        lines.append(
            line(ui.t("price.time"), unit_price(quote.time_price, cur, "min"), key="price-time")
        )
    if quote.idle_fee_per_minute > 0:
        lines.append(
            line(
                ui.t("price.idle", minutes=quote.idle_grace_minutes),
                unit_price(quote.idle_fee_per_minute, cur, "min"),
                key="price-idle",
            )
        )
    else:
        lines.append(line(ui.t("price.idle_none"), "—", key="price-idle"))
    if quote.tax_rate_percent > Decimal(0):
        lines.append(line(ui.t("price.tax"), f"{quote.tax_rate_percent.normalize():f} %"))
    return ft.Card(
        ft.Container(ft.Column(lines, spacing=spacing.xs), padding=spacing.lg),
        key="price-card",
    )


@ft.component
def _PayPanel(
    state: DriverState, account: AccountModel, charger: ChargerModel, quote: PriceQuote
) -> ft.Control:
    ui = use_ui()
    form = use_form()
    signed_in = account.signed_in
    method, set_method = ft.use_state(PayWith.WALLET if signed_in else PayWith.CARD)
    error, set_error = ft.use_state("")
    if not signed_in:
        method = PayWith.CARD
    hold = quote.guest_hold_minor if not signed_in else quote.card_hold_minor

    async def start() -> None:
        set_error("")
        token: str | None = None
        if method == PayWith.CARD:
            try:
                token = await account.tokenize_card(form.get("card"))
            except CardRejected as exc:
                set_error(describe_error(exc, ui.t))
                return
        page = ft.context.page
        assert isinstance(page, ft.Page)
        how = (
            ui.t("pay.confirm_card", hold=ui.money(hold, quote.currency))
            if method == PayWith.CARD
            else ui.t("pay.confirm_wallet")
        )

        async def go() -> None:
            await state.go("/session")
            await state.flow.start(
                charger, quote, pay_with=method, signed_in=signed_in, card_token=token
            )

        # Not ask_confirmation: the tap's handler returns at once and the dialog's button
        # carries on, so nothing waits on the driver inside an event handler.
        price = unit_price(quote.energy_price, quote.currency, "kWh")
        show_confirmation(
            page,
            ui,
            title=ui.t("pay.confirm_title"),
            message=ui.t("pay.confirm_price", price=price) + "\n" + how,
            confirm_label=ui.t("pay.start"),
            on_confirm=go,
            ident="start",
        )

    controls: list[ft.Control] = [heading(ui.t("pay.title"), size=16)]
    if signed_in:
        controls.append(
            tagged(
                "pay-method",
                ft.RadioGroup(
                    value=method.value,
                    on_change=lambda e: set_method(PayWith(e.control.value)),
                    content=ft.Row(
                        [
                            tagged(
                                "pay-wallet",
                                ft.Radio(value=PayWith.WALLET.value, label=ui.t("pay.wallet")),
                            ),
                            tagged(
                                "pay-card",
                                ft.Radio(value=PayWith.CARD.value, label=ui.t("pay.card")),
                            ),
                        ]
                    ),
                ),
            )
        )
    else:
        controls.append(ft.Text(ui.t("pay.guest"), size=12))
    if method == PayWith.CARD:
        controls.append(
            text_field(
                form,
                "card",
                ui.t("pay.card_number"),
                "card-number",
                keyboard=ft.KeyboardType.NUMBER,
                hint=TEST_CARD,
            )
        )
        controls.append(
            ft.Text(ui.t("pay.hold", hold=ui.money(hold, quote.currency)), size=12, key="pay-hold")
        )
    else:
        controls.append(
            ft.Text(
                ui.t(
                    "pay.wallet_min", amount=ui.money(quote.wallet_min_start_minor, quote.currency)
                ),
                size=12,
            )
        )
    controls.append(outcome_line(notice(error), "pay-error", compact=True))
    if quote.startable:
        controls.append(
            action_button("start", ui.t("pay.start"), start, icon=ft.Icons.BOLT, expand=True)
        )
    else:
        # An offline charger's last reported status is stale: say it is offline.
        online = charger.charger.is_online if charger.charger is not None else True
        status = ConnectorStatus.from_wire(quote.connector_status, online=online)
        controls.append(
            ft.Text(
                ui.t("charger.not_startable", status=ui.t(status.label_key)),
                key="not-startable",
                color=ft.Colors.ERROR,
            )
        )
        controls.append(
            action_button("refresh", ui.t("common.refresh"), charger.reload, kind="outlined")
        )
    if not signed_in:
        controls.append(
            action_button(
                "sign-in-to-pay", ui.t("pay.sign_in_wallet"), go_to(state, "/account"), kind="text"
            )
        )
    return ft.Column(
        controls, spacing=spacing.sm, horizontal_alignment=ft.CrossAxisAlignment.STRETCH
    )


@ft.component
def ChargerScreen(state: DriverState, charger: ChargerModel) -> ft.Control:
    """Price and start for the connector in ``charger.ref``."""
    ui = use_ui()

    async def report_problem() -> None:
        # Prefilled with this charger and connector; the form lives on Account.
        if charger.ref is not None:
            state.account.problem.start(charger.ref.ocpp_id, charger.ref.connector_no)
        await state.go("/account")

    def body(quote: PriceQuote) -> ft.Control:
        return ft.Column(
            [
                heading(quote.station_name),
                ft.Text(
                    ui.t("charger.code", code=f"{quote.ocpp_id} · {quote.connector_no}"),
                    key="charger-code",
                ),
                _connectors(ui, quote, charger.charger),
                _price(ui, quote),
                _PayPanel(state, state.account, charger, quote),
                action_button(
                    "report-problem",
                    ui.t("report.open"),
                    report_problem,
                    kind="text",
                    icon=ft.Icons.REPORT_PROBLEM_OUTLINED,
                ),
            ],
            spacing=spacing.md,
        )

    return LoadableView(charger.quote, body, on_retry=charger.reload, ident="charger")

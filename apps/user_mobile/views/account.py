"""Account: sign in or sign up (remembered on this device), wallet balance and top-up, a summary
of the RFID cards (managed on their own screen, ``views/cards.py``), past sessions with their
receipts (and the PDF), and reporting a problem with a charger."""

from __future__ import annotations

import flet as ft

from apps.user_mobile.state.account import AccountModel
from apps.user_mobile.state.app import DriverState
from apps.user_mobile.views.common import go_to, heading, line
from apps.user_mobile.views.problem import ProblemReportCard
from apps.user_mobile.views.receipt import ReceiptPdfButton, receipt_card
from backend_client.models import DriverCard, Receipt, SessionPublic, WalletPublic
from shared import (
    Language,
    LoadableView,
    UiState,
    action_button,
    notice,
    outcome_line,
    slug,
    spacing,
    text_field,
    use_form,
    use_ui,
)

__all__ = ["AccountScreen", "SignInForm"]


@ft.component
def SignInForm(account: AccountModel) -> ft.Control:
    """Sign in, or sign up with a switch; also shown by screens that need an account."""
    ui = use_ui()
    form = use_form()
    signing_up, set_signing_up = ft.use_state(False)

    async def submit() -> None:
        if signing_up:
            locale = "zh-CN" if ui.language == Language.ZH_CN else "en"
            await account.sign_up(form.get("email"), form.get("name"), form.get("password"), locale)
        else:
            await account.sign_in(form.get("email"), form.get("password"))

    controls: list[ft.Control] = [
        heading(ui.t("account.signup_title" if signing_up else "account.signin_title")),
        ft.Text(ui.t("account.why"), size=12),
        text_field(
            form, "email", ui.t("account.email"), "account-email", keyboard=ft.KeyboardType.EMAIL
        ),
    ]
    if signing_up:
        controls.append(text_field(form, "name", ui.t("account.name"), "account-name"))
    controls += [
        text_field(
            form,
            "password",
            ui.t("account.password"),
            "account-password",
            password=True,
            on_submit=submit,
        ),
        outcome_line(notice(account.error), "account-error", compact=True),
        action_button(
            "account-submit",
            ui.t("account.signup" if signing_up else "account.signin"),
            None if account.busy else submit,
            expand=True,
        ),
        action_button(
            "account-switch",
            ui.t("account.have_account" if signing_up else "account.no_account"),
            lambda: set_signing_up(not signing_up),
            kind="text",
        ),
    ]
    return ft.Column(controls, spacing=spacing.md)


@ft.component
def _Wallet(account: AccountModel) -> ft.Control:
    ui = use_ui()
    form = use_form()

    async def top_up() -> None:
        await account.top_up(form.get("amount"), form.get("card"))

    def render(wallet: WalletPublic) -> ft.Control:
        rows: list[ft.Control] = [
            line(
                ui.t("wallet.balance"),
                ui.money(wallet.balance_minor, wallet.currency),
                key="wallet-balance",
                strong=True,
            ),
        ]
        if wallet.held_minor:
            rows.append(
                line(
                    ui.t("wallet.held"),
                    ui.money(wallet.held_minor, wallet.currency),
                    key="wallet-held",
                )
            )
        return ft.Column(rows, spacing=spacing.xs)

    return ft.Card(
        ft.Container(
            ft.Column(
                [
                    heading(ui.t("wallet.title"), size=16),
                    LoadableView(account.wallet, render, on_retry=account.load, ident="wallet"),
                    ft.Row(
                        [
                            ft.Container(
                                text_field(
                                    form,
                                    "amount",
                                    ui.t("wallet.amount"),
                                    "topup-amount",
                                    keyboard=ft.KeyboardType.NUMBER,
                                    hint="100",
                                ),
                                width=110,
                            ),
                            ft.Container(
                                text_field(
                                    form,
                                    "card",
                                    ui.t("pay.card_number"),
                                    "topup-card",
                                    keyboard=ft.KeyboardType.NUMBER,
                                    hint="4242 4242 4242 4242",
                                ),
                                expand=True,
                            ),
                        ]
                    ),
                    outcome_line(notice(account.error), "topup-error", compact=True),
                    outcome_line(notice(account.message, ok=True), "topup-done", compact=True),
                    action_button(
                        "topup",
                        ui.t("wallet.top_up"),
                        None if account.busy else top_up,
                        kind="tonal",
                        icon=ft.Icons.ADD_CARD,
                    ),
                ],
                spacing=spacing.sm,
            ),
            padding=16,
        )
    )


def _card_summary(ui: UiState, cards: list[DriverCard]) -> ft.Control:
    return ft.Column(
        [
            ft.ListTile(
                key=slug("card", c.uid),
                leading=ft.Icon(ft.Icons.CONTACTLESS),
                title=ft.Text(c.label or c.uid),
                subtitle=ft.Text(f"{c.uid} · {c.operator_name} · {ui.t('card.' + str(c.status))}"),
            )
            for c in cards
        ],
        spacing=0,
    )


def _history(ui: UiState, account: AccountModel, sessions: list[SessionPublic]) -> ft.Control:
    rows: list[ft.Control] = []
    for s in sessions:
        subtitle = (
            f"{ui.date_time(s.started_at)} · {ui.energy(s.energy_wh / 1000)} · "
            f"{ui.money(s.cost_minor, s.currency)}"
        )
        done = str(s.status) == "completed"
        rows.append(
            action_button(
                slug("history", s.id),
                f"{s.station_name} — {subtitle}",
                (lambda sid=s.id: account.open_receipt(sid)) if done else None,
                kind="text",
                icon=ft.Icons.RECEIPT_LONG,
            )
        )
    return ft.Column(rows, spacing=0)


@ft.component
def AccountScreen(state: DriverState, account: AccountModel) -> ft.Control:
    ui = use_ui()
    if account.restoring:
        return ft.ProgressRing(key="account-restoring")
    if not account.signed_in:
        if account.problem.open:
            # Came from a charger's "Report a problem": reports need an account (the
            # per-driver limit keeps the operator's fault feed free of floods).
            return ft.Column(
                [
                    outcome_line(
                        notice(ui.t("report.sign_in_first"), ok=True),
                        "report-sign-in",
                        compact=True,
                    ),
                    SignInForm(account),
                ],
                spacing=spacing.md,
            )
        return SignInForm(account)
    principal = account.principal
    assert principal is not None
    if account.receipt is not None:

        def render(receipt: Receipt) -> ft.Control:
            return ft.Column(
                [receipt_card(ui, receipt), ReceiptPdfButton(account, receipt.session_id)],
                spacing=spacing.sm,
            )

        return ft.Column(
            [
                LoadableView(account.receipt, render, ident="history-receipt"),
                action_button(
                    "receipt-close", ui.t("common.back"), account.close_receipt, kind="outlined"
                ),
            ],
            spacing=spacing.md,
        )

    async def sign_out() -> None:
        await account.sign_out()

    return ft.Column(
        [
            heading(principal.full_name or principal.email),
            ft.Text(principal.email, size=12, key="account-email-shown"),
            _Wallet(account),
            heading(ui.t("cards.title"), size=16),
            LoadableView(
                account.cards,
                lambda cards: _card_summary(ui, cards),
                empty_message=ui.t("cards.none"),
                ident="cards",
            ),
            action_button(
                "cards-manage",
                ui.t("cards.manage"),
                go_to(state, "/account/cards"),
                kind="outlined",
                icon=ft.Icons.CONTACTLESS,
            ),
            heading(ui.t("history.title"), size=16),
            LoadableView(
                account.history,
                lambda items: _history(ui, account, items),
                empty_message=ui.t("history.none"),
                ident="history",
            ),
            ProblemReportCard(account.problem),
            action_button(
                "sign-out", ui.t("account.signout"), sign_out, kind="outlined", icon=ft.Icons.LOGOUT
            ),
        ],
        spacing=spacing.md,
    )

"""RFID cards screen: a signed-in driver links a card by the number printed on it, blocks a
lost one (it is refused at the next charger it is shown to), unblocks it, or removes it."""

from __future__ import annotations

import flet as ft

from apps.user_mobile.state.account import AccountModel
from apps.user_mobile.state.app import DriverState
from apps.user_mobile.views.account import SignInForm
from apps.user_mobile.views.common import go_to, heading
from backend_client.models import DriverCard
from shared import (
    LoadableView,
    action_button,
    notice,
    outcome_line,
    show_confirmation,
    slug,
    spacing,
    text_field,
    use_form,
    use_ui,
)

__all__ = ["CardsScreen"]


@ft.component
def _CardRow(account: AccountModel, card: DriverCard) -> ft.Control:
    """One card with its actions; each asks first (blocking is what a lost card needs, so it
    is one tap plus the confirmation)."""
    ui = use_ui()
    blocked = str(card.status) == "blocked"

    def ask(kind: str, on_confirm: object, *, destructive: bool) -> None:
        page = ft.context.page
        assert isinstance(page, ft.Page)
        name = card.label or card.uid
        show_confirmation(
            page,
            ui,
            title=ui.t(f"cards.{kind}_title", card=name),
            message=ui.t(f"cards.{kind}_message", card=name),
            confirm_label=ui.t(f"cards.{kind}"),
            destructive=destructive,
            ident=slug(f"card-{kind}", card.id),
            on_confirm=on_confirm,  # type: ignore[arg-type]
        )

    async def block() -> None:
        await account.set_card_blocked(card, True)

    async def unblock() -> None:
        await account.set_card_blocked(card, False)

    async def remove() -> None:
        await account.remove_card(card)

    busy = account.card_busy
    toggle = (
        action_button(
            slug("card-unblock", card.id),
            ui.t("cards.unblock"),
            None if busy else (lambda: ask("unblock", unblock, destructive=False)),
            kind="text",
            icon=ft.Icons.LOCK_OPEN,
        )
        if blocked
        else action_button(
            slug("card-block", card.id),
            ui.t("cards.block"),
            None if busy else (lambda: ask("block", block, destructive=True)),
            kind="text",
            icon=ft.Icons.BLOCK,
        )
    )
    return ft.Card(
        ft.Container(
            ft.Column(
                [
                    ft.ListTile(
                        leading=ft.Icon(
                            ft.Icons.CREDIT_CARD_OFF if blocked else ft.Icons.CONTACTLESS,
                            color=ft.Colors.ERROR if blocked else None,
                        ),
                        title=ft.Text(card.label or card.uid),
                        subtitle=ft.Text(
                            f"{card.uid} · {card.operator_name} · "
                            f"{ui.t('card.' + str(card.status))}",
                            key=slug("card-status", card.id),
                        ),
                    ),
                    ft.Row(
                        [
                            toggle,
                            action_button(
                                slug("card-remove", card.id),
                                ui.t("cards.remove"),
                                None if busy else (lambda: ask("remove", remove, destructive=True)),
                                kind="text",
                                icon=ft.Icons.DELETE_OUTLINE,
                            ),
                        ],
                        alignment=ft.MainAxisAlignment.END,
                        wrap=True,
                    ),
                ],
                spacing=0,
            ),
            padding=spacing.xs,
        ),
        key=slug("card-row", card.id),
    )


@ft.component
def CardsScreen(state: DriverState, account: AccountModel) -> ft.Control:
    """Account → RFID cards: link a card by its printed number, block, unblock, remove."""
    ui = use_ui()
    form = use_form()
    if account.restoring:
        return ft.ProgressRing(key="account-restoring")
    if not account.signed_in:
        return ft.Column(
            [
                outcome_line(
                    notice(ui.t("cards.sign_in_first"), ok=True), "cards-sign-in", compact=True
                ),
                SignInForm(account),
            ],
            spacing=spacing.md,
        )

    async def link() -> None:
        if await account.link_card(form.get("card-number"), form.get("card-label")):
            form.set("card-number", "")
            form.set("card-label", "")

    def render(cards: list[DriverCard]) -> ft.Control:
        return ft.Column([_CardRow(account, c) for c in cards])

    return ft.Column(
        [
            heading(ui.t("cards.title")),
            ft.Text(ui.t("cards.why"), size=12),
            LoadableView(
                account.cards,
                render,
                on_retry=account.load,
                empty_message=ui.t("cards.none"),
                ident="cards",
            ),
            outcome_line(notice(account.card_error), "cards-error", compact=True),
            outcome_line(notice(account.card_message, ok=True), "cards-done", compact=True),
            ft.Card(
                ft.Container(
                    ft.Column(
                        [
                            heading(ui.t("cards.add_title"), size=16),
                            ft.Text(ui.t("cards.add_hint"), size=12),
                            text_field(
                                form,
                                "card-number",
                                ui.t("cards.number"),
                                "card-number-field",
                                hint="04 A1 B2 C3",
                                on_submit=link,
                            ),
                            text_field(
                                form,
                                "card-label",
                                ui.t("cards.label"),
                                "card-label-field",
                                hint=ui.t("cards.label_hint"),
                            ),
                            action_button(
                                "card-link",
                                ui.t("cards.add"),
                                None if account.card_busy else link,
                                kind="tonal",
                                icon=ft.Icons.ADD_CARD,
                            ),
                        ],
                        spacing=spacing.sm,
                    ),
                    padding=16,
                )
            ),
            action_button(
                "cards-back", ui.t("common.back"), go_to(state, "/account"), kind="outlined"
            ),
        ],
        spacing=spacing.md,
    )

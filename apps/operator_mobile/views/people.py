"""Staff and roles, and drivers' RFID cards (issue, bind to a driver, block): console screens."""

from __future__ import annotations

import flet as ft

from apps.operator_mobile.state.manage import CardsState, StaffState
from apps.operator_mobile.views.catalog import form_dialog
from apps.operator_mobile.views.common import screen
from backend_client.models import CardPublic, StaffPublic
from shared import LoadableView, UiState, action_button, bind, outcome_line, slug, use_ui

__all__ = ["CardsScreen", "StaffScreen"]


def _staff_row(ui: UiState, staff: StaffState, m: StaffPublic) -> ft.Control:
    ident = slug("staff", m.id)
    admin = m.role == "admin"
    return ft.ListTile(
        key=ident,
        leading=ft.Icon(ft.Icons.ADMIN_PANEL_SETTINGS if admin else ft.Icons.PERSON),
        title=ft.Text(f"{m.full_name} · {ui.t('staff.role_' + m.role.value)}"),
        subtitle=ft.Text(m.email + ("" if m.is_active else f" · {ui.t('staff.inactive')}")),
        trailing=ft.Row(
            [
                action_button(
                    slug(ident, "role"),
                    ui.t("staff.make_staff" if admin else "staff.make_admin"),
                    bind(staff.update, m.id, not admin),
                    kind="text",
                ),
                action_button(
                    slug(ident, "active"),
                    ui.t("staff.deactivate" if m.is_active else "staff.activate"),
                    bind(staff.update, m.id, None, not m.is_active),
                    kind="text",
                ),
            ],
            tight=True,
        ),
    )


@ft.component
def StaffScreen(staff: StaffState) -> ft.Control:
    ui = use_ui()

    def add() -> None:
        form_dialog(
            ui,
            "staff-form",
            ui.t("staff.add"),
            [
                ("email", ui.t("signin.email")),
                ("full_name", ui.t("staff.name")),
                ("password", ui.t("signin.password")),
                ("admin", ui.t("staff.admin_yes")),
            ],
            lambda v: staff.create(
                email=v.get("email", ""),
                full_name=v.get("full_name", ""),
                password=v.get("password", ""),
                admin=v.get("admin", "").strip().lower() in ("yes", "y", "1", "是"),
            ),
        )

    return screen(
        ui.t("nav.staff"),
        [action_button("staff-add", ui.t("staff.add"), add, icon=ft.Icons.PERSON_ADD)],
        [
            outcome_line(staff.outcome, "staff-outcome"),
            LoadableView(
                staff.staff,
                lambda items: ft.Column([_staff_row(ui, staff, m) for m in items], spacing=0),
                on_retry=staff.reload,
                ident="staff",
            ),
        ],
        "screen-staff",
    )


def _card_row(ui: UiState, cards: CardsState, c: CardPublic) -> ft.Control:
    ident = slug("card", c.uid)
    blocked = c.status == "blocked"

    def rebind() -> None:
        form_dialog(
            ui,
            slug(ident, "bind"),
            ui.t("cards.bind_title", uid=c.uid),
            [("driver_email", ui.t("cards.driver_email"))],
            lambda v: cards.bind(c.id, v.get("driver_email", "")),
            initial={"driver_email": c.driver_email or ""},
        )

    return ft.ListTile(
        key=ident,
        leading=ft.Icon(
            ft.Icons.CREDIT_CARD_OFF if blocked else ft.Icons.CREDIT_CARD,
            color=ft.Colors.ERROR if blocked else None,
        ),
        title=ft.Text(f"{c.uid} · {c.label}".strip(" ·")),
        subtitle=ft.Text(
            (c.driver_email or ui.t("cards.unbound"))
            + (f" · {ui.t('cards.status_blocked')}" if blocked else "")
        ),
        trailing=ft.Row(
            [
                action_button(slug(ident, "bind"), ui.t("cards.bind"), rebind, kind="text"),
                action_button(
                    slug(ident, "block"),
                    ui.t("cards.unblock" if blocked else "cards.block"),
                    bind(cards.set_blocked, c.id, not blocked),
                    kind="text",
                ),
            ],
            tight=True,
        ),
    )


@ft.component
def CardsScreen(cards: CardsState) -> ft.Control:
    ui = use_ui()

    def add() -> None:
        form_dialog(
            ui,
            "card-form",
            ui.t("cards.add"),
            [
                ("uid", ui.t("cards.uid")),
                ("label", ui.t("cards.label")),
                ("driver_email", ui.t("cards.driver_email")),
            ],
            lambda v: cards.create(
                uid=v.get("uid", ""),
                label=v.get("label", ""),
                driver_email=v.get("driver_email", ""),
            ),
        )

    return screen(
        ui.t("nav.cards"),
        [action_button("card-add", ui.t("cards.add"), add, icon=ft.Icons.ADD_CARD)],
        [
            outcome_line(cards.outcome, "cards-outcome"),
            LoadableView(
                cards.cards,
                lambda items: ft.Column([_card_row(ui, cards, c) for c in items], spacing=0),
                on_retry=cards.reload,
                empty_message=ui.t("cards.none"),
                ident="cards",
            ),
        ],
        "screen-cards",
    )

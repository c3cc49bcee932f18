"""The "Report a problem" card on the Account screen: which charger (prefilled when the
driver comes from a charger screen), what is wrong, a note, send. The report lands on the
operator's fault feed; the card then confirms it, or says why it was refused."""

from __future__ import annotations

from typing import Any

import flet as ft

from apps.user_mobile.state.problem import NOTE_MAX, ProblemReportModel
from apps.user_mobile.views.common import heading
from backend_client.models import ProblemCategory
from shared import (
    FormValues,
    action_button,
    notice,
    outcome_line,
    spacing,
    tagged,
    text_field,
    use_ui,
)

__all__ = ["ProblemReportCard"]


def _fresh(problem: ProblemReportModel) -> FormValues:
    """Prefill the fields from the model (the charger the driver came from)."""
    return FormValues(
        {
            "charger": problem.ocpp_id,
            "connector": str(problem.connector_no) if problem.connector_no else "",
            "note": "",
        }
    )


@ft.component
def ProblemReportCard(problem: ProblemReportModel) -> ft.Control:
    """Closed: a "Report a problem" button (and the last confirmation). Open: the form."""
    ui = use_ui()
    # The form's fields belong to one opening of the form: a new start() prefills anew.
    opened: ft.MutableRef[tuple[int, FormValues] | None] = ft.use_ref(None)
    if opened.current is None or opened.current[0] != problem.generation:
        opened.current = (problem.generation, _fresh(problem))
    form = opened.current[1]

    if not problem.open:
        return ft.Column(
            [
                outcome_line(notice(problem.message, ok=True), "report-sent", compact=True),
                action_button(
                    "report-open",
                    ui.t("report.open"),
                    problem.start,
                    kind="outlined",
                    icon=ft.Icons.REPORT_PROBLEM_OUTLINED,
                ),
            ],
            spacing=spacing.sm,
        )

    async def send() -> None:
        await problem.send(form.get("charger"), form.get("connector"), form.get("note"))

    def chosen(e: ft.Event[ft.Dropdown]) -> None:
        problem.choose(str(e.control.value or ""))

    def note_changed(e: ft.Event[Any]) -> None:
        form.set("note", str(e.control.value or ""))

    return ft.Card(
        ft.Container(
            ft.Column(
                [
                    heading(ui.t("report.title"), size=16),
                    ft.Text(ui.t("report.why"), size=12),
                    ft.Row(
                        [
                            ft.Container(
                                text_field(
                                    form, "charger", ui.t("report.charger"), "report-charger"
                                ),
                                expand=True,
                            ),
                            ft.Container(
                                text_field(
                                    form,
                                    "connector",
                                    ui.t("report.connector"),
                                    "report-connector",
                                    keyboard=ft.KeyboardType.NUMBER,
                                ),
                                width=110,
                            ),
                        ]
                    ),
                    tagged(
                        "report-category",
                        ft.Dropdown(
                            label=ui.t("report.category"),
                            value=problem.category.value if problem.category else None,
                            on_select=chosen,
                            dense=True,
                            expand=True,
                            options=[
                                ft.DropdownOption(key=c.value, text=ui.t(f"report.cat_{c.value}"))
                                for c in ProblemCategory
                            ],
                        ),
                    ),
                    tagged(
                        "report-note",
                        ft.TextField(
                            label=ui.t("report.note"),
                            value=form.get("note"),
                            multiline=True,
                            min_lines=2,
                            max_lines=5,
                            max_length=NOTE_MAX,
                            on_change=note_changed,
                            dense=True,
                        ),
                    ),
                    outcome_line(notice(problem.error), "report-error", compact=True),
                    ft.Row(
                        [
                            action_button(
                                "report-send",
                                ui.t("report.send"),
                                None if problem.busy else send,
                                icon=ft.Icons.SEND,
                            ),
                            action_button(
                                "report-cancel", ui.t("common.cancel"), problem.close, kind="text"
                            ),
                        ],
                        spacing=spacing.sm,
                    ),
                ],
                spacing=spacing.sm,
            ),
            padding=16,
        )
    )

"""Flet components of the shared UI library (re-exported by :mod:`shared`).

Components take plain data (:mod:`shared.models`) and callbacks, never a backend client, and read
language/theme from :class:`shared.UiState` through :func:`shared.use_ui`.
"""

from shared.components.badges import StatusBadge
from shared.components.banner import ConnectionBanner, ConnectionState
from shared.components.base import Action, call_action, slug, tagged
from shared.components.cards import ChargerCard, KpiGrid, KpiTile, StationCard
from shared.components.charts import ChartCard, ChartKind
from shared.components.dialogs import ask_confirmation, confirm_dialog, show_confirmation
from shared.components.forms import (
    ButtonKind,
    FormValues,
    Notice,
    OutcomeLike,
    action_button,
    bind,
    notice,
    outcome_line,
    text_field,
    use_form,
)
from shared.components.gauge import SessionGauge
from shared.components.qr_code import QrCode
from shared.components.scaffold import LanguageSwitch, ResponsiveScaffold, ThemeToggle
from shared.components.states import (
    EmptyState,
    ErrorState,
    Loadable,
    LoadableView,
    LoadingState,
    LoadState,
)

__all__ = [
    "Action",
    "ButtonKind",
    "ChargerCard",
    "ChartCard",
    "ChartKind",
    "ConnectionBanner",
    "ConnectionState",
    "EmptyState",
    "ErrorState",
    "FormValues",
    "KpiGrid",
    "KpiTile",
    "LanguageSwitch",
    "LoadState",
    "Loadable",
    "LoadableView",
    "LoadingState",
    "Notice",
    "OutcomeLike",
    "QrCode",
    "ResponsiveScaffold",
    "SessionGauge",
    "StationCard",
    "StatusBadge",
    "ThemeToggle",
    "action_button",
    "ask_confirmation",
    "bind",
    "call_action",
    "confirm_dialog",
    "notice",
    "outcome_line",
    "show_confirmation",
    "slug",
    "tagged",
    "text_field",
    "use_form",
]

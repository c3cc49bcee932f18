"""Observable models of the home app: one root (:class:`HomeState`) per session with a model per
screen. Views render them and call their methods; only this layer talks to the charger link."""

from apps.home.state.app import SECTIONS, HomeState
from apps.home.state.base import Ctx, Outcome
from apps.home.state.charger import ChargeState
from apps.home.state.enrollment import EnrollState
from apps.home.state.history import HistoryState
from apps.home.state.household import HouseholdState
from apps.home.state.schedule import ScheduleState

__all__ = [
    "SECTIONS",
    "ChargeState",
    "Ctx",
    "EnrollState",
    "HistoryState",
    "HomeState",
    "HouseholdState",
    "Outcome",
    "ScheduleState",
]

"""Connector status badge: colour, icon and word per status and language."""

from __future__ import annotations

import flet as ft
import pytest

from shared import STATUS_STYLES, ConnectorStatus, I18n, Language, StatusBadge
from tests.support.flet_harness import FakeApp
from tests.ui.helpers import mount, strict_ui

EXPECTED_WORDS = {
    ConnectorStatus.AVAILABLE: ("Available", "空闲"),
    ConnectorStatus.PREPARING: ("Preparing", "准备中"),
    ConnectorStatus.CHARGING: ("Charging", "充电中"),
    ConnectorStatus.SUSPENDED_EV: ("Paused by vehicle", "车辆暂停"),
    ConnectorStatus.SUSPENDED_EVSE: ("Paused by charger", "桩端暂停"),
    ConnectorStatus.FINISHING: ("Finishing", "结束中"),
    ConnectorStatus.RESERVED: ("Reserved", "已预约"),
    ConnectorStatus.FAULTED: ("Faulted", "故障"),
    ConnectorStatus.UNAVAILABLE: ("Unavailable", "不可用"),
    ConnectorStatus.OFFLINE: ("Offline", "离线"),
}


def test_every_status_has_a_distinct_colour_and_icon() -> None:
    assert set(STATUS_STYLES) == set(ConnectorStatus)
    colours = [style.color for style in STATUS_STYLES.values()]
    assert len(set(colours)) == len(colours)
    assert STATUS_STYLES[ConnectorStatus.FAULTED].color == ft.Colors.RED_700
    assert STATUS_STYLES[ConnectorStatus.AVAILABLE].color == ft.Colors.GREEN_700


def test_every_status_name_is_translated() -> None:
    i18n = I18n.default(strict=True)
    for status, (en, zh) in EXPECTED_WORDS.items():
        assert i18n.translate(Language.EN, status.label_key) == en
        assert i18n.translate(Language.ZH_CN, status.label_key) == zh


def test_status_from_wire() -> None:
    assert ConnectorStatus.from_wire("SuspendedEVSE") == ConnectorStatus.SUSPENDED_EVSE
    assert ConnectorStatus.from_wire("Charging", online=False) == ConnectorStatus.OFFLINE
    assert ConnectorStatus.from_wire("Occupied") == ConnectorStatus.UNAVAILABLE  # OCPP 2.x word
    assert ConnectorStatus.from_wire(None) == ConnectorStatus.UNAVAILABLE
    assert ConnectorStatus.CHARGING.is_busy and not ConnectorStatus.AVAILABLE.is_busy
    assert ConnectorStatus.FAULTED.is_problem and ConnectorStatus.OFFLINE.is_problem


@pytest.mark.parametrize("language", list(Language))
async def test_badge_renders_colour_icon_and_word(language: Language) -> None:
    ui = strict_ui(language=language)

    def build() -> ft.Control:
        return ft.Column([StatusBadge(status, ident=status.value) for status in ConnectorStatus])

    async with FakeApp(mount(ui, build)) as app:
        for status, words in EXPECTED_WORDS.items():
            badge = app.by_key(f"status-{status.value}", ft.Container)
            assert badge.bgcolor == STATUS_STYLES[status].color
            icon = next(c for c in app.walk(badge) if isinstance(c, ft.Icon))
            assert icon.icon == STATUS_STYLES[status].icon
            text = next(c for c in app.walk(badge) if isinstance(c, ft.Text))
            assert text.value == words[0 if language == Language.EN else 1]
            assert text.color == STATUS_STYLES[status].on_color

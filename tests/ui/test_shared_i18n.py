"""Translation layer: catalogs complete, fallbacks, strictness, runtime language switch."""

from __future__ import annotations

import json
from pathlib import Path

import flet as ft
import pytest

from shared import (
    CatalogError,
    ConnectorStatus,
    I18n,
    Language,
    LanguageSwitch,
    MissingTranslation,
    StatusBadge,
    load_catalogs,
)
from tests.support.flet_harness import FakeApp
from tests.ui.helpers import mount, strict_ui


def test_shipped_catalogs_have_every_key_in_every_language() -> None:
    i18n = I18n.default()
    assert i18n.missing_keys() == {Language.ZH_CN: set()}
    i18n.check()  # no missing, stray, empty or placeholder-mismatched keys


def test_check_reports_missing_stray_and_placeholder_mismatch() -> None:
    i18n = I18n(
        {
            Language.EN: {"a": "A {n}", "b": "B"},
            Language.ZH_CN: {"a": "甲 {m}", "c": "丙"},
        }
    )
    with pytest.raises(CatalogError) as err:
        i18n.check()
    text = str(err.value)
    assert "zh-CN: missing 'b'" in text
    assert "'c' is not in en" in text
    assert "placeholders ['m'] != ['n']" in text


def test_missing_key_falls_back_to_english_then_key() -> None:
    i18n = I18n({Language.EN: {"only.en": "Only English"}, Language.ZH_CN: {}})
    assert i18n.translate(Language.ZH_CN, "only.en") == "Only English"
    assert i18n.translate(Language.ZH_CN, "nowhere") == "nowhere"
    with pytest.raises(MissingTranslation):
        I18n({}, strict=True).translate(Language.EN, "nowhere")


def test_placeholders_are_filled() -> None:
    i18n = I18n.default()
    assert i18n.translate(Language.EN, "charger.connectors_available", available=1, total=2) == (
        "1 of 2 available"
    )
    assert i18n.translate(Language.ZH_CN, "charger.connectors_available", available=1, total=2) == (
        "1/2 可用"
    )


def test_apps_extend_the_catalogs_from_their_own_json(tmp_path: Path) -> None:
    (tmp_path / "en.json").write_text(json.dumps({"app.title": "Operator"}), encoding="utf-8")
    (tmp_path / "zh-CN.json").write_text(json.dumps({"app.title": "运营端"}), encoding="utf-8")
    i18n = I18n.default().extended(load_catalogs(tmp_path))
    assert i18n.translate(Language.ZH_CN, "app.title") == "运营端"
    assert i18n.translate(Language.ZH_CN, "common.retry") == "重试"
    i18n.check()


def test_a_malformed_catalog_is_refused(tmp_path: Path) -> None:
    (tmp_path / "en.json").write_text(json.dumps({"nested": {"no": "pe"}}), encoding="utf-8")
    with pytest.raises(CatalogError):
        load_catalogs(tmp_path)


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("zh", Language.ZH_CN),
        ("zh_CN", Language.ZH_CN),
        ("zh-Hans-CN", Language.ZH_CN),
        ("en-GB", Language.EN),
        ("de", Language.EN),
        (None, Language.EN),
    ],
)
def test_language_parse(tag: str | None, expected: Language) -> None:
    assert Language.parse(tag) == expected


async def test_language_switch_at_runtime_changes_visible_text() -> None:
    ui = strict_ui()

    def build() -> ft.Control:
        return ft.Column([LanguageSwitch(), StatusBadge(ConnectorStatus.CHARGING, ident="x")])

    async with FakeApp(mount(ui, build)) as app:
        assert app.has_text("Charging")
        assert app.has_text("简体中文")  # the switch offers the other language in its own name
        await app.click("lang-switch")
        assert ui.language == Language.ZH_CN
        assert app.has_text("充电中") and not app.has_text("Charging")
        assert app.has_text("English")
        # Material widgets follow too (date pickers etc. use the page locale).
        assert app.page.locale_configuration is not None
        assert app.page.locale_configuration.current_locale == ft.Locale("zh", "CN")
        await app.click("lang-switch")
        assert app.has_text("Charging")

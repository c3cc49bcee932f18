"""The gallery renders every component in both languages and its texts are complete."""

from __future__ import annotations

from shared import I18n
from shared.gallery import GALLERY_TEXTS, main
from tests.support.flet_harness import FakeApp


def test_gallery_catalogs_are_complete() -> None:
    I18n.default().extended(GALLERY_TEXTS).check()


async def test_gallery_renders_every_section_in_both_languages() -> None:
    async with FakeApp(main, width=1280) as app:
        assert app.has_key("nav-rail") and app.has_key("charger-CP-001")
        for index, probe in [
            (1, "gauge-power"),
            (2, "chart-week-bar"),
            (3, "conn-banner"),
            (4, "qr-CP-001-1"),
            (0, "kpi-energy"),
        ]:
            await app.select("nav-rail", index)
            assert app.has_key(probe), probe
        await app.click("lang-switch")
        assert app.has_text("充电桩组件库") and app.has_text("总览")
        await app.click("gallery-confirm")
        assert app.has_text("重启充电桩 CP-001？")
        await app.click("gallery-reset-cancel")
        assert app.dialogs == []

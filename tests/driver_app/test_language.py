"""The H5 page opens in the driver's language: Simplified Chinese when the browser prefers it,
English otherwise; ``?lang=`` in the link and the driver's remembered choice win."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from apps.user_mobile.state.language import LANGUAGE_KEY, preferred_language, split_lang
from shared import Language
from tests.driver_app.support import Storage, driver_app, web_device_info
from tests.support.builders import build_world


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (["zh-CN", "zh", "en"], Language.ZH_CN),
        (["zh"], Language.ZH_CN),
        (["zh-Hans-CN"], Language.ZH_CN),
        (["zh_SG"], Language.ZH_CN),
        (["fr-FR", "zh-CN"], Language.ZH_CN),  # the first language the app speaks
        (["zh-TW", "en-US"], Language.EN),  # Traditional: no catalog, English
        (["zh-Hant-HK"], None),
        (["de-DE"], None),
        ([], None),
    ],
)
def test_browser_languages_map_to_app_languages(tags: list[str], expected: Language | None) -> None:
    assert preferred_language(tags) == expected


def test_lang_parameter_is_read_and_removed_from_the_route() -> None:
    assert split_lang("/c/CP-1/1?lang=zh-CN") == ("/c/CP-1/1", Language.ZH_CN)
    assert split_lang("/?x=1&lang=en") == ("/?x=1", Language.EN)
    assert split_lang("/account?lang=klingon") == ("/account", None)
    assert split_lang("/session") == ("/session", None)


async def test_chinese_browser_opens_the_qr_page_in_chinese(app: FastAPI) -> None:
    world = await build_world(app)
    route = f"/c/{world.charger.ocpp_id}/1"
    chinese = {"Page.get_device_info": web_device_info("zh-CN", "zh", "en")}
    async with driver_app(app, route=route, extra_results=chinese) as (fake, _):
        await fake.wait_for_text("支付方式")
        locale = fake.page.locale_configuration
        assert locale is not None and locale.current_locale is not None
        assert locale.current_locale.language_code == "zh"  # Material's own texts too
    # A Traditional-Chinese or French browser gets English.
    for tags in (("zh-TW",), ("fr-FR", "de")):
        other = {"Page.get_device_info": web_device_info(*tags)}
        async with driver_app(app, route=route, extra_results=other) as (fake, _):
            await fake.wait_for_text("How to pay")


async def test_lang_link_and_remembered_choice_win_over_the_browser(app: FastAPI) -> None:
    world = await build_world(app)
    route = f"/c/{world.charger.ocpp_id}/1"
    chinese = {"Page.get_device_info": web_device_info("zh-CN")}
    storage = Storage()
    async with driver_app(
        app, route=route + "?lang=en", storage=storage, extra_results=chinese
    ) as (fake, state):
        await fake.wait_for_text("How to pay")
        assert state.route == route  # the parameter is not part of the screen's route
        assert LANGUAGE_KEY not in storage.values  # a link's choice is not remembered
        # The driver switches to Chinese, then back to English: remembered on the device.
        await fake.click("lang-switch")
        await fake.wait_for_text("支付方式")
        await fake.click("lang-switch")
        await fake.wait_for(lambda: storage.values.get(LANGUAGE_KEY) == "en")
    async with driver_app(app, route=route, storage=storage, extra_results=chinese) as (fake, _):
        await fake.wait_for_text("How to pay")  # remembered English beats the browser
    async with driver_app(
        app, route=route + "?lang=zh-CN", storage=storage, extra_results=chinese
    ) as (fake, _):
        await fake.wait_for_text("支付方式")  # and the link's explicit choice beats both

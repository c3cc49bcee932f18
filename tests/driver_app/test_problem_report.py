"""Report a problem with a charger: from the charger screen (prefilled) through sign-in to the
operator's fault list, and the refusals a driver can meet (unknown code, no such connector,
missing answers), in English and Chinese."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.driver_app.support import choose, driver_app
from tests.support.builders import PASSWORD, build_world, login


async def test_report_from_the_charger_screen_reaches_the_operators_faults(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    world = await build_world(app)
    cp = world.charger.ocpp_id
    async with driver_app(app, route=f"/c/{cp}/2") as (fake, state):
        await fake.wait_for(lambda: fake.has_key("report-problem"))
        await fake.click("report-problem")
        await fake.wait_for(lambda: fake.has_key("report-sign-in"))
        assert state.route == "/account"
        await fake.enter_text("account-email", world.driver_email)
        await fake.enter_text("account-password", PASSWORD)
        await fake.click("account-submit")
        await fake.wait_for(lambda: fake.has_key("report-send"))
        # Prefilled with the charger and connector the driver came from.
        assert fake.by_key("report-charger").value == cp
        assert fake.by_key("report-connector").value == "2"
        assert fake.by_identifier("report-send") is not None

        # Nothing chosen yet: the app says what is missing, nothing is sent.
        await fake.click("report-send")
        assert fake.by_key("report-error").value == "Choose what is wrong."
        await choose(fake, "report-category", "not_charging")
        await fake.click("report-send")
        assert fake.by_key("report-error").value.startswith("Add a short note")
        await fake.enter_text("report-note", "Starts, then stops after ten seconds")
        await fake.click("report-send")
        await fake.wait_for(
            lambda: fake.has_key("report-sent") and fake.by_key("report-sent").visible
        )
        assert fake.by_key("report-sent").value == (
            f"Thank you: the operator of {cp} has your report."
        )
        assert not fake.has_key("report-send")  # the form closed

    staff = await login(client, world.staff_email)
    faults = (await client.get("/api/v1/faults", headers=staff)).json()["items"]
    assert [(f["source"], f["error_code"], f["connector_no"], f["info"]) for f in faults] == [
        ("driver", "not_charging", 2, "Starts, then stops after ten seconds")
    ]


async def test_refusals_are_explained_in_the_drivers_language(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    world = await build_world(app)
    async with driver_app(app, route="/account") as (fake, _):
        await fake.wait_for(lambda: fake.has_key("account-submit"))
        await fake.enter_text("account-email", world.driver_email)
        await fake.enter_text("account-password", PASSWORD)
        await fake.click("account-submit")
        await fake.wait_for(lambda: fake.has_key("report-open"))
        await fake.click("report-open")
        await fake.wait_for(lambda: fake.has_key("report-send"))
        assert fake.by_key("report-charger").value == ""  # not from a charger: no prefill
        await fake.enter_text("report-charger", "NO-SUCH-CP")
        await choose(fake, "report-category", "damaged")
        await fake.enter_text("report-note", "Holster cracked")
        await fake.click("report-send")
        await fake.wait_for(lambda: bool(fake.by_key("report-error").value))
        assert fake.by_key("report-error").value == "No charger has that code on this network."

        await fake.click("lang-switch")  # 中文 from here on
        await fake.enter_text("report-charger", world.charger.ocpp_id)
        await fake.enter_text("report-connector", "9")
        await fake.click("report-send")
        await fake.wait_for(lambda: fake.by_key("report-error").value == "该充电桩没有这个枪号。")

        await fake.enter_text("report-connector", "")
        await fake.click("report-send")
        await fake.wait_for(
            lambda: fake.has_key("report-sent") and fake.by_key("report-sent").visible
        )
        assert fake.by_key("report-sent").value == (
            f"感谢反馈：{world.charger.ocpp_id} 的运营商已收到您的报告。"
        )

    staff = await login(client, world.staff_email)
    faults = (await client.get("/api/v1/faults", headers=staff)).json()["items"]
    assert [(f["error_code"], f["connector_no"]) for f in faults] == [("damaged", 0)]

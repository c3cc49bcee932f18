"""Scan: a typed label code, a QR picture, and codes that are not chargers of this network."""

from __future__ import annotations

import io

from fastapi import FastAPI
from PIL import Image

from apps.user_mobile.state.links import ChargerRef, parse_code
from shared import qr_png
from tests.driver_app.support import PUBLIC_URL, driver_app
from tests.support.builders import build_world


def test_codes_from_labels_links_and_other_networks() -> None:
    assert parse_code("CP-1 · 2") == ChargerRef("CP-1", 2)
    assert parse_code(" cp-7/1 ") == ChargerRef("cp-7", 1)
    assert parse_code(f"{PUBLIC_URL}/c/CP-1/1", public_url=PUBLIC_URL) == ChargerRef("CP-1", 1)


async def test_typed_label_code_opens_the_charger_screen(app: FastAPI) -> None:
    world = await build_world(app)
    cp = world.charger.ocpp_id
    async with driver_app(app, route="/scan") as (fake, state):
        await fake.enter_text("scan-code", f"{cp} · 2")
        await fake.click("scan-go")
        await fake.wait_for_text("A Plaza")
        assert state.route == f"/c/{cp}/2"


async def test_qr_picture_opens_the_charger_and_foreign_codes_are_refused(app: FastAPI) -> None:
    world = await build_world(app)
    cp = world.charger.ocpp_id
    ours = qr_png(f"{PUBLIC_URL}/c/{cp}/1")
    foreign = qr_png("https://other-network.example/c/XYZ/1")
    evse = qr_png("EVSE:DE*ABC*E12345*1")
    blank = io.BytesIO()
    Image.new("RGB", (200, 200), "white").save(blank, format="PNG")
    answers = iter([foreign, evse, blank.getvalue(), ours])

    def pick(_args: object) -> list[dict[str, object]]:
        data = next(answers)
        return [{"id": 1, "name": "qr.png", "size": len(data), "bytes": data}]

    async with driver_app(app, route="/scan", extra_results={"FilePicker.pick_files": pick}) as (
        fake,
        state,
    ):
        await fake.click("scan-image")
        await fake.wait_for_text("belongs to another charging network")
        await fake.click("scan-image")
        await fake.wait_for_text("That is not a charger code")
        await fake.click("scan-image")
        await fake.wait_for_text("No QR code found in the picture")
        assert state.route == "/scan"
        await fake.click("scan-image")
        await fake.wait_for_text("A Plaza")
        assert state.route == f"/c/{cp}/1"


async def test_camera_picture_is_decoded(app: FastAPI) -> None:
    world = await build_world(app)
    cp = world.charger.ocpp_id
    jpeg = io.BytesIO()
    Image.open(io.BytesIO(qr_png(f"{PUBLIC_URL}/c/{cp}/2"))).convert("RGB").save(
        jpeg, format="JPEG"
    )
    camera = {
        "Camera.get_available_cameras": [
            {"name": "front", "lens_direction": "front", "sensor_orientation": 0}
        ],
        "Camera.initialize": None,
        "Camera.take_picture": jpeg.getvalue(),
    }
    async with driver_app(app, route="/scan", extra_results=camera) as (fake, state):
        await fake.click("scan-camera")
        await fake.wait_for(lambda: fake.has_key("scan-shoot"))
        await fake.click("scan-shoot")
        await fake.wait_for_text("A Plaza")
        assert state.route == f"/c/{cp}/2"

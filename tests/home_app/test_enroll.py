"""Enrolment screens against the simulated charger: scan nearby, type the code, read the QR
from a photo or the camera, precise refusals, and the pairing kept in secure storage."""

from __future__ import annotations

from typing import Any

from home_protocol.reasons import Role
from shared import qr_png
from simulators.home import HomeSimulator
from tests.home_app.conftest import DeviceStorage, Phones, enroll_by_code


async def test_first_start_scans_and_lists_the_charger_with_its_window(
    phones: Phones, sim: HomeSimulator
) -> None:
    async with phones.app() as (fake, state):
        assert fake.has_key("enroll-screen")
        await fake.wait_for_text("Pairing window open")
        assert state.enroll.nearby is not None and state.enroll.nearby.value
        name = state.enroll.nearby.value[0].name
        assert fake.has_key(f"nearby-{name}")
        await sim.close_pairing_window()
        await fake.click("scan-nearby")
        await fake.wait_for_text("Pairing window closed")


async def test_typing_the_code_pairs_and_opens_the_charge_screen(
    phones: Phones, sim: HomeSimulator
) -> None:
    storage = DeviceStorage()
    async with phones.app(storage) as (fake, state):
        await enroll_by_code(fake, sim)
        await fake.wait_for(lambda: fake.has_key("charge-screen"))
        await fake.wait_for_text("Vehicle plugged in")
        assert state.pairing is not None and state.pairing.role is Role.OWNER
        assert fake.by_key("charge-serial").value == f"Charger {sim.label.serial} · Owner"
        # pairing and app key are kept by the device's secure storage, not the server
        assert set(storage.values) == {"chargepile.home.app-key", "chargepile.home.pairing"}
        assert sim.label.serial in storage.values["chargepile.home.pairing"]


async def test_restart_resumes_the_stored_pairing_without_enrolling(
    phones: Phones, sim: HomeSimulator
) -> None:
    storage = DeviceStorage()
    async with phones.app(storage) as (fake, _):
        await enroll_by_code(fake, sim)
        await fake.wait_for(lambda: fake.has_key("charge-toggle"))
    async with phones.app(storage) as (fake, state):
        assert state.phase == "ready" and not fake.has_key("enroll-screen")
        await fake.wait_for_text("Vehicle plugged in")
        await fake.wait_for(lambda: not fake.by_key("charge-toggle").disabled)


async def test_wrong_code_and_closed_window_are_explained(
    phones: Phones, sim: HomeSimulator
) -> None:
    async with phones.app() as (fake, state):
        serial, secret = sim.label.typed_code().split(":")
        wrong = ("A" if secret[0] != "A" else "B") + secret[1:]  # the last digit is padding
        await fake.enter_text("enroll-code", f"{serial}:{wrong}")
        await fake.click("enroll-submit")
        await fake.wait_for_text("Wrong setup code")
        await fake.enter_text("enroll-code", "hello")
        await fake.click("enroll-submit")
        await fake.wait_for_text("not a chargepile setup code")
        await sim.close_pairing_window()
        await enroll_by_code(fake, sim)
        await fake.wait_for_text("The pairing window is closed")
        assert state.phase == "enroll"
        await sim.press_pairing_button()
        await fake.click("enroll-submit")
        await fake.wait_for(lambda: fake.has_key("charge-screen"))


async def test_photo_of_the_label_is_decoded_and_pairs(phones: Phones, sim: HomeSimulator) -> None:
    png = qr_png(sim.label.to_qr_text(), box_size=6)
    picked = [{"id": 1, "name": "label.png", "size": len(png), "bytes": png}]
    async with phones.app(extra_results={"FilePicker.pick_files": picked}) as (fake, state):
        await fake.click("enroll-photo")
        await fake.wait_for(lambda: fake.has_key("charge-screen"))
        assert state.enroll.scanned.startswith("CPH1:")


async def test_photo_without_a_qr_code_says_so(phones: Phones, sim: HomeSimulator) -> None:
    blank = qr_png("x")[:40]  # a truncated file: not an image
    picked = [{"id": 1, "name": "x.png", "size": 40, "bytes": blank}]
    async with phones.app(extra_results={"FilePicker.pick_files": picked}) as (fake, _):
        await fake.click("enroll-photo")
        await fake.wait_for_text("No QR code could be read")


async def test_camera_capture_pairs(phones: Phones, sim: HomeSimulator) -> None:
    png = qr_png(sim.label.to_qr_text(), box_size=6)
    camera: dict[str, Any] = {
        "Camera.get_available_cameras": [
            {"name": "front", "lens_direction": "front", "sensor_orientation": 0},
            {"name": "back", "lens_direction": "back", "sensor_orientation": 90},
        ],
        "Camera.initialize": None,
        "Camera.take_picture": png,
    }
    async with phones.app(extra_results=camera) as (fake, _):
        await fake.click("enroll-camera")
        await fake.wait_for_text("Aim at the QR code")
        await fake.click("camera-capture")
        await fake.wait_for(lambda: fake.has_key("charge-screen"))
        init = [args for kind, name, args in fake.method_calls if name == "initialize"]
        assert init and init[0]["description"].name == "back"


async def test_camera_unavailable_points_to_the_other_ways(
    phones: Phones, sim: HomeSimulator
) -> None:
    camera: dict[str, Any] = {"Camera.get_available_cameras": []}
    async with phones.app(extra_results=camera) as (fake, _):
        await fake.click("enroll-camera")
        await fake.wait_for_text("type the code instead")
        assert not fake.dialogs


async def test_household_member_waits_for_the_owner(phones: Phones, sim: HomeSimulator) -> None:
    async with phones.app() as (owner, _):
        await enroll_by_code(owner, sim)
        await owner.wait_for(lambda: owner.has_key("charge-toggle"))
        async with phones.app() as (member, state):
            await enroll_by_code(member, sim, member=True)
            await member.wait_for(lambda: member.has_key("charge-pending"))
            assert state.pairing is not None and state.pairing.pending
            assert "household" not in state.sections and not member.has_key("nav-household")
            await member.wait_for_text("Waiting for the owner to approve this phone")

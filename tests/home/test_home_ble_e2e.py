"""End-to-end: the home app's BLE layer (unmodified bleak, Bumble backend) against the
simulated charger on a real Bumble GATT stack over a virtual link."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest
from bleak import BleakClient
from bleak.exc import BleakGATTProtocolError, BleakGATTProtocolErrorCode

from apps.home.ble import (
    ChargerRefused,
    CommandTimeout,
    EnrollmentError,
    IdentityMismatch,
    LinkState,
    NotConnectedError,
    StatusChanged,
)
from apps.home.ble.bumble_backend import BumbleClient, BumbleRadio
from apps.home.ble.channel import MessageChannel
from apps.home.ble.link import ChargerPairing, LinkEvent
from home_protocol.commands import Op, ResponseBody, WeeklyWindow
from home_protocol.crypto import generate_private_key
from home_protocol.framing import fragment_message
from home_protocol.gatt import INFO_CHAR_UUID, RX_CHAR_UUID
from home_protocol.label import ChargerLabel
from home_protocol.messages import (
    Command,
    ErrorMessage,
    Response,
    SessionInfo,
    decode_message,
    encode_message,
)
from home_protocol.reasons import KeyState, ReasonCode, Role
from home_protocol.session import ClientSession, PendingRequest
from simulators.home import HomeSimulator

from .conftest import LinkFactory, SimFactory, wait_for


async def enroll_and_connect(make_link: LinkFactory, sim: HomeSimulator, role: Role = Role.OWNER):
    link = make_link()
    pairing = await link.enroll(sim.label, role=role)
    await link.connect(pairing)
    return link, pairing


async def test_scan_shows_charger_and_its_pairing_window(
    make_link: LinkFactory, sim: HomeSimulator
) -> None:
    link = make_link()
    (found,) = await link.scan(timeout=0.3)
    assert found.pairing_window_open and found.matches(sim.label)
    await sim.close_pairing_window()
    (found,) = await link.scan(timeout=0.3)  # a second scan on the same radio
    assert not found.pairing_window_open


async def test_enroll_then_tap_to_start_and_stop(
    make_link: LinkFactory, sim: HomeSimulator
) -> None:
    link, pairing = await enroll_and_connect(make_link, sim)
    assert link.state is LinkState.CONNECTED and pairing.role is Role.OWNER and not pairing.pending
    assert ChargerPairing.from_json(pairing.to_json()) == pairing
    started = await link.start_charging()
    assert started.state == "C" and started.power_w == 16 * 230
    stopped = await link.stop_charging()
    assert stopped.state == "B" and not stopped.session_active
    (entry,) = await link.history()
    assert entry.key_id == pairing.key_id and entry.ended_at is not None


async def test_enrollment_outside_the_window_is_refused_until_button(
    make_link: LinkFactory, make_sim: SimFactory
) -> None:
    sim = await make_sim(pairing_window_s=0)
    with pytest.raises(EnrollmentError) as err:
        await make_link().enroll(sim.label)
    assert err.value.reason is ReasonCode.PAIRING_WINDOW_CLOSED
    await sim.press_pairing_button()
    assert not (await make_link().enroll(sim.label)).pending


async def test_wrong_secret_and_wrong_fingerprint(
    make_link: LinkFactory, sim: HomeSimulator
) -> None:
    wrong = dataclasses.replace(sim.label, setup_secret=bytes(16))
    with pytest.raises(EnrollmentError) as err:
        await make_link().enroll(wrong)
    assert err.value.reason is ReasonCode.BAD_PROOF
    impostor = dataclasses.replace(sim.label, fingerprint=bytes(16))
    with pytest.raises(IdentityMismatch):
        await make_link().enroll(impostor)
    assert sim.core.store.records() == []
    typed = ChargerLabel(sim.label.serial, sim.label.setup_secret)  # typed code: no fingerprint
    assert not (await make_link().enroll(typed)).pending


async def test_household_member_needs_owner_approval_and_has_limited_role(
    make_link: LinkFactory, sim: HomeSimulator
) -> None:
    owner, _ = await enroll_and_connect(make_link, sim)
    member = make_link()
    pairing = await member.enroll(sim.label, role=Role.MEMBER, name="teen")
    assert pairing.pending
    with pytest.raises(NotConnectedError, match="KEY_PENDING"):
        await member.connect(pairing)
    keys = await owner.list_keys()
    assert [k.state for k in keys] == [KeyState.ACTIVE, KeyState.PENDING]
    await owner.approve_key(pairing.key_id, Role.MEMBER)
    await wait_for(lambda: member.state is LinkState.CONNECTED)
    assert (await member.start_charging()).state == "C"
    with pytest.raises(ChargerRefused) as err:
        await member.list_keys()
    assert err.value.reason is ReasonCode.FORBIDDEN_ROLE
    with pytest.raises(ChargerRefused) as err:
        await member.set_installation(32, 3)
    assert err.value.reason is ReasonCode.FORBIDDEN_ROLE
    await owner.set_locked(True)
    with pytest.raises(ChargerRefused) as err:
        await member.start_charging()
    assert err.value.reason is ReasonCode.LOCKED
    await owner.remove_key(pairing.key_id)
    with pytest.raises(ChargerRefused) as err:
        await member.get_status()
    assert err.value.reason is ReasonCode.UNKNOWN_KEY


async def test_current_limit_range(make_link: LinkFactory, sim: HomeSimulator) -> None:
    link, _ = await enroll_and_connect(make_link, sim)
    assert (await link.set_current_limit(6)).current_limit_a == 6
    for amps in (5, 17):
        with pytest.raises(ChargerRefused) as err:
            await link.set_current_limit(amps)
        assert err.value.reason is ReasonCode.INVALID_ARGUMENT


async def test_schedules_delayed_start_and_weekly_plan(
    make_link: LinkFactory, sim: HomeSimulator
) -> None:
    link, _ = await enroll_and_connect(make_link, sim)
    events: list[LinkEvent] = []
    link.subscribe(events.append)
    now = (await link.get_status()).clock
    schedule = await link.set_delayed_start(now + 3600)
    assert schedule.delayed_start_at == now + 3600
    assert (await link.get_status()).waiting_for_schedule
    sim.clock.advance(3601)
    sim.model.tick()
    await wait_for(
        lambda: any(isinstance(e, StatusChanged) and e.status.state == "C" for e in events)
    )
    week = [WeeklyWindow(0x7F, 22 * 60, 6 * 60)]
    assert (await link.set_weekly_plan(week)).weekly == tuple(week)
    assert (await link.clear_schedule("all")).weekly == ()


async def test_reboot_gives_new_epoch_and_automatic_new_session(
    make_link: LinkFactory, sim: HomeSimulator
) -> None:
    link, _ = await enroll_and_connect(make_link, sim)
    first_epoch = link.session_epoch
    await sim.reboot()
    status = await link.get_status()
    assert status.state == "B"
    assert link.session_epoch not in (None, first_epoch)
    assert link.reconnects >= 1 and sim.core.boot_count == 2


@pytest.mark.parametrize("mtu", [23, 247])
async def test_works_at_minimum_and_large_mtu(
    make_link: LinkFactory, make_sim: SimFactory, mtu: int
) -> None:
    sim = await make_sim(max_mtu=mtu)
    link, _ = await enroll_and_connect(make_link, sim)
    writes_before = sim.peripheral.writes_received
    status = await link.start_charging()  # ~60-byte command, ~150-byte status answer
    assert status.state == "C"
    writes = sim.peripheral.writes_received - writes_before
    assert writes > 1 if mtu == 23 else writes == 1


async def test_link_drop_mid_command_reconnects_without_duplicate_action(
    make_link: LinkFactory, sim: HomeSimulator
) -> None:
    link, _ = await enroll_and_connect(make_link, sim)
    states: list[LinkState] = []
    link.subscribe(lambda e: states.append(e.state) if hasattr(e, "state") else None)
    sim.lose_next_response()
    status = await link.start_charging()
    assert status.state == "C"
    assert sim.model.actions_executed == 1  # executed once although sent twice
    assert LinkState.RECONNECTING in states and link.state is LinkState.CONNECTED
    await link.stop_charging()
    assert len(await link.history()) == 1


async def test_events_resume_after_link_drop(make_link: LinkFactory, make_sim: SimFactory) -> None:
    sim = await make_sim(plugged=False)
    link, _ = await enroll_and_connect(make_link, sim)
    await sim.drop_link()
    await wait_for(lambda: link.state is LinkState.RECONNECTING)
    await wait_for(lambda: link.state is LinkState.CONNECTED)
    seen: list[str] = []
    link.subscribe(lambda e: seen.append(e.status.state) if isinstance(e, StatusChanged) else None)
    sim.plug_in()
    await wait_for(lambda: "B" in seen)
    sim.inject_fault("RCD tripped")
    await wait_for(lambda: "F" in seen)
    assert link.status is not None and link.status.fault == "RCD tripped"


async def test_unanswered_command_times_out_and_link_recovers(
    make_link: LinkFactory, sim: HomeSimulator
) -> None:
    link, _ = await enroll_and_connect(make_link, sim)
    link.command_timeout = 0.5
    sim.mute_responses()
    with pytest.raises(CommandTimeout):
        await link.start_charging()
    sim.mute_responses(False)
    assert (await link.get_status()).state == "C"  # executed once, answer was lost
    assert sim.model.actions_executed == 1


async def test_unenrolled_phone_cannot_open_a_session(
    make_link: LinkFactory, sim: HomeSimulator
) -> None:
    _, pairing = await enroll_and_connect(make_link, sim)
    stranger = make_link(connect_timeout=0.5)
    with pytest.raises(NotConnectedError, match="UNKNOWN_KEY"):
        await stranger.connect(pairing)


# --- an attacker with a raw GATT connection and captured frames ----------------------------


class Raw:
    """A raw protocol endpoint over its own bleak connection (used to replay/tamper frames)."""

    def __init__(self, radio: BumbleRadio, sim: HomeSimulator) -> None:
        self.radio, self.sim = radio, sim
        self.client: BleakClient | None = None
        self.channel: MessageChannel | None = None

    async def open(self) -> Raw:
        self.client = BleakClient(sim_device(self.sim), backend=BumbleClient, radio=self.radio)
        await self.client.connect()
        self.channel = MessageChannel(self.client, lambda _e: None)
        await self.channel.open()
        return self

    async def handshake(self, session: ClientSession) -> None:
        assert self.channel is not None
        info = await self.channel.request(encode_message(session.hello()))
        assert isinstance(info, SessionInfo)
        session.accept_session_info(info, asyncio.get_running_loop().time())

    async def send(self, payload: bytes) -> ErrorMessage | Response:
        assert self.channel is not None
        reply = await asyncio.wait_for(self.channel.request(payload), 3)
        assert isinstance(reply, ErrorMessage | Response)
        return reply

    async def close(self) -> None:
        if self.client is not None:
            await self.client.disconnect()


def sim_device(sim: HomeSimulator) -> str:
    return sim.address


async def raw_owner(make_link: LinkFactory, sim: HomeSimulator, radio: BumbleRadio):
    key = generate_private_key()
    link = make_link(app_key=key)
    await link.enroll(sim.label)
    session = ClientSession(key, sim.core.store.identity.public_key)
    raw = await Raw(radio, sim).open()
    await raw.handshake(session)
    return raw, session


def seal(session: ClientSession, op: Op, **kw: object) -> PendingRequest:
    return session.seal_command(op, None, now=asyncio.get_running_loop().time(), **kw)  # type: ignore[arg-type]


def refusal(
    reply: ErrorMessage | Response, session: ClientSession, pending: PendingRequest
) -> ReasonCode:
    if isinstance(reply, ErrorMessage):
        return reply.reason
    body: ResponseBody = session.open_response(reply, pending)
    return body.reason


async def test_replayed_command_is_refused(
    make_link: LinkFactory, sim: HomeSimulator, radio: BumbleRadio
) -> None:
    raw, session = await raw_owner(make_link, sim, radio)
    start = seal(session, Op.START)
    assert refusal(await raw.send(start.payload), session, start) is ReasonCode.OK
    await raw.close()
    attacker = await Raw(radio, sim).open()  # a new connection replays the captured frame
    hello = ClientSession(generate_private_key(), sim.core.store.identity.public_key).hello()
    assert attacker.channel is not None
    info = await attacker.channel.request(
        encode_message(dataclasses.replace(hello, key_id=session.key_id))
    )
    assert isinstance(info, SessionInfo)  # anyone may ask; only the key holder can use it
    assert refusal(await attacker.send(start.payload), session, start) is ReasonCode.COUNTER_REPLAY
    assert sim.model.actions_executed == 1
    await attacker.close()


async def test_counter_rollback_expiry_and_tamper_are_refused(
    make_link: LinkFactory, sim: HomeSimulator, radio: BumbleRadio
) -> None:
    raw, session = await raw_owner(make_link, sim, radio)
    older, newer = seal(session, Op.START), seal(session, Op.STATUS)
    assert refusal(await raw.send(newer.payload), session, newer) is ReasonCode.OK
    assert refusal(await raw.send(older.payload), session, older) is ReasonCode.COUNTER_REPLAY
    expiring = seal(session, Op.START, ttl=5)
    sim.clock.advance(30)
    assert refusal(await raw.send(expiring.payload), session, expiring) is ReasonCode.EXPIRED
    await raw.handshake(session)
    pending = seal(session, Op.START)
    command = decode_message(pending.payload)
    assert isinstance(command, Command)
    tampered = dataclasses.replace(
        command, ciphertext=command.ciphertext[:-1] + bytes([command.ciphertext[-1] ^ 0x80])
    )
    assert (
        refusal(await raw.send(encode_message(tampered)), session, pending) is ReasonCode.BAD_AUTH
    )
    assert sim.model.actions_executed == 0
    await raw.close()


async def test_bumble_backend_maps_att_errors_and_allows_several_connections(
    make_sim: SimFactory, radio: BumbleRadio
) -> None:
    one = await make_sim()
    two = await make_sim(serial="CPH-SIM-0002", address="F0:CA:FE:00:00:02")
    first = BleakClient(one.address, backend=BumbleClient, radio=radio)
    second = BleakClient(two.address, backend=BumbleClient, radio=radio, mtu=23)
    async with first, second:
        assert first.mtu_size == 247 and second.mtu_size == 23
        assert one.peripheral.connection_count == two.peripheral.connection_count == 1
        with pytest.raises(BleakGATTProtocolError) as err:
            await first.write_gatt_char(INFO_CHAR_UUID, b"x", response=True)
        assert err.value.code == BleakGATTProtocolErrorCode.WRITE_NOT_PERMITTED
        assert len(await second.read_gatt_char(INFO_CHAR_UUID)) > 20


async def test_demo_wiring_enrolls_and_charges() -> None:
    from apps.home.ble import MemoryKeyStorage
    from apps.home.ble.demo import open_demo_link

    demo = await open_demo_link(MemoryKeyStorage())
    try:
        assert demo.simulator is not None
        await demo.link.connect(await demo.link.enroll(demo.simulator.label))
        assert (await demo.link.start_charging()).state == "C"
    finally:
        await demo.close()


async def test_charger_restart_with_its_key_store_keeps_phones_and_settings(
    make_link: LinkFactory, make_sim: SimFactory, tmp_path: Path
) -> None:
    store = tmp_path / "charger.json"
    first = await make_sim(keystore_path=store)
    link, pairing = await enroll_and_connect(make_link, first)
    await link.set_current_limit(10)
    await link.start_charging()
    await link.stop_charging()
    await link.disconnect()
    await first.stop()
    second = await make_sim(keystore_path=store)
    assert second.label == first.label
    await link.connect(pairing)
    status = await link.get_status()
    assert status.current_limit_a == 10
    assert len(await link.history()) == 1


async def test_cancelled_command_leaves_the_link_usable(
    make_link: LinkFactory, sim: HomeSimulator
) -> None:
    link, _ = await enroll_and_connect(make_link, sim)
    sim.mute_responses()
    pending = asyncio.create_task(link.get_status())
    await wait_for(lambda: sim.peripheral.writes_received >= 3)  # command reached the charger
    pending.cancel()
    with pytest.raises(asyncio.CancelledError):
        await pending
    sim.mute_responses(False)
    assert (await link.start_charging()).state == "C"
    assert link.state is LinkState.CONNECTED


async def test_command_abandoned_mid_write_does_not_garble_the_next_one(
    make_link: LinkFactory, make_sim: SimFactory
) -> None:
    """At the minimum MTU a command takes several writes; a user who leaves the screen after
    the first one leaves half a message in the charger. The next command must still work
    (not be glued to the stale half, not be refused as malformed)."""
    sim = await make_sim(max_mtu=23)
    link, _ = await enroll_and_connect(make_link, sim)
    pending = asyncio.create_task(link.start_charging())
    receive = sim.core.receive

    def first_fragment_then_leave(conn_id: int, fragment: bytes, now: float) -> None:
        receive(conn_id, fragment, now)
        pending.cancel()  # the user leaves while the app waits for this write's confirmation

    sim.core.receive = first_fragment_then_leave  # type: ignore[method-assign]
    with pytest.raises(asyncio.CancelledError):
        await pending
    sim.core.receive = receive  # type: ignore[method-assign]
    assert (await link.get_status()).state == "B"  # nothing started: only half arrived
    assert (await link.start_charging()).state == "C"
    assert sim.model.actions_executed == 1


async def test_flood_of_status_events_does_not_hide_the_answer(
    make_link: LinkFactory, make_sim: SimFactory
) -> None:
    """Hundreds of status pushes queued ahead of a command's answer (a cable wiggling in the
    socket): the app still gets its answer, keeps every event in order, ends on the latest."""
    sim = await make_sim(plugged=True, max_mtu=23)
    link, _ = await enroll_and_connect(make_link, sim)
    seen: list[str] = []
    link.subscribe(lambda e: seen.append(e.status.state) if isinstance(e, StatusChanged) else None)
    for _ in range(150):
        sim.unplug()
        sim.plug_in()
    sim.unplug()
    status = await link.get_status()  # its answer is queued behind 301 events
    assert status.state == "A"
    # every push in order, then the answer (which the link also publishes as the status)
    assert seen == ["A", "B"] * 150 + ["A"] + ["A"]
    assert link.status is not None and link.status.state == "A"
    assert (await link.set_current_limit(8)).current_limit_a == 8  # and the link still works


async def test_simultaneous_readvertising_keeps_the_charger_visible(
    make_link: LinkFactory, sim: HomeSimulator
) -> None:
    """Pairing button pressed while the window closes and a phone connects: each restarts
    advertising; interleaved restarts used to fail in Bumble and could leave the charger
    silent. It must stay findable, showing the last window state."""
    link, _ = await enroll_and_connect(make_link, sim)  # a connection also re-advertises
    await asyncio.gather(
        sim.close_pairing_window(), *(sim.press_pairing_button() for _ in range(4))
    )
    (found,) = await make_link().scan(timeout=0.3)
    assert found.pairing_window_open
    assert (await link.get_status()).state == "B"


async def test_phone_walking_away_mid_command_changes_nothing(
    make_link: LinkFactory, make_sim: SimFactory, radio: BumbleRadio
) -> None:
    """A phone leaves radio range after the first fragments of a START (minimum MTU): the
    charger must not act on half a command, must forget it with the link, and must serve the
    same phone when it comes back."""
    sim = await make_sim(max_mtu=23)
    raw, session = await raw_owner(make_link, sim, radio)
    start = seal(session, Op.START)
    assert raw.client is not None and raw.channel is not None
    fragments = fragment_message(start.payload, raw.channel.fragment_size)
    assert len(fragments) > 2
    for fragment in fragments[:-1]:  # all but the last
        await raw.client.write_gatt_char(RX_CHAR_UUID, fragment, response=True)
    await raw.close()
    await wait_for(lambda: sim.peripheral.connection_count == 0)  # the charger saw it go
    assert sim.model.actions_executed == 0 and sim.model.session is None
    back = await Raw(radio, sim).open()
    await back.handshake(session)
    again = seal(session, Op.START)
    assert refusal(await back.send(again.payload), session, again) is ReasonCode.OK
    assert sim.model.actions_executed == 1
    await back.close()

"""Frame fuzzing of the simulated home charger: what anybody within radio range can send it.

A wall box on a driveway accepts GATT writes from every phone nearby, enrolled or not. These
tests throw random bytes, truncated and oversized frames, wrong length prefixes, mutated
captured frames (bit flips, truncation, wrong fields, replays of old commands, an enrolment
request replayed) and well-formed messages from strangers at it, and check what a user would
notice if it went wrong:

* only the documented protocol answers come back (ERROR with a documented reason, or a sealed
  refusal the owner's key opens), and every complete message gets exactly one answer;
* nothing escapes the charger (no exception, nothing logged as an error, every ATT write
  answered);
* no state changes: no charging started, no key enrolled, no limit changed, no counter moved;
* afterwards the enrolled phone still starts and stops charging and another phone connects.

Two levels: the sans-IO core (hundreds of examples a second, exact reply accounting) and the
real Bumble GATT peripheral over a virtual link (a raw central writing to any handle, with and
without response, beyond the ATT MTU). Each has a bounded variant for ``make test`` and a long
one marked ``slow``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import struct
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from bumble import att
from bumble.controller import Controller
from bumble.core import UUID
from bumble.device import Connection, Device, Peer
from bumble.gatt import GATT_CLIENT_CHARACTERISTIC_CONFIGURATION_DESCRIPTOR
from bumble.hci import Address
from bumble.host import Host
from bumble.link import LocalLink
from bumble.transport.common import AsyncPipeSink
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.home.ble import BleakHomeChargerLink, LinkState
from apps.home.ble.bumble_backend import BumbleClient, BumbleRadio, BumbleScanner
from home_protocol.cbor import CborKey, CborValue
from home_protocol.commands import Op, ResponseBody
from home_protocol.crypto import (
    aead_decrypt,
    ecdh,
    generate_private_key,
    private_key_from_bytes,
    public_key_bytes,
    sha256,
)
from home_protocol.enrollment import build_enroll_request
from home_protocol.errors import HomeProtocolError
from home_protocol.framing import MAX_MESSAGE_SIZE, Reassembler, fragment_message
from home_protocol.gatt import INFO_CHAR_UUID, RX_CHAR_UUID, TX_CHAR_UUID
from home_protocol.messages import (
    Command,
    EnrollRequest,
    EnrollResult,
    ErrorMessage,
    Event,
    Hello,
    Message,
    Response,
    SessionInfo,
    decode_message,
    encode_message,
)
from home_protocol.reasons import ReasonCode, Role
from home_protocol.session import (
    ClientSession,
    derive_session_keys,
    request_hash,
    response_aad,
)
from simulators.home import HomeSimulator, HomeSimulatorConfig
from simulators.home.core import ChargerCore
from simulators.home.keystore import ChargerIdentity, KeyStore
from simulators.home.model import ChargerModel, VirtualClock

# Refusals an unauthenticated or invalid frame may get (§5, §6, §7, §8 steps 1-4).
UNSEALED_REFUSALS = frozenset(
    {
        ReasonCode.MALFORMED,
        ReasonCode.UNKNOWN_KEY,
        ReasonCode.KEY_PENDING,
        ReasonCode.STALE_EPOCH,
        ReasonCode.NO_SESSION,
        ReasonCode.BAD_AUTH,
        ReasonCode.PAIRING_WINDOW_CLOSED,
        ReasonCode.BAD_PROOF,
        ReasonCode.KEY_STORE_FULL,
        ReasonCode.INVALID_STATE,
        ReasonCode.RATE_LIMITED,
    }
)
# A replayed genuine command decrypts, so it is refused under the session key (§8 steps 5-7).
SEALED_REFUSALS = frozenset(
    {ReasonCode.COUNTER_REPLAY, ReasonCode.EXPIRED, ReasonCode.EXPIRY_TOO_FAR}
)
T0 = 1_767_225_600.0
# one charger on purpose for all examples of a test (abuse accumulates), and big barrages
SUPPRESSED = (
    HealthCheck.function_scoped_fixture,
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
    HealthCheck.large_base_example,
)
# what the owner did while the attacker listened (all executed before any attack)
GENUINE_COMMANDS: tuple[tuple[Op, dict[CborKey, CborValue] | None], ...] = (
    (Op.START, None),
    (Op.SET_CURRENT_LIMIT, {"a": 10}),
    (Op.STOP, None),
)


# --- what the attacker knows: frames captured from a genuine owner ---------------------------


@dataclasses.dataclass(frozen=True)
class Corpus:
    """Genuine payloads seen on the air, all already delivered (replays must be refused)."""

    owner_kid: bytes
    epoch: bytes
    enroll: bytes  # the owner's enrolment request: a replay answers the stored result
    hello: bytes
    commands: tuple[bytes, ...]  # executed START / STOP / SET_CURRENT_LIMIT commands

    @property
    def payloads(self) -> tuple[bytes, ...]:
        return (self.enroll, self.hello, *self.commands)


def _frame(payload: bytes) -> bytes:
    return struct.pack(">H", len(payload)) + payload


def _mutate(data: bytes, how: int, where: int, value: int) -> bytes:
    """One mutation of a genuine payload: bit flip, truncation, extension, byte overwrite,
    deleted byte or duplicated tail."""
    if not data:
        return bytes([value])
    i = where % len(data)
    if how == 0:
        return data[:i] + bytes([data[i] ^ (1 << (value % 8))]) + data[i + 1 :]
    if how == 1:
        return data[:i]
    if how == 2:
        return data + bytes([value]) * (1 + where % 40)
    if how == 3:
        return data[:i] + bytes([value]) + data[i + 1 :]
    if how == 4:
        return data[:i] + data[i + 1 :]
    return data + data[i:]


def _strangers(corpus: Corpus) -> st.SearchStrategy[Message]:
    """Well-formed messages nobody authorised: unknown keys, the owner's key id without its
    key, a stale epoch, forged proofs, and the charger's own message kinds sent back to it."""
    kid = st.one_of(st.just(corpus.owner_kid), st.binary(min_size=8, max_size=8))
    epoch = st.one_of(st.just(corpus.epoch), st.binary(min_size=16, max_size=16))
    uint = st.one_of(st.integers(0, 5), st.integers(0, 2**63 - 1))
    valid_points = [
        public_key_bytes(private_key_from_bytes(sha256(b"fuzz key %d" % i))) for i in range(3)
    ]
    public_key = st.one_of(st.binary(min_size=65, max_size=65), st.sampled_from(valid_points))
    return st.one_of(
        st.builds(Hello, kid, st.binary(min_size=16, max_size=16)),
        st.builds(
            Command,
            kid,
            epoch,
            uint,
            uint,
            st.binary(min_size=12, max_size=12),
            st.binary(max_size=80),
        ),
        st.builds(
            EnrollRequest,
            public_key,
            st.binary(min_size=16, max_size=16),
            st.sampled_from(Role),
            st.text(max_size=32),
            st.binary(min_size=32, max_size=32),
        ),
        st.builds(
            EnrollResult,
            st.sampled_from(ReasonCode),
            kid,
            st.sampled_from(Role),
            st.binary(min_size=32, max_size=32),
        ),
        st.builds(SessionInfo, kid, epoch, uint, uint, st.binary(min_size=32, max_size=32)),
        st.builds(Response, uint, st.binary(min_size=12, max_size=12), st.binary(max_size=40)),
        st.builds(Event, uint, st.binary(min_size=12, max_size=12), st.binary(max_size=40)),
        st.builds(ErrorMessage, st.sampled_from(ReasonCode), st.binary(max_size=8)),
    )


def payloads(corpus: Corpus) -> st.SearchStrategy[bytes]:
    """Message payloads: genuine replays, mutated genuine ones, strangers' and random bytes."""
    genuine = st.sampled_from(corpus.payloads)
    mutated = st.builds(
        _mutate, genuine, st.integers(0, 5), st.integers(0, 4096), st.integers(0, 255)
    )
    return st.one_of(
        genuine,
        mutated,
        mutated.flatmap(
            lambda d: st.builds(
                _mutate, st.just(d), st.integers(0, 5), st.integers(0, 4096), st.integers(0, 255)
            )
        ),
        _strangers(corpus).map(encode_message),
        st.binary(min_size=1, max_size=300),
    )


@dataclasses.dataclass(frozen=True)
class Write:
    """One GATT write by the attacker (``target`` names a characteristic or a raw handle)."""

    data: bytes
    target: str = "rx"
    with_response: bool = True


@dataclasses.dataclass(frozen=True)
class Barrage:
    """Writes of one example; ``messages`` = complete, correctly framed messages written whole
    (each must get exactly one answer), None when the framing itself was attacked."""

    writes: tuple[Write, ...]
    messages: int | None
    button: bool = False  # someone presses the pairing button first (enrolment stays open)


def _split(data: bytes, sizes: list[int], largest: int) -> list[bytes]:
    """Cut ``data`` at the drawn sizes, the rest into pieces a single write can carry."""
    out, i = [], 0
    for size in sizes:
        if i >= len(data):
            break
        out.append(data[i : i + size])
        i += size
    out += [data[j : j + largest] for j in range(i, len(data), largest)]
    return out


@st.composite
def barrages(draw: st.DrawFn, corpus: Corpus, *, air: bool, mtu: int = 247) -> Barrage:
    """A clean run of framed messages (fragmented at random sizes) or an attack on framing."""
    items = draw(st.lists(payloads(corpus), min_size=1, max_size=4))
    if draw(st.booleans()):
        # bind the connection to the owner's key id first (HELLO is open to anyone), so
        # replayed and mutated commands get past the session check to the counter check
        items.insert(0, corpus.hello)
    with_response = draw(st.booleans()) if air else True
    button = draw(st.booleans())
    if draw(st.integers(0, 2)) > 0:
        # well framed: every message must get exactly one answer
        writes = []
        for payload in items:
            framed = _frame(payload[:MAX_MESSAGE_SIZE])
            sizes = draw(st.lists(st.integers(1, mtu - 3), max_size=12))
            writes += [Write(f, "rx", with_response) for f in _split(framed, sizes, mtu - 3)]
        return Barrage(tuple(writes), len(items), button)
    attacks = st.one_of(
        st.binary(min_size=1, max_size=600),  # raw bytes, beyond the MTU and beyond 512
        st.builds(  # a length prefix that lies
            lambda p, n: struct.pack(">H", n) + p,
            st.sampled_from(items),
            st.one_of(st.integers(0, 8), st.integers(0, 65535), st.just(MAX_MESSAGE_SIZE + 1)),
        ),
        st.sampled_from(items).map(lambda p: _frame(p)[: max(1, len(p) // 2)]),  # truncated
        st.just(b"\x00\x00"),  # zero length
        st.just(b"\xff\xff" + bytes(240)),  # oversized declared length
    )
    writes = [
        Write(w, "rx", with_response) for w in draw(st.lists(attacks, min_size=1, max_size=4))
    ]
    if air:
        others = st.builds(
            Write,
            st.binary(max_size=600),
            st.sampled_from(["info", "tx", "cccd", "bad-handle"]),
            st.booleans(),
        )
        writes += draw(st.lists(others, max_size=2))
        writes = draw(st.permutations(writes))
    return Barrage(tuple(writes), None, button)


# --- the oracle -------------------------------------------------------------------------------


def snapshot(core: ChargerCore) -> tuple[Any, ...]:
    """Everything an unauthorised frame must not change (the clock and meter may run)."""
    m = core.model
    keys = sorted((r.key_id, r.role, r.state, r.name) for r in core.store.records())
    counters = sorted((k, core.last_counter(k)) for k, _r, _s, _n in keys)
    return (
        m.plugged,
        m.session is not None,
        m.current_limit_a,
        m.installation_max_a,
        m.phases,
        m.locked,
        m.delayed_start_at,
        m.weekly,
        len(m.history),
        m.actions_executed,
        keys,
        counters,
        core.epoch,
    )


@dataclasses.dataclass
class Oracle:
    """Checks each answer the attacker receives (see the module docstring)."""

    core: ChargerCore
    owner_key: ec.EllipticCurvePrivateKey
    corpus: Corpus
    seen: dict[str, int] = dataclasses.field(default_factory=dict)
    reasons: dict[ReasonCode, int] = dataclasses.field(default_factory=dict)

    def check(self, message: Message) -> None:
        name = type(message).__name__
        self.seen[name] = self.seen.get(name, 0) + 1
        if isinstance(message, ErrorMessage):
            self.reasons[message.reason] = self.reasons.get(message.reason, 0) + 1
            assert message.reason in UNSEALED_REFUSALS, message
            assert len(message.ref) in (0, 8)
        elif isinstance(message, Response):
            reason = self._opened_reason(message)
            self.reasons[reason] = self.reasons.get(reason, 0) + 1
            assert reason in SEALED_REFUSALS
        elif isinstance(message, EnrollResult):
            # only the genuine request replayed: the stored outcome, for the owner's key
            assert message.key_id == self.corpus.owner_kid and message.status is ReasonCode.OK
        elif isinstance(message, SessionInfo):
            assert message.key_id == self.corpus.owner_kid  # anyone may ask (§10)
        else:
            assert isinstance(message, Event), message  # status pushes on a bound session

    def _opened_reason(self, response: Response) -> ReasonCode:
        """Open a sealed answer with the owner's key: it must answer a captured command."""
        charger_pub = self.core.store.identity.public_key
        kid = self.corpus.owner_kid
        keys = derive_session_keys(ecdh(self.owner_key, charger_pub), self.core.epoch, kid)
        for command in self.corpus.commands:
            aad = response_aad(kid, self.core.epoch, response.counter, request_hash(command))
            try:
                plain = aead_decrypt(keys.s2c, response.nonce, response.ciphertext, aad)
            except HomeProtocolError:
                continue
            return ResponseBody.decode(plain).reason
        raise AssertionError("a sealed answer to something the attacker could not have sent")


def decode_all(reassembler: Reassembler, fragments: list[bytes]) -> list[Message]:
    out: list[Message] = []
    for fragment in fragments:
        out += [decode_message(p) for p in reassembler.feed(fragment, 0.0)]
    return out


# --- level 1: the sans-IO core ------------------------------------------------------------


class FrozenTime:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


@dataclasses.dataclass
class CoreBench:
    core: ChargerCore
    oracle: Oracle
    owner: ClientSession
    next_conn: int = 100


def _core_bench() -> CoreBench:
    clock = VirtualClock(T0, monotonic=FrozenTime())
    model = ChargerModel(clock)
    model.plugged = True
    store = KeyStore(ChargerIdentity.generate("CPH-FUZZ-1"))
    core = ChargerCore(store, model, pairing_window_s=600)
    owner_key = generate_private_key()
    charger_pub = store.identity.public_key
    request, _proof = build_enroll_request(
        owner_key, charger_pub, store.identity.setup_secret, Role.OWNER, "owner"
    )
    enroll = encode_message(request)
    session = ClientSession(owner_key, charger_pub)
    hello = encode_message(session.hello())
    reassembler = Reassembler()

    def exchange(payload: bytes) -> Message:
        for fragment in fragment_message(payload, 20):
            core.receive(1, fragment, 0.0)
        replies: list[Message] = []
        for out in core.take_outgoing():
            replies += decode_all(reassembler, out.fragments)
        (reply,) = [m for m in replies if not isinstance(m, Event)]
        return reply

    core.connect(1, 20)
    assert isinstance(exchange(enroll), EnrollResult)
    info = exchange(hello)
    assert isinstance(info, SessionInfo)
    session.accept_session_info(info, 0.0)
    commands = []
    for op, args in GENUINE_COMMANDS:
        pending = session.seal_command(op, args, now=0.0)
        reply = exchange(pending.payload)
        assert isinstance(reply, Response)
        assert session.open_response(reply, pending).reason is ReasonCode.OK
        commands.append(pending.payload)
    core.disconnect(1)
    corpus = Corpus(session.key_id, core.epoch, enroll, hello, tuple(commands))
    return CoreBench(core, Oracle(core, owner_key, corpus), session)


def _core_barrage(bench: CoreBench, barrage: Barrage) -> None:
    """Feed one example on a fresh connection and check every answer and the state."""
    core = bench.core
    if barrage.button:
        core.press_pairing_button()
    before = snapshot(core)
    conn = bench.next_conn
    bench.next_conn += 1
    core.connect(conn, 20)
    replies: list[Message] = []
    reassembler = Reassembler()
    for write in barrage.writes:
        core.receive(conn, write.data, 0.0)  # must never raise
        for out in core.take_outgoing():
            assert out.conn_id == conn
            replies += decode_all(reassembler, out.fragments)
    core.disconnect(conn)
    for reply in replies:
        bench.oracle.check(reply)
    if barrage.messages is not None:
        assert len(replies) == barrage.messages, replies
    assert snapshot(core) == before


def _owner_still_in_control(bench: CoreBench) -> None:
    """After the barrage the owner's own phone opens a session and charges as before."""
    reassembler = Reassembler()
    bench.core.connect(1, 20)

    def call(op: Op) -> ReasonCode:
        pending = bench.owner.seal_command(op, None, now=0.0)
        for fragment in fragment_message(pending.payload, 20):
            bench.core.receive(1, fragment, 0.0)
        replies = []
        for out in bench.core.take_outgoing():
            replies += [
                m for m in decode_all(reassembler, out.fragments) if not isinstance(m, Event)
            ]
        (reply,) = replies
        assert isinstance(reply, Response)
        return bench.owner.open_response(reply, pending).reason

    for fragment in fragment_message(encode_message(bench.owner.hello()), 20):
        bench.core.receive(1, fragment, 0.0)
    (out,) = bench.core.take_outgoing()
    (info,) = decode_all(reassembler, out.fragments)
    assert isinstance(info, SessionInfo)
    bench.owner.accept_session_info(info, 0.0)
    assert call(Op.START) is ReasonCode.OK and bench.core.model.session is not None
    assert call(Op.STOP) is ReasonCode.OK and bench.core.model.session is None


@pytest.fixture
def core_bench() -> CoreBench:
    return _core_bench()


def _core_fuzz(examples: int) -> Callable[..., None]:
    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=SUPPRESSED,
    )
    @given(data=st.data())
    def run(core_bench: CoreBench, data: st.DataObject) -> None:
        # the same charger takes every example: abuse accumulates like on a real driveway
        _core_barrage(core_bench, data.draw(barrages(core_bench.oracle.corpus, air=False)))

    return run


test_core_survives_frame_fuzzing = _core_fuzz(300)
test_core_survives_long_frame_fuzzing = pytest.mark.slow(pytest.mark.timeout(600)(_core_fuzz(5000)))


def test_core_owner_keeps_control_after_fuzzing(core_bench: CoreBench) -> None:
    """A fixed barrage of every attack family, then the owner's start/stop."""
    corpus = core_bench.oracle.corpus
    for payload in corpus.payloads:
        for how in range(6):
            for where in (0, 3, 17, 40, 200):
                mutated = _mutate(payload, how, where, 0x5A)
                _core_barrage(core_bench, Barrage((Write(_frame(mutated)),), None))
        _core_barrage(core_bench, Barrage((Write(_frame(payload)),), 1))
    for command in corpus.commands:  # replayed on a connection bound to the owner's key id
        replay = Barrage((Write(_frame(corpus.hello)), Write(_frame(command))), 2)
        _core_barrage(core_bench, replay)
    for junk in (b"\x00\x00", b"\xff\xff", b"\x08\x01" + bytes(300), bytes(range(256))):
        _core_barrage(core_bench, Barrage((Write(junk),), None))
    assert core_bench.oracle.seen.get("ErrorMessage", 0) > 50
    assert core_bench.oracle.seen.get("Response", 0) == len(corpus.commands)  # sealed replays
    _owner_still_in_control(core_bench)


# --- level 2: the real GATT peripheral over a virtual radio -----------------------------------

_ATT_TIMEOUT = 3.0  # an ATT write the charger does not answer in this time is a hang


class RawCentral:
    """An attacker's central: its own controller on the air, raw ATT writes to any handle."""

    def __init__(self, air: LocalLink, address: str) -> None:
        controller = Controller("fuzzer", link=air, public_address=address)
        self.device = Device(
            name="fuzzer",
            address=Address(address),
            host=Host(controller, AsyncPipeSink(controller)),
        )
        self.connection: Connection | None = None
        self.peer: Peer | None = None
        self.handles: dict[str, int] = {}
        self.fragments: asyncio.Queue[bytes] = asyncio.Queue()

    async def power_on(self) -> RawCentral:
        await self.device.power_on()
        return self

    async def open(self, charger: str, mtu: int) -> None:
        self.fragments = asyncio.Queue()
        self.connection = await asyncio.wait_for(self.device.connect(Address(charger)), 5)
        self.peer = Peer(self.connection)
        if mtu > 23:
            await self.peer.request_mtu(mtu)
        await self.peer.discover_services()
        await self.peer.discover_characteristics()
        uuids = {"rx": RX_CHAR_UUID, "info": INFO_CHAR_UUID, "tx": TX_CHAR_UUID}
        for name, uuid in uuids.items():
            (char,) = self.peer.get_characteristics_by_uuid(UUID(uuid))
            self.handles[name] = char.handle
            if name == "tx":
                await self.peer.discover_descriptors(char)
                (cccd,) = [
                    d
                    for d in char.descriptors
                    if d.type == GATT_CLIENT_CHARACTERISTIC_CONFIGURATION_DESCRIPTOR
                ]
                self.handles["cccd"] = cccd.handle
                await self.peer.subscribe(char, self.fragments.put_nowait)
        self.handles["bad-handle"] = 0xFFF0

    async def write(self, write: Write) -> int | None:
        """Write; the ATT error code if refused. A hang fails the test."""
        assert self.peer is not None
        try:
            await asyncio.wait_for(
                self.peer.write_value(self.handles[write.target], write.data, write.with_response),
                _ATT_TIMEOUT,
            )
        except att.ATT_Error as exc:
            return int(exc.error_code)
        return None

    async def close(self) -> None:
        if self.connection is not None:
            connection, self.connection = self.connection, None
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.disconnect(), 2)

    async def power_off(self) -> None:
        await self.close()
        with contextlib.suppress(Exception):
            await self.device.power_off()


@dataclasses.dataclass
class AirBench:
    sim: HomeSimulator
    owner_link: BleakHomeChargerLink
    attacker: RawCentral
    oracle: Oracle
    air: LocalLink
    mtu: int = 247


async def _capture(raw: RawCentral, payloads: list[bytes]) -> list[Message]:
    """Send genuine payloads (fragmented to the MTU) and return the answers, events dropped."""
    answers: list[Message] = []
    reassembler = Reassembler()
    for payload in payloads:
        for fragment in fragment_message(payload, 20):
            assert await raw.write(Write(fragment)) is None
        while True:
            fragment = await asyncio.wait_for(raw.fragments.get(), _ATT_TIMEOUT)
            got = [m for m in decode_all(reassembler, [fragment]) if not isinstance(m, Event)]
            if got:
                answers += got
                break
    return answers


@pytest.fixture
async def air_bench(caplog: pytest.LogCaptureFixture) -> AsyncIterator[AirBench]:
    caplog.set_level(logging.INFO)
    air = LocalLink()  # type: ignore[no-untyped-call]
    sim = await HomeSimulator.start(air, HomeSimulatorConfig(plugged=True))
    radio = BumbleRadio(air, central_address="C1:00:00:00:00:01")
    owner_key = generate_private_key()
    link = BleakHomeChargerLink(
        owner_key,
        scanner_backend=BumbleScanner,
        client_backend=BumbleClient,
        backend_kwargs={"radio": radio},
        command_timeout=3.0,
        connect_timeout=3.0,
        scan_timeout=2.0,
        backoff_initial=0.02,
        backoff_max=0.2,
    )
    attacker = await RawCentral(air, "C6:66:66:66:66:66").power_on()
    try:
        await link.connect(await link.enroll(sim.label))
        # a genuine second connection of the owner's key, recorded by the attacker
        charger_pub = sim.core.store.identity.public_key
        request, _ = build_enroll_request(
            owner_key, charger_pub, sim.label.setup_secret, Role.OWNER, "phone"
        )
        session = ClientSession(owner_key, charger_pub)
        hello = encode_message(session.hello())
        await attacker.open(sim.address, 247)
        enroll = encode_message(request)
        result, info = await _capture(attacker, [enroll, hello])
        assert isinstance(result, EnrollResult) and isinstance(info, SessionInfo)
        session.accept_session_info(info, asyncio.get_running_loop().time())
        commands = []
        for op, args in GENUINE_COMMANDS:
            pending = session.seal_command(op, args, now=asyncio.get_running_loop().time())
            (reply,) = await _capture(attacker, [pending.payload])
            assert isinstance(reply, Response)
            assert session.open_response(reply, pending).reason is ReasonCode.OK
            commands.append(pending.payload)
        await attacker.close()
        corpus = Corpus(session.key_id, sim.core.epoch, enroll, hello, tuple(commands))
        yield AirBench(sim, link, attacker, Oracle(sim.core, owner_key, corpus), air)
    finally:
        await attacker.power_off()
        await link.close()
        await radio.close()
        await sim.stop()


def _escaped(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Anything the charger (or the BLE stack under it) logged as an error or exception."""
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


async def _air_barrage(bench: AirBench, barrage: Barrage, caplog: pytest.LogCaptureFixture) -> None:
    """One example on a fresh attacker connection: writes, answers, state."""
    sim, attacker = bench.sim, bench.attacker
    if barrage.button:
        await sim.press_pairing_button()
    before = snapshot(sim.core)
    await attacker.open(sim.address, bench.mtu)
    try:
        for write in barrage.writes:
            refused = await attacker.write(write)
            if not write.with_response:
                continue  # a Write Command has no answer at the ATT level
            if write.target in ("info", "tx"):
                assert refused == att.ATT_WRITE_NOT_PERMITTED_ERROR, write
            elif write.target == "bad-handle":
                assert refused == att.ATT_INVALID_HANDLE_ERROR
            elif write.target == "rx" and len(write.data) <= 512:
                assert refused is None, write  # the charger answers in the protocol, not ATT
        replies: list[Message] = []
        reassembler = Reassembler()
        expected = barrage.messages
        while expected is not None and len(replies) < expected:
            fragment = await asyncio.wait_for(attacker.fragments.get(), _ATT_TIMEOUT)
            replies += decode_all(reassembler, [fragment])
        await asyncio.sleep(0.02)  # let stray notifications of a broken frame arrive
        while not attacker.fragments.empty():
            replies += decode_all(reassembler, [attacker.fragments.get_nowait()])
    finally:
        await attacker.close()
    for reply in replies:
        bench.oracle.check(reply)
    if expected is not None:
        assert len(replies) == expected, replies
    assert snapshot(sim.core) == before
    assert sim.peripheral.internal_errors == 0
    assert not _escaped(caplog)


async def _owner_in_control(bench: AirBench) -> None:
    """The enrolled phone's link is still up and its start/stop work."""
    link, sim = bench.owner_link, bench.sim
    assert link.state is LinkState.CONNECTED
    assert (await link.start_charging()).state == "C" and sim.model.session is not None
    assert (await link.stop_charging()).state == "B" and sim.model.session is None


def _air_fuzz(examples: int, mtu: int = 247) -> Callable[..., Any]:
    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=SUPPRESSED,
    )
    @given(data=st.data())
    async def run(
        air_bench: AirBench, caplog: pytest.LogCaptureFixture, data: st.DataObject
    ) -> None:
        # one charger for all examples, a fresh attacker connection per example
        air_bench.mtu = mtu
        barrage = data.draw(barrages(air_bench.oracle.corpus, air=True, mtu=mtu))
        await _air_barrage(air_bench, barrage, caplog)
        assert (await air_bench.owner_link.get_status()).state == "B"

    return run


test_charger_survives_ble_fuzzing = _air_fuzz(40)
test_charger_survives_ble_fuzzing_at_minimum_mtu = _air_fuzz(25, mtu=23)
test_charger_survives_long_ble_fuzzing = pytest.mark.slow(pytest.mark.timeout(900)(_air_fuzz(1000)))


async def test_after_every_attack_family_owner_charges_and_a_second_phone_connects(
    air_bench: AirBench, caplog: pytest.LogCaptureFixture
) -> None:
    """A fixed barrage over the air (mutations of every captured frame, replays on a bound
    session, lying and oversized frames, writes to every other handle, with and without
    response), then the owner's phone charges and another phone connects."""
    corpus = air_bench.oracle.corpus
    for payload in corpus.payloads:
        mutations = [_mutate(payload, how, where, 0xA5) for how in range(6) for where in (1, 33)]
        bound = [corpus.hello, *mutations]  # a session bound to the owner's key id first
        writes = tuple(Write(_frame(m), "rx", bool(i % 2)) for i, m in enumerate(bound))
        await _air_barrage(air_bench, Barrage(writes, len(writes)), caplog)
    for command in corpus.commands:
        replay = Barrage((Write(_frame(corpus.hello)), Write(_frame(command))), 2)
        await _air_barrage(air_bench, replay, caplog)
    junk = [b"\x00\x00", b"\xff\xff" + bytes(240), bytes(range(256)) * 2, b"\x08\x00" + bytes(5)]
    others = [Write(b"\x01\x00\x02", t, r) for t in ("info", "tx", "cccd", "bad-handle")
              for r in (True, False)]  # fmt: skip
    await _air_barrage(air_bench, Barrage((*[Write(j) for j in junk], *others), None), caplog)
    assert air_bench.oracle.reasons.get(ReasonCode.COUNTER_REPLAY) == len(corpus.commands)
    assert air_bench.oracle.reasons.get(ReasonCode.BAD_AUTH, 0) > 0
    assert air_bench.oracle.reasons.get(ReasonCode.MALFORMED, 0) > 10

    await _owner_in_control(air_bench)
    assert air_bench.owner_link.pairing is not None
    radio = BumbleRadio(air_bench.air, central_address="C1:00:00:00:00:02")
    second = BleakHomeChargerLink(
        air_bench.oracle.owner_key,  # the same phone's key from another central
        scanner_backend=BumbleScanner,
        client_backend=BumbleClient,
        backend_kwargs={"radio": radio},
        command_timeout=3.0,
        connect_timeout=3.0,
        scan_timeout=2.0,
    )
    try:
        await second.connect(air_bench.owner_link.pairing)
        assert (await second.get_status()).state == "B"
        assert air_bench.sim.peripheral.connection_count == 2
    finally:
        await second.close()
        await radio.close()
    assert not _escaped(caplog)

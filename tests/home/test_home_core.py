"""The charger's sans-IO protocol core: enrolment rules, session checks and idempotency,
driven directly (no radio) with a frozen virtual clock."""

from __future__ import annotations

import dataclasses

import pytest

from home_protocol.cbor import CborKey, CborValue
from home_protocol.commands import ChargerStatus, Op, ResponseBody
from home_protocol.crypto import generate_private_key, public_key_bytes
from home_protocol.enrollment import build_enroll_request, verify_enroll_result
from home_protocol.framing import Reassembler, fragment_message
from home_protocol.messages import (
    Command,
    EnrollResult,
    ErrorMessage,
    Message,
    Response,
    SessionInfo,
    decode_message,
    encode_message,
)
from home_protocol.reasons import KeyState, ReasonCode, Role
from home_protocol.session import ClientSession, PendingRequest
from simulators.home.core import ChargerCore
from simulators.home.keystore import ChargerIdentity, KeyStore
from simulators.home.model import ChargerModel, VirtualClock

T0 = 1_767_225_600.0


class FrozenTime:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


@dataclasses.dataclass
class Phone:
    """A phone talking to the core over one connection id (20-byte fragments: MTU 23)."""

    core: ChargerCore
    conn: int
    key: object = dataclasses.field(default_factory=generate_private_key)

    def __post_init__(self) -> None:
        self.core.connect(self.conn, 20)
        self.rx = Reassembler()
        self.session: ClientSession | None = None

    def send(self, payload: bytes) -> list[Message]:
        for fragment in fragment_message(payload, 20):
            self.core.receive(self.conn, fragment, 0.0)
        out: list[Message] = []
        for o in self.core.take_outgoing():
            if o.conn_id != self.conn:
                continue
            for fragment in o.fragments:
                out += [decode_message(m) for m in self.rx.feed(fragment, 0.0)]
        return out

    def enroll(self, secret: bytes, role: Role = Role.OWNER) -> Message:
        charger_pub = self.core.store.identity.public_key
        request, proof = build_enroll_request(self.key, charger_pub, secret, role, "p")  # type: ignore[arg-type]
        (reply,) = self.send(encode_message(request))
        if isinstance(reply, EnrollResult):
            verify_enroll_result(reply, proof, public_key_bytes(self.key))  # type: ignore[arg-type]
        return reply

    def hello(self) -> Message:
        self.session = ClientSession(self.key, self.core.store.identity.public_key)  # type: ignore[arg-type]
        (reply,) = self.send(encode_message(self.session.hello()))
        if isinstance(reply, SessionInfo):
            self.session.accept_session_info(reply, 0.0)
        return reply

    def seal(
        self, op: Op, args: dict[CborKey, CborValue] | None = None, **kw: object
    ) -> PendingRequest:
        assert self.session is not None
        return self.session.seal_command(op, args, now=0.0, **kw)  # type: ignore[arg-type]

    def call(self, pending: PendingRequest) -> ResponseBody | ReasonCode:
        replies = [m for m in self.send(pending.payload) if not hasattr(m, "seq")]
        (reply,) = replies
        if isinstance(reply, ErrorMessage):
            return reply.reason
        assert isinstance(reply, Response) and self.session is not None
        return self.session.open_response(reply, pending)


@pytest.fixture
def core() -> ChargerCore:
    clock = VirtualClock(T0, monotonic=FrozenTime())
    model = ChargerModel(clock)
    model.plugged = True
    store = KeyStore(ChargerIdentity.generate("CPH-UNIT-1"))
    return ChargerCore(store, model, pairing_window_s=600)


def secret(core: ChargerCore) -> bytes:
    return core.store.identity.setup_secret


def owner(core: ChargerCore) -> Phone:
    phone = Phone(core, 1)
    reply = phone.enroll(secret(core))
    assert isinstance(reply, EnrollResult) and reply.status is ReasonCode.OK
    assert isinstance(phone.hello(), SessionInfo)
    return phone


def reason_of(result: ResponseBody | ReasonCode) -> ReasonCode:
    return result if isinstance(result, ReasonCode) else result.reason


def test_pairing_window_closes_after_power_up_minutes(core: ChargerCore) -> None:
    core.model.clock.advance(601)
    reply = Phone(core, 1).enroll(secret(core))
    assert isinstance(reply, ErrorMessage) and reply.reason is ReasonCode.PAIRING_WINDOW_CLOSED
    core.press_pairing_button()
    assert isinstance(Phone(core, 2).enroll(secret(core)), EnrollResult)


def test_wrong_secret_is_refused_and_guessing_closes_the_window(core: ChargerCore) -> None:
    for _ in range(5):
        reply = Phone(core, 1).enroll(bytes(16))
        assert isinstance(reply, ErrorMessage) and reply.reason is ReasonCode.BAD_PROOF
    assert not core.pairing_window_open
    assert core.store.records() == []


def test_second_key_waits_for_owner_approval(core: ChargerCore) -> None:
    boss = owner(core)
    member = Phone(core, 2)
    reply = member.enroll(secret(core), Role.MEMBER)
    assert isinstance(reply, EnrollResult) and reply.status is ReasonCode.KEY_PENDING
    hello = member.hello()
    assert isinstance(hello, ErrorMessage) and hello.reason is ReasonCode.KEY_PENDING
    result = boss.call(boss.seal(Op.KEYS_APPROVE, {"kid": reply.key_id, "role": int(Role.MEMBER)}))
    assert reason_of(result) is ReasonCode.OK
    assert isinstance(member.hello(), SessionInfo)
    assert reason_of(member.call(member.seal(Op.KEYS_LIST))) is ReasonCode.FORBIDDEN_ROLE
    assert reason_of(member.call(member.seal(Op.START))) is ReasonCode.OK


def test_replayed_and_rolled_back_commands_are_refused(core: ChargerCore) -> None:
    phone = owner(core)
    first, second = phone.seal(Op.START), phone.seal(Op.PAUSE)
    assert reason_of(phone.call(second)) is ReasonCode.INVALID_STATE  # nothing to pause
    assert reason_of(phone.call(first)) is ReasonCode.COUNTER_REPLAY  # lower counter
    start = phone.seal(Op.START)
    assert reason_of(phone.call(start)) is ReasonCode.OK
    assert reason_of(phone.call(start)) is ReasonCode.COUNTER_REPLAY  # exact replay
    assert core.model.actions_executed == 1


def test_expiry_is_checked_against_the_charger_clock(core: ChargerCore) -> None:
    phone = owner(core)
    late = phone.seal(Op.START, ttl=5)
    core.model.clock.advance(6)
    assert reason_of(phone.call(late)) is ReasonCode.EXPIRED
    phone.hello()
    early = phone.seal(Op.START, ttl=30)
    core.model.clock.advance(-60)
    assert reason_of(phone.call(early)) is ReasonCode.EXPIRY_TOO_FAR
    assert core.model.actions_executed == 0


def test_tampered_command_is_refused(core: ChargerCore) -> None:
    phone = owner(core)
    pending = phone.seal(Op.START)
    command = decode_message(pending.payload)
    assert isinstance(command, Command)
    flipped = dataclasses.replace(
        command, ciphertext=bytes([command.ciphertext[0] ^ 1]) + command.ciphertext[1:]
    )
    assert phone.send(encode_message(flipped))[0] == ErrorMessage(
        ReasonCode.BAD_AUTH, flipped_ref(flipped)
    )
    later = dataclasses.replace(command, expires_at=command.expires_at + 5)  # header is AAD
    assert reason_of_error(phone.send(encode_message(later))) is ReasonCode.BAD_AUTH
    assert core.model.actions_executed == 0


def flipped_ref(command: Command) -> bytes:
    from home_protocol.crypto import sha256

    return sha256(encode_message(command))[:8]


def reason_of_error(messages: list[Message]) -> ReasonCode:
    (m,) = messages
    assert isinstance(m, ErrorMessage)
    return m.reason


def test_reboot_changes_epoch_and_old_session_is_stale(core: ChargerCore) -> None:
    phone = owner(core)
    old_epoch = core.epoch
    core.reboot()
    assert core.epoch != old_epoch
    core.connect(1, 20)
    pending = phone.seal(Op.STATUS)
    assert reason_of(phone.call(pending)) is ReasonCode.STALE_EPOCH
    assert isinstance(phone.hello(), SessionInfo)
    assert reason_of(phone.call(phone.seal(Op.STATUS))) is ReasonCode.OK


def test_retry_with_same_request_id_is_answered_from_memory(core: ChargerCore) -> None:
    phone = owner(core)
    first = phone.call(phone.seal(Op.START, req_id=b"R" * 8))
    again = phone.call(phone.seal(Op.START, req_id=b"R" * 8))
    assert isinstance(first, ResponseBody) and isinstance(again, ResponseBody)
    assert first.result == again.result
    assert core.model.actions_executed == 1
    assert len([h for h in core.model.history]) == 0 and core.model.session is not None


def test_current_limit_bounds_and_installer_role(core: ChargerCore) -> None:
    phone = owner(core)
    assert (
        reason_of(phone.call(phone.seal(Op.SET_CURRENT_LIMIT, {"a": 5})))
        is ReasonCode.INVALID_ARGUMENT
    )
    assert (
        reason_of(phone.call(phone.seal(Op.SET_CURRENT_LIMIT, {"a": 20})))
        is ReasonCode.INVALID_ARGUMENT
    )
    ok = phone.call(phone.seal(Op.SET_CURRENT_LIMIT, {"a": 10}))
    assert isinstance(ok, ResponseBody) and ChargerStatus.from_cbor(ok.result).current_limit_a == 10
    assert (
        reason_of(phone.call(phone.seal(Op.SET_INSTALLATION, {"max_a": 32, "phases": 3})))
        is ReasonCode.FORBIDDEN_ROLE
    )
    installer = Phone(core, 3)
    reply = installer.enroll(secret(core), Role.INSTALLER)
    assert isinstance(reply, EnrollResult) and reply.status is ReasonCode.KEY_PENDING
    phone.call(phone.seal(Op.KEYS_APPROVE, {"kid": reply.key_id, "role": int(Role.INSTALLER)}))
    installer.hello()
    assert (
        reason_of(installer.call(installer.seal(Op.SET_INSTALLATION, {"max_a": 32, "phases": 3})))
        is ReasonCode.OK
    )
    assert reason_of(phone.call(phone.seal(Op.SET_CURRENT_LIMIT, {"a": 20}))) is ReasonCode.OK


def test_unknown_key_and_member_before_owner(core: ChargerCore) -> None:
    stranger = Phone(core, 1)
    assert reason_of_error([stranger.hello()]) is ReasonCode.UNKNOWN_KEY
    reply = Phone(core, 2).enroll(secret(core), Role.MEMBER)
    assert isinstance(reply, ErrorMessage) and reply.reason is ReasonCode.INVALID_STATE


def test_reenrolling_the_same_key_changes_nothing(core: ChargerCore) -> None:
    phone = owner(core)
    again = phone.enroll(secret(core), Role.INSTALLER)
    assert isinstance(again, EnrollResult) and again.role is Role.OWNER
    assert [r.state for r in core.store.records()] == [KeyState.ACTIVE]


def test_hello_flood_on_one_connection_is_rate_limited(core: ChargerCore) -> None:
    phone = owner(core)  # one HELLO already
    replies = [phone.hello() for _ in range(10)]
    assert all(isinstance(r, SessionInfo) for r in replies[:9])
    assert reason_of_error([replies[9]]) is ReasonCode.RATE_LIMITED
    core.model.clock.advance(11)
    assert isinstance(phone.hello(), SessionInfo)


def test_stale_partial_message_is_dropped_silently_and_next_request_answered_once(
    core: ChargerCore,
) -> None:
    """A phone that lost a fragment (or gave up mid-write) and asks again after the 3 s
    reassembly timeout gets exactly the answer to its new request: no stray ERROR that it
    would take for that answer (§4: the late fragment simply starts a new message)."""
    phone = owner(core)
    core.receive(phone.conn, b"\x00\x40" + bytes(10), 0.0)  # 64 bytes announced, 10 sent
    assert core.take_outgoing() == []
    assert phone.session is not None
    request = encode_message(phone.session.hello())
    replies: list[Message] = []
    for fragment in fragment_message(request, 20):  # several fragments, 5 s later
        core.receive(phone.conn, fragment, 5.0)
        for out in core.take_outgoing():
            replies += [decode_message(m) for f in out.fragments for m in phone.rx.feed(f, 5.0)]
    assert [type(r) for r in replies] == [SessionInfo]

"""Sans-IO protocol core of the simulated home charger.

It receives GATT write fragments per connection and produces notification fragments; it owns
the security decisions of the charger: pairing window, enrolment proof, per-boot epoch,
per-key counters, expiry, roles, and the memory of recent request ids that makes a retried
command idempotent. The Bumble peripheral (peripheral.py) only moves bytes in and out.
"""

from __future__ import annotations

import collections
import dataclasses
import logging

from home_protocol.commands import PERMISSIONS, EventType, RequestBody, ResponseBody, validate_args
from home_protocol.crypto import ecdh, random_bytes, sha256
from home_protocol.enrollment import build_enroll_result, verify_enroll_request
from home_protocol.errors import (
    AuthenticationError,
    CryptoError,
    DecodeError,
    FramingError,
    ReassemblyTimeout,
)
from home_protocol.framing import Reassembler, fragment_message
from home_protocol.gatt import ChargerInfo, advertised_name
from home_protocol.messages import (
    EPOCH_SIZE,
    Command,
    EnrollRequest,
    ErrorMessage,
    Hello,
    Message,
    MessageKind,
    decode_message,
    encode_message,
)
from home_protocol.reasons import KeyState, ReasonCode, Role
from home_protocol.session import (
    MAX_COMMAND_TTL,
    SessionKeys,
    derive_session_keys,
    make_session_info,
    open_command,
    request_hash,
    seal_event,
    seal_response,
)
from simulators.home.handlers import execute
from simulators.home.keystore import KeyRecord, KeyStore
from simulators.home.model import ChargerModel

__all__ = ["CLOCK_SKEW_ALLOWANCE", "ChargerCore", "Outgoing"]

logger = logging.getLogger(__name__)

CLOCK_SKEW_ALLOWANCE = 2
"""Seconds of clock disagreement tolerated on top of MAX_COMMAND_TTL."""
_REQUEST_MEMORY = 32  # remembered request ids per key and boot
_MAX_FAILED_PROOFS = 5  # wrong setup secrets before the pairing window closes
_HELLO_BURST = 10  # HELLOs allowed per connection within _HELLO_PERIOD seconds
_HELLO_PERIOD = 10.0


@dataclasses.dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to notify on a connection, already cut into fragments."""

    conn_id: int
    kind: MessageKind
    fragments: list[bytes]


@dataclasses.dataclass
class _Connection:
    fragment_size: int
    reassembler: Reassembler = dataclasses.field(default_factory=Reassembler)
    kid: bytes | None = None
    keys: SessionKeys | None = None
    event_seq: int = 0
    hello_times: list[float] = dataclasses.field(default_factory=list)


class ChargerCore:
    """Protocol state of one charger boot; ``reboot()`` starts a new epoch."""

    def __init__(
        self,
        store: KeyStore,
        model: ChargerModel,
        *,
        pairing_window_s: float = 600.0,
        firmware: str = "sim-1.0",
        model_name: str = "chargepile Home 22",
    ) -> None:
        self.store = store
        self.model = model
        self.pairing_window_s = pairing_window_s
        self.firmware = firmware
        self.model_name = model_name
        self._connections: dict[int, _Connection] = {}
        self._outbox: list[Outgoing] = []
        self.epoch = b""
        self._counters: dict[bytes, int] = {}
        self._answered: dict[bytes, collections.OrderedDict[bytes, ResponseBody]] = {}
        self._window_until = 0.0
        self._failed_proofs = 0
        self.boot_count = 0
        self.handshakes = 0
        model.add_listener(self._on_model_change)
        self.reboot()

    # --- lifecycle and physical controls -------------------------------------------------

    def reboot(self) -> None:
        """New random epoch; sessions, counters and request memory are lost; the pairing
        window opens for ``pairing_window_s`` as after any power-up."""
        self.epoch = random_bytes(EPOCH_SIZE)
        self._connections.clear()
        self._outbox.clear()
        self._counters.clear()
        self._answered.clear()
        self._failed_proofs = 0
        self._window_until = self.model.clock.now() + self.pairing_window_s
        self.boot_count += 1

    def press_pairing_button(self) -> None:
        self._failed_proofs = 0
        self._window_until = self.model.clock.now() + max(self.pairing_window_s, 120.0)

    def close_pairing_window(self) -> None:
        self._window_until = 0.0

    @property
    def pairing_window_open(self) -> bool:
        return self.model.clock.now() < self._window_until

    def last_counter(self, kid: bytes) -> int:
        """Highest command counter accepted from ``kid`` in this epoch (0: none yet)."""
        return self._counters.get(kid, 0)

    def info(self) -> ChargerInfo:
        return ChargerInfo(
            protocol_version=1,
            model=self.model_name,
            firmware=self.firmware,
            serial_hash=advertised_name(self.store.identity.serial)[4:],
            public_key=self.store.identity.public_key,
            pairing_window_open=self.pairing_window_open,
            max_current_a=self.model.hardware_max_a,
        )

    # --- connections --------------------------------------------------------------------

    def connect(self, conn_id: int, fragment_size: int = 20) -> None:
        self._connections[conn_id] = _Connection(fragment_size)

    def set_fragment_size(self, conn_id: int, fragment_size: int) -> None:
        conn = self._connections.get(conn_id)
        if conn is not None:
            conn.fragment_size = fragment_size

    def disconnect(self, conn_id: int) -> None:
        self._connections.pop(conn_id, None)
        self._outbox = [o for o in self._outbox if o.conn_id != conn_id]

    def take_outgoing(self) -> list[Outgoing]:
        out, self._outbox = self._outbox, []
        return out

    def receive(self, conn_id: int, fragment: bytes, now: float) -> None:
        """Feed one written fragment (``now``: monotonic seconds for reassembly timeouts)."""
        conn = self._connections.get(conn_id)
        if conn is None:
            return
        try:
            payloads = conn.reassembler.feed(fragment, now)
        except ReassemblyTimeout:
            # §4: a stale partial message is dropped and this fragment starts the next one.
            # No ERROR: it would reach the phone while it waits for the answer to that next
            # request, and an ERROR without ref is taken as that answer.
            logger.info("connection %s: stale partial message discarded", conn_id)
            return
        except FramingError as exc:
            logger.info("connection %s: framing error: %s", conn_id, exc)
            self._error(conn_id, ReasonCode.MALFORMED, b"")
            return
        for payload in payloads:
            self._handle(conn_id, conn, payload)

    # --- dispatch -----------------------------------------------------------------------

    def _send(self, conn_id: int, message: Message) -> None:
        conn = self._connections.get(conn_id)
        if conn is None:
            return
        fragments = fragment_message(encode_message(message), conn.fragment_size)
        self._outbox.append(Outgoing(conn_id, message.kind, fragments))

    def _error(self, conn_id: int, reason: ReasonCode, payload: bytes) -> None:
        ref = sha256(payload)[:8] if payload else b""
        self._send(conn_id, ErrorMessage(reason, ref))

    def _handle(self, conn_id: int, conn: _Connection, payload: bytes) -> None:
        try:
            message = decode_message(payload)
        except DecodeError:
            self._error(conn_id, ReasonCode.MALFORMED, payload)
            return
        if isinstance(message, EnrollRequest):
            self._enroll(conn_id, message, payload)
        elif isinstance(message, Hello):
            self._hello(conn_id, conn, message, payload)
        elif isinstance(message, Command):
            self._command(conn_id, conn, message, payload)
        else:
            self._error(conn_id, ReasonCode.MALFORMED, payload)

    def _enroll(self, conn_id: int, req: EnrollRequest, payload: bytes) -> None:
        if not self.pairing_window_open:
            self._error(conn_id, ReasonCode.PAIRING_WINDOW_CLOSED, payload)
            return
        identity = self.store.identity
        try:
            proof = verify_enroll_request(req, identity.private_key, identity.setup_secret)
        except CryptoError:
            self._failed_proofs += 1
            if self._failed_proofs >= _MAX_FAILED_PROOFS:
                self.close_pairing_window()  # stop online guessing of the secret
            self._error(conn_id, ReasonCode.BAD_PROOF, payload)
            return
        existing = self.store.get(sha256(req.app_public_key)[:8])
        if existing is not None:
            # a retry after a lost answer: report the stored outcome, change nothing
            status = ReasonCode.OK if existing.state is KeyState.ACTIVE else ReasonCode.KEY_PENDING
            role = existing.role
        elif self.store.full:
            self._error(conn_id, ReasonCode.KEY_STORE_FULL, payload)
            return
        elif self.store.has_owner():
            status, role = ReasonCode.KEY_PENDING, req.role
            self.store.add(self._record(req, KeyState.PENDING))
        elif req.role is Role.MEMBER:
            # nobody could approve a household member before an owner exists
            self._error(conn_id, ReasonCode.INVALID_STATE, payload)
            return
        else:
            status, role = ReasonCode.OK, req.role
            self.store.add(self._record(req, KeyState.ACTIVE))
        self._send(conn_id, build_enroll_result(proof, status, req.app_public_key, role))

    def _record(self, req: EnrollRequest, state: KeyState) -> KeyRecord:
        return KeyRecord(req.app_public_key, req.role, req.name, state, int(self.model.clock.now()))

    def _keys_for(self, kid: bytes) -> tuple[KeyRecord | None, ReasonCode]:
        record = self.store.get(kid)
        if record is None:
            return None, ReasonCode.UNKNOWN_KEY
        if record.state is not KeyState.ACTIVE:
            return None, ReasonCode.KEY_PENDING
        return record, ReasonCode.OK

    def _hello(self, conn_id: int, conn: _Connection, hello: Hello, payload: bytes) -> None:
        # each HELLO costs an ECDH: bound how often one connection may ask
        now = self.model.clock.now()
        conn.hello_times = [t for t in conn.hello_times if now - t < _HELLO_PERIOD] + [now]
        if len(conn.hello_times) > _HELLO_BURST:
            self._error(conn_id, ReasonCode.RATE_LIMITED, payload)
            return
        record, reason = self._keys_for(hello.key_id)
        if record is None:
            self._error(conn_id, reason, payload)
            return
        keys = derive_session_keys(
            ecdh(self.store.identity.private_key, record.public_key), self.epoch, hello.key_id
        )
        conn.kid, conn.keys, conn.event_seq = hello.key_id, keys, 0
        self.handshakes += 1
        info = make_session_info(
            keys,
            hello.key_id,
            hello.challenge,
            self.epoch,
            self._counters.get(hello.key_id, 0),
            int(self.model.clock.now()),
        )
        self._send(conn_id, info)

    def _command(self, conn_id: int, conn: _Connection, cmd: Command, payload: bytes) -> None:
        record, reason = self._keys_for(cmd.key_id)
        if record is None:
            self._error(conn_id, reason, payload)
            return
        if cmd.epoch != self.epoch:
            self._error(conn_id, ReasonCode.STALE_EPOCH, payload)
            return
        if conn.keys is None or conn.kid != cmd.key_id:
            self._error(conn_id, ReasonCode.NO_SESSION, payload)
            return
        try:
            body = open_command(conn.keys, cmd)
        except AuthenticationError:
            self._error(conn_id, ReasonCode.BAD_AUTH, payload)
            return
        except DecodeError:
            self._error(conn_id, ReasonCode.MALFORMED, payload)
            return
        rhash = request_hash(payload)

        def answer(response: ResponseBody) -> None:
            assert conn.keys is not None
            sealed = seal_response(conn.keys, cmd.key_id, self.epoch, cmd.counter, rhash, response)
            self._send(conn_id, sealed)

        # authenticated from here on: refusals are sealed so the app can trust them
        if cmd.counter <= self._counters.get(cmd.key_id, 0):
            answer(ResponseBody(body.req_id, ReasonCode.COUNTER_REPLAY, None))
            return
        now = int(self.model.clock.now())
        if cmd.expires_at < now:
            answer(ResponseBody(body.req_id, ReasonCode.EXPIRED, None))
            return
        if cmd.expires_at > now + MAX_COMMAND_TTL + CLOCK_SKEW_ALLOWANCE:
            answer(ResponseBody(body.req_id, ReasonCode.EXPIRY_TOO_FAR, None))
            return
        self._counters[cmd.key_id] = cmd.counter
        memory = self._answered.setdefault(cmd.key_id, collections.OrderedDict())
        cached = memory.get(body.req_id)
        if cached is not None:
            answer(cached)  # a retry of an action already done: answer, do not act again
            return
        response = self._execute(body, record)
        memory[body.req_id] = response
        while len(memory) > _REQUEST_MEMORY:
            memory.popitem(last=False)
        answer(response)

    def _execute(self, body: RequestBody, record: KeyRecord) -> ResponseBody:
        if record.role not in PERMISSIONS.get(body.op, frozenset()):
            return ResponseBody(body.req_id, ReasonCode.FORBIDDEN_ROLE, None)
        try:
            validate_args(body.op, body.args, self.model.hardware_max_a)
        except DecodeError as exc:
            return ResponseBody(body.req_id, ReasonCode.INVALID_ARGUMENT, str(exc))
        reason, result = execute(
            body.op,
            body.args,
            kid=record.key_id,
            role=record.role,
            model=self.model,
            store=self.store,
        )
        return ResponseBody(body.req_id, reason, result)

    # --- events -------------------------------------------------------------------------

    def _on_model_change(self) -> None:
        # persist what a real charger keeps in flash: history and installation settings
        settings = {
            "installation_max_a": self.model.installation_max_a,
            "phases": self.model.phases,
            "current_limit_a": self.model.current_limit_a,
            "locked": int(self.model.locked),
        }
        if self.model.history != self.store.history or settings != self.store.settings:
            self.store.history = list(self.model.history)
            self.store.settings = settings
            self.store.save()
        status = self.model.status().to_cbor()
        for conn_id, conn in self._connections.items():
            if conn.keys is None or conn.kid is None:
                continue
            conn.event_seq += 1
            event = seal_event(
                conn.keys, conn.kid, self.epoch, conn.event_seq, EventType.STATUS, status
            )
            self._send(conn_id, event)

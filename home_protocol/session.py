"""Sessions: key derivation, the HELLO / SESSION_INFO handshake and sealed commands.

Keys: ``Z = ECDH(app static, charger static)``; per boot the charger picks a random 16-byte
``epoch`` and both sides derive ``HKDF-SHA256(Z, salt=epoch, info="chargepile-home/v1/session"
‖ key_id, 96)`` split into ``k_c2s ‖ k_s2c ‖ k_info``. A reboot therefore changes every key
and makes captured frames useless; within an epoch the charger accepts a command only with a
counter strictly above the last accepted one for that key, and only before its ``expires_at``.

``ClientSession`` is the app side (one per connection, sans-IO). The charger side is a set of
pure functions (``make_session_info``, ``open_command``, ``seal_response``, ``seal_event``);
the state checks (epoch, counter, expiry, role) live in the charger core so a firmware author
sees them in one place (simulators/home/core.py).
"""

from __future__ import annotations

import dataclasses

from cryptography.hazmat.primitives.asymmetric import ec

from home_protocol.cbor import CborKey, CborValue, dumps, loads
from home_protocol.commands import REQUEST_ID_SIZE, EventType, Op, RequestBody, ResponseBody
from home_protocol.crypto import (
    NONCE_SIZE,
    aead_decrypt,
    aead_encrypt,
    ecdh,
    hkdf,
    hmac_sha256,
    key_id,
    public_key_bytes,
    random_bytes,
    sha256,
    verify_hmac,
)
from home_protocol.errors import DecodeError, SessionError
from home_protocol.gatt import PROTOCOL_VERSION
from home_protocol.messages import (
    CHALLENGE_SIZE,
    Command,
    Event,
    Hello,
    MessageKind,
    Response,
    SessionInfo,
    encode_message,
)

__all__ = [
    "DEFAULT_COMMAND_TTL",
    "MAX_COMMAND_TTL",
    "SESSION_INFO_LABEL",
    "ClientSession",
    "PendingRequest",
    "SessionKeys",
    "command_aad",
    "derive_session_keys",
    "event_aad",
    "make_session_info",
    "open_command",
    "request_hash",
    "response_aad",
    "seal_event",
    "seal_response",
    "session_info_tag",
]

SESSION_INFO_LABEL = b"chargepile-home/v1/session"
DEFAULT_COMMAND_TTL = 10
MAX_COMMAND_TTL = 30
"""The charger refuses commands whose expires_at is further ahead than this (seconds)."""


@dataclasses.dataclass(frozen=True, slots=True)
class SessionKeys:
    c2s: bytes  # AES-256-GCM key for commands
    s2c: bytes  # AES-256-GCM key for responses and events
    info: bytes  # HMAC key for SESSION_INFO


def derive_session_keys(shared_secret: bytes, epoch: bytes, kid: bytes) -> SessionKeys:
    okm = hkdf(shared_secret, salt=epoch, info=SESSION_INFO_LABEL + kid, length=96)
    return SessionKeys(okm[:32], okm[32:64], okm[64:])


def session_info_tag(
    keys: SessionKeys, kid: bytes, challenge: bytes, epoch: bytes, counter: int, clock: int
) -> bytes:
    return hmac_sha256(keys.info, dumps(["session-info", kid, challenge, epoch, counter, clock]))


def command_aad(kid: bytes, epoch: bytes, counter: int, expires_at: int) -> bytes:
    return dumps([PROTOCOL_VERSION, int(MessageKind.COMMAND), kid, epoch, counter, expires_at])


def response_aad(kid: bytes, epoch: bytes, counter: int, req_hash: bytes) -> bytes:
    return dumps([PROTOCOL_VERSION, int(MessageKind.RESPONSE), kid, epoch, counter, req_hash])


def event_aad(kid: bytes, epoch: bytes, seq: int) -> bytes:
    return dumps([PROTOCOL_VERSION, int(MessageKind.EVENT), kid, epoch, seq])


def request_hash(command_payload: bytes) -> bytes:
    """SHA-256 of the complete COMMAND message bytes; binds a response to its request."""
    return sha256(command_payload)


# --- charger side -------------------------------------------------------------------------


def make_session_info(
    keys: SessionKeys, kid: bytes, challenge: bytes, epoch: bytes, counter: int, clock: int
) -> SessionInfo:
    tag = session_info_tag(keys, kid, challenge, epoch, counter, clock)
    return SessionInfo(kid, epoch, counter, clock, tag)


def open_command(keys: SessionKeys, command: Command) -> RequestBody:
    """Decrypt and parse a command; AuthenticationError if tampered, DecodeError if malformed."""
    aad = command_aad(command.key_id, command.epoch, command.counter, command.expires_at)
    return RequestBody.decode(aead_decrypt(keys.c2s, command.nonce, command.ciphertext, aad))


def seal_response(
    keys: SessionKeys,
    kid: bytes,
    epoch: bytes,
    counter: int,
    req_hash: bytes,
    body: ResponseBody,
    nonce: bytes | None = None,
) -> Response:
    nonce = nonce if nonce is not None else random_bytes(NONCE_SIZE)
    aad = response_aad(kid, epoch, counter, req_hash)
    return Response(counter, nonce, aead_encrypt(keys.s2c, nonce, body.encode(), aad))


def seal_event(
    keys: SessionKeys,
    kid: bytes,
    epoch: bytes,
    seq: int,
    event_type: EventType,
    data: CborValue,
    nonce: bytes | None = None,
) -> Event:
    nonce = nonce if nonce is not None else random_bytes(NONCE_SIZE)
    plaintext = dumps([int(event_type), data])
    return Event(seq, nonce, aead_encrypt(keys.s2c, nonce, plaintext, event_aad(kid, epoch, seq)))


# --- app side -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class PendingRequest:
    """What the app must remember about a sent command to accept only *its* response."""

    op: Op
    req_id: bytes
    counter: int
    req_hash: bytes
    payload: bytes  # the encoded COMMAND message, to be framed and written


class ClientSession:
    """App-side session with one charger over one connection (sans-IO).

    Usage: ``hello()`` → send; ``accept_session_info(info, now)``; then ``seal_command`` →
    send ``pending.payload``; ``open_response(response, pending)``; ``open_event(event)``.
    ``now`` is any monotonic clock of the caller in seconds; it only measures elapsed time
    since the SESSION_INFO to compute ``expires_at`` on the charger's clock.
    """

    def __init__(self, app_private: ec.EllipticCurvePrivateKey, charger_public: bytes) -> None:
        self._app_public = public_key_bytes(app_private)
        self._kid = key_id(self._app_public)
        self._shared = ecdh(app_private, charger_public)
        self._challenge: bytes | None = None
        self._keys: SessionKeys | None = None
        self._epoch = b""
        self._counter = 0
        self._clock_at_info = 0
        self._local_at_info = 0.0
        self._event_seq = 0

    @property
    def key_id(self) -> bytes:
        return self._kid

    @property
    def established(self) -> bool:
        return self._keys is not None

    @property
    def epoch(self) -> bytes:
        return self._epoch

    @property
    def counter(self) -> int:
        """Counter of the last command sealed (or the charger's value after the handshake)."""
        return self._counter

    def hello(self, challenge: bytes | None = None) -> Hello:
        """Start (or restart) the handshake; the previous session, if any, is abandoned."""
        self._challenge = challenge if challenge is not None else random_bytes(CHALLENGE_SIZE)
        self._keys = None
        return Hello(self._kid, self._challenge)

    def accept_session_info(self, info: SessionInfo, now: float) -> None:
        """Verify the charger's answer to our HELLO; AuthenticationError if it is not."""
        if self._challenge is None:
            raise SessionError("SESSION_INFO without a HELLO")
        if info.key_id != self._kid:
            raise SessionError("SESSION_INFO for another key")
        keys = derive_session_keys(self._shared, info.epoch, self._kid)
        verify_hmac(
            keys.info,
            dumps(
                ["session-info", self._kid, self._challenge, info.epoch, info.counter, info.clock]
            ),
            info.tag,
        )
        self._keys = keys
        self._challenge = None
        self._epoch = info.epoch
        self._counter = info.counter
        self._clock_at_info = info.clock
        self._local_at_info = now
        self._event_seq = 0

    def charger_clock(self, now: float) -> int:
        """Best estimate of the charger's clock (seconds) at local time ``now``."""
        return self._clock_at_info + int(now - self._local_at_info)

    def seal_command(
        self,
        op: Op,
        args: dict[CborKey, CborValue] | None = None,
        *,
        now: float,
        req_id: bytes | None = None,
        ttl: int = DEFAULT_COMMAND_TTL,
        nonce: bytes | None = None,
    ) -> PendingRequest:
        """Encrypt a command with the next counter. Reuse ``req_id`` when retrying the same
        action after a link drop: the charger then answers from memory instead of acting twice.
        """
        if self._keys is None:
            raise SessionError("no session: call hello() and accept_session_info() first")
        if not 0 < ttl <= MAX_COMMAND_TTL:
            raise SessionError(f"ttl must be 1..{MAX_COMMAND_TTL} s")
        req_id = req_id if req_id is not None else random_bytes(REQUEST_ID_SIZE)
        nonce = nonce if nonce is not None else random_bytes(NONCE_SIZE)
        self._counter += 1
        expires_at = self.charger_clock(now) + ttl
        body = RequestBody(op, req_id, dict(args or {}))
        aad = command_aad(self._kid, self._epoch, self._counter, expires_at)
        ct = aead_encrypt(self._keys.c2s, nonce, body.encode(), aad)
        payload = encode_message(
            Command(self._kid, self._epoch, self._counter, expires_at, nonce, ct)
        )
        return PendingRequest(op, req_id, self._counter, request_hash(payload), payload)

    def open_response(self, response: Response, pending: PendingRequest) -> ResponseBody:
        """Decrypt a response; AuthenticationError unless it answers exactly ``pending``."""
        if self._keys is None:
            raise SessionError("no session")
        if response.counter != pending.counter:
            raise SessionError("response is for another request (counter)")
        aad = response_aad(self._kid, self._epoch, response.counter, pending.req_hash)
        body = ResponseBody.decode(
            aead_decrypt(self._keys.s2c, response.nonce, response.ciphertext, aad)
        )
        if body.req_id != pending.req_id:
            raise SessionError("response is for another request (request id)")
        return body

    def open_event(self, event: Event) -> tuple[EventType, CborValue]:
        """Decrypt an event; SessionError for a replayed/reordered one."""
        if self._keys is None:
            raise SessionError("no session")
        if event.seq <= self._event_seq:
            raise SessionError("event sequence went backwards (replay)")
        plaintext = aead_decrypt(
            self._keys.s2c,
            event.nonce,
            event.ciphertext,
            event_aad(self._kid, self._epoch, event.seq),
        )
        raw = loads(plaintext)
        if not isinstance(raw, list) or len(raw) != 2:
            raise DecodeError("event must be [type, data]")
        try:
            etype = EventType(raw[0]) if isinstance(raw[0], int) else None
        except ValueError:
            etype = None
        if etype is None:
            raise DecodeError("unknown event type")
        self._event_seq = event.seq
        return etype, raw[1]

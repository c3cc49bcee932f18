"""Test vectors of the specification, computed from fixed keys, secrets and nonces.

``python -m home_protocol.vectors`` prints the Markdown block embedded in
docs/home-ble-protocol.md; tests/home/test_vectors.py regenerates it and fails if the
document and the code disagree, and checks every vector from the charger's side too.
"""

from __future__ import annotations

import dataclasses

from home_protocol.commands import EventType, Op, RequestBody, ResponseBody
from home_protocol.crypto import (
    ecdh,
    fingerprint,
    key_id,
    private_key_from_bytes,
    public_key_bytes,
    sha256,
)
from home_protocol.enrollment import build_enroll_request, build_enroll_result
from home_protocol.framing import fragment_message
from home_protocol.label import ChargerLabel
from home_protocol.messages import encode_message
from home_protocol.reasons import ReasonCode, Role
from home_protocol.session import (
    ClientSession,
    derive_session_keys,
    make_session_info,
    request_hash,
    seal_event,
    seal_response,
)

__all__ = ["VectorSet", "compute_vectors", "render_markdown"]

CHARGER_SCALAR = sha256(b"chargepile-home test vector: charger key")
APP_SCALAR = sha256(b"chargepile-home test vector: app key")
SETUP_SECRET = bytes(range(16))
SERIAL = "CPH-TV-0001"
ENROLL_NONCE = bytes(range(0x10, 0x20))
EPOCH = bytes(range(0xE0, 0xF0))
CHALLENGE = bytes(range(0xC0, 0xD0))
CLOCK = 1_767_225_600  # 2026-01-01T00:00:00Z
REQ_ID = bytes(range(1, 9))
CMD_NONCE = bytes(range(0xA0, 0xAC))
RESP_NONCE = bytes(range(0xB0, 0xBC))
EVENT_NONCE = bytes(range(0x90, 0x9C))


@dataclasses.dataclass(frozen=True)
class VectorSet:
    entries: list[tuple[str, str]]  # (name, lower-case hex or text)

    def get(self, name: str) -> str:
        return dict(self.entries)[name]


def compute_vectors() -> VectorSet:
    charger = private_key_from_bytes(CHARGER_SCALAR)
    app = private_key_from_bytes(APP_SCALAR)
    charger_pub, app_pub = public_key_bytes(charger), public_key_bytes(app)
    kid = key_id(app_pub)
    label = ChargerLabel(SERIAL, SETUP_SECRET, fingerprint(charger_pub))
    e: list[tuple[str, str]] = [
        ("charger_private", CHARGER_SCALAR.hex()),
        ("charger_public", charger_pub.hex()),
        ("app_private", APP_SCALAR.hex()),
        ("app_public", app_pub.hex()),
        ("setup_secret", SETUP_SECRET.hex()),
        ("label_qr_text", label.to_qr_text()),
        ("label_typed_code", label.typed_code()),
        ("ecdh_shared_x", ecdh(app, charger_pub).hex()),
        ("app_key_id", kid.hex()),
    ]
    request, proof = build_enroll_request(
        app, charger_pub, SETUP_SECRET, Role.OWNER, "phone", ENROLL_NONCE
    )
    e += [
        ("enroll_key", proof.key.hex()),
        ("enroll_transcript_hash", proof.transcript_hash.hex()),
        ("enroll_request", encode_message(request).hex()),
        (
            "enroll_result",
            encode_message(build_enroll_result(proof, ReasonCode.OK, app_pub, Role.OWNER)).hex(),
        ),
    ]
    keys = derive_session_keys(ecdh(charger, app_pub), EPOCH, kid)
    client = ClientSession(app, charger_pub)
    hello = client.hello(CHALLENGE)
    info = make_session_info(keys, kid, CHALLENGE, EPOCH, 0, CLOCK)
    client.accept_session_info(info, now=0.0)
    pending = client.seal_command(
        Op.SET_CURRENT_LIMIT, {"a": 10}, now=0.0, req_id=REQ_ID, ttl=10, nonce=CMD_NONCE
    )
    response = seal_response(
        keys,
        kid,
        EPOCH,
        pending.counter,
        request_hash(pending.payload),
        ResponseBody(REQ_ID, ReasonCode.OK, None),
        RESP_NONCE,
    )
    event = seal_event(keys, kid, EPOCH, 1, EventType.STATUS, {"st": "C"}, EVENT_NONCE)
    hello_bytes = encode_message(hello)
    e += [
        ("epoch", EPOCH.hex()),
        ("session_k_c2s", keys.c2s.hex()),
        ("session_k_s2c", keys.s2c.hex()),
        ("session_k_info", keys.info.hex()),
        ("hello", hello_bytes.hex()),
        ("session_info", encode_message(info).hex()),
        ("command_plaintext", RequestBody(Op.SET_CURRENT_LIMIT, REQ_ID, {"a": 10}).encode().hex()),
        ("command", pending.payload.hex()),
        ("command_request_hash", pending.req_hash.hex()),
        ("response_plaintext", ResponseBody(REQ_ID, ReasonCode.OK, None).encode().hex()),
        ("response", encode_message(response).hex()),
        ("event", encode_message(event).hex()),
    ]
    for i, fragment in enumerate(fragment_message(hello_bytes, 20)):
        e.append((f"hello_fragment_mtu23_{i}", fragment.hex()))
    return VectorSet(e)


def render_markdown(vectors: VectorSet) -> str:
    lines = ["```text"]
    for name, value in vectors.entries:
        lines.append(f"{name} = {value}")
    lines.append("```")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import sys

    sys.stdout.write(render_markdown(compute_vectors()))

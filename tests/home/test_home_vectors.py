"""The spec's test vectors: the document matches the code, and each vector verifies from the
charger's side with independent checks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from home_protocol.commands import Op, RequestBody, ResponseBody
from home_protocol.crypto import aead_decrypt, ecdh, private_key_from_bytes
from home_protocol.enrollment import verify_enroll_request, verify_enroll_result
from home_protocol.errors import AuthenticationError, LabelError
from home_protocol.label import parse_label
from home_protocol.messages import (
    Command,
    EnrollRequest,
    EnrollResult,
    Hello,
    Response,
    SessionInfo,
    decode_message,
)
from home_protocol.reasons import ReasonCode, Role
from home_protocol.session import (
    derive_session_keys,
    open_command,
    request_hash,
    response_aad,
    session_info_tag,
)
from home_protocol.vectors import compute_vectors, render_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "home-ble-protocol.md"
V = compute_vectors()


def hx(name: str) -> bytes:
    return bytes.fromhex(V.get(name))


def test_spec_document_contains_the_generated_vectors() -> None:
    text = DOC.read_text("utf-8")
    match = re.search(r"<!-- vectors:begin -->\n(.*?)<!-- vectors:end -->", text, re.S)
    assert match is not None, "vector block markers missing from the spec"
    assert match.group(1) == render_markdown(V)


def test_label_vector_parses_to_the_same_secret_and_fingerprint() -> None:
    label = parse_label(V.get("label_qr_text"))
    typed = parse_label(V.get("label_typed_code").lower())
    assert label.setup_secret == typed.setup_secret == hx("setup_secret")
    assert label.serial == typed.serial == "CPH-TV-0001"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "CPH1:SERIAL:zz:AAAA",
        "CPH1:CPH-1:00112233445566778899aabbccddeeff:AAAA",  # secret too short
        "cph-1:!!!!",
        "https://example.com",
        "x:AAAQEAYEAUDAOCAJBIFQYDIOB4",  # serial too short
    ],
)
def test_malformed_labels_are_rejected(text: str) -> None:
    with pytest.raises(LabelError):
        parse_label(text)


def test_enrollment_vector_verifies_on_the_charger_and_the_app() -> None:
    charger = private_key_from_bytes(hx("charger_private"))
    request = decode_message(hx("enroll_request"))
    assert isinstance(request, EnrollRequest)
    assert request.role is Role.OWNER and request.name == "phone"
    proof = verify_enroll_request(request, charger, hx("setup_secret"))
    assert proof.key == hx("enroll_key")
    result = decode_message(hx("enroll_result"))
    assert isinstance(result, EnrollResult)
    verify_enroll_result(result, proof, hx("app_public"))
    with pytest.raises(AuthenticationError):
        verify_enroll_request(request, charger, bytes(16))  # wrong setup secret


def test_session_and_command_vectors_verify_on_the_charger() -> None:
    charger = private_key_from_bytes(hx("charger_private"))
    kid = hx("app_key_id")
    keys = derive_session_keys(ecdh(charger, hx("app_public")), hx("epoch"), kid)
    assert keys.c2s == hx("session_k_c2s")
    info = decode_message(hx("session_info"))
    assert isinstance(info, SessionInfo)
    hello = decode_message(hx("hello"))
    assert isinstance(hello, Hello)
    assert info.tag == session_info_tag(keys, kid, hello.challenge, info.epoch, 0, info.clock)
    command = decode_message(hx("command"))
    assert isinstance(command, Command) and command.counter == 1
    assert command.expires_at == info.clock + 10
    body = open_command(keys, command)
    assert body == RequestBody(Op.SET_CURRENT_LIMIT, bytes(range(1, 9)), {"a": 10})
    assert request_hash(hx("command")) == hx("command_request_hash")
    response = decode_message(hx("response"))
    assert isinstance(response, Response)
    plain = aead_decrypt(
        keys.s2c,
        response.nonce,
        response.ciphertext,
        response_aad(kid, hx("epoch"), 1, hx("command_request_hash")),
    )
    assert ResponseBody.decode(plain).reason is ReasonCode.OK


def test_fragment_vectors_reassemble_to_hello() -> None:
    joined = hx("hello_fragment_mtu23_0") + hx("hello_fragment_mtu23_1")
    assert joined[2:] == hx("hello") and int.from_bytes(joined[:2], "big") == len(hx("hello"))

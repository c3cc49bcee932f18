"""CBOR subset and framing: exact encodings, strict rejection, and property-based round trips
and robustness on random and truncated input."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from home_protocol import cbor
from home_protocol.errors import DecodeError, FramingError, MessageTooLarge, ReassemblyTimeout
from home_protocol.framing import MAX_MESSAGE_SIZE, Reassembler, fragment_message
from home_protocol.messages import decode_message

cbor_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**64), max_value=2**64 - 1)
    | st.binary(max_size=40)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(st.integers(0, 1000) | st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=20,
)


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        (0, "00"),
        (23, "17"),
        (24, "1818"),
        (256, "190100"),
        (-1, "20"),
        (-25, "3818"),
        (b"\x01\x02", "420102"),
        ("a", "6161"),
        ([1, [2]], "82018102"),
        ({"a": 1}, "a16161 01".replace(" ", "")),
        (True, "f5"),
        (None, "f6"),
    ],
)
def test_cbor_known_encodings(value: cbor.CborValue, encoded: str) -> None:
    assert cbor.dumps(value).hex() == encoded
    assert cbor.loads(bytes.fromhex(encoded)) == value


@pytest.mark.parametrize(
    "raw",
    [
        "1817",  # 23 in two bytes: not shortest form
        "5f",  # indefinite byte string
        "c000",  # tag
        "f93c00",  # half float
        "a2616100616100",  # duplicate key
        "0000",  # trailing byte
        "62ff",  # truncated text
        "62c328",  # invalid UTF-8
        "9b00000000ffffffff",  # huge array count without items
    ],
)
def test_cbor_rejects_non_canonical_or_unsupported(raw: str) -> None:
    with pytest.raises(DecodeError):
        cbor.loads(bytes.fromhex(raw))


@given(cbor_values)
def test_cbor_round_trip(value: cbor.CborValue) -> None:
    assert cbor.loads(cbor.dumps(value)) == value


@given(st.binary(max_size=300))
def test_decoders_never_crash_on_random_bytes(data: bytes) -> None:
    for decode in (cbor.loads, decode_message):
        with contextlib.suppress(DecodeError):
            decode(data)


@given(cbor_values)
def test_truncated_cbor_is_rejected(value: cbor.CborValue) -> None:
    encoded = cbor.dumps(value)
    for cut in range(len(encoded)):
        with pytest.raises(DecodeError):
            cbor.loads(encoded[:cut])


@settings(max_examples=60)
@given(
    st.lists(st.binary(min_size=1, max_size=600), min_size=1, max_size=4),
    st.sampled_from([20, 21, 100, 244, 514]),
)
def test_fragment_and_reassemble_round_trip(messages: list[bytes], size: int) -> None:
    r = Reassembler()
    received: list[bytes] = []
    for message in messages:
        fragments = fragment_message(message, size)
        assert all(len(f) <= size for f in fragments)
        for fragment in fragments:
            received += r.feed(fragment, 0.0)
    assert received == messages
    assert r.pending == 0


@given(st.lists(st.binary(max_size=64), max_size=20))
def test_reassembler_survives_random_fragments(fragments: list[bytes]) -> None:
    r = Reassembler()
    for i, fragment in enumerate(fragments):
        try:
            out = r.feed(fragment, float(i))
        except FramingError:
            continue
        assert all(0 < len(m) <= MAX_MESSAGE_SIZE for m in out)


def test_reassembler_caps_declared_length() -> None:
    r = Reassembler()
    with pytest.raises(MessageTooLarge):
        r.feed(b"\x08\x01" + b"x" * 18, 0.0)
    assert r.pending == 0
    with pytest.raises(MessageTooLarge):
        fragment_message(b"x" * (MAX_MESSAGE_SIZE + 1), 20)


def test_reassembler_discards_stale_partial_message() -> None:
    r = Reassembler(timeout=3.0)
    first = fragment_message(b"A" * 30, 20)
    assert r.feed(first[0], 0.0) == []
    fresh = fragment_message(b"B" * 5, 20)
    with pytest.raises(ReassemblyTimeout):
        r.feed(fresh[0][:3], 10.0)  # partial of a new message after the old one timed out
    assert r.feed(fresh[0][3:], 10.1) == [b"B" * 5]


def test_every_truncation_of_every_spec_message_is_rejected() -> None:
    from home_protocol.vectors import compute_vectors

    vectors = compute_vectors()
    names = ["enroll_request", "enroll_result", "hello", "session_info", "command", "response"]
    for name in [*names, "event"]:
        message = bytes.fromhex(vectors.get(name))
        decode_message(message)
        for cut in range(len(message)):
            with pytest.raises(DecodeError):
                decode_message(message[:cut])

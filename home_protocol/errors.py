"""The one exception tree of ``home_protocol``.

Both the app and the charger import this package, so every failure the protocol can produce is
named here and callers can catch at the level they care about::

    HomeProtocolError                 anything this package raises
    ├── FramingError                  a byte stream that cannot be cut into messages
    │   ├── MessageTooLarge           declared or actual length over the reassembly cap
    │   └── ReassemblyTimeout         a message's fragments stopped arriving
    ├── DecodeError                   bytes that are not a well-formed message (CBOR or shape)
    ├── LabelError                    a label QR text / typed code that cannot be parsed
    ├── CryptoError                   a key or ciphertext that cannot be used
    │   └── AuthenticationError       a tag, proof or MAC that does not verify
    ├── SessionError                  the local session cannot do what was asked (none yet,
    │                                 response not for this request, counter exhausted)
    └── RefusedError                  the charger refused; ``.reason`` is a ReasonCode
"""

from __future__ import annotations

from home_protocol.reasons import ReasonCode

__all__ = [
    "AuthenticationError",
    "CryptoError",
    "DecodeError",
    "FramingError",
    "HomeProtocolError",
    "LabelError",
    "MessageTooLarge",
    "ReassemblyTimeout",
    "RefusedError",
    "SessionError",
]


class HomeProtocolError(Exception):
    """Base of every error raised by ``home_protocol``."""


class FramingError(HomeProtocolError):
    """The fragment stream cannot be reassembled into messages."""


class MessageTooLarge(FramingError):
    """A message (declared length or payload to send) exceeds the reassembly cap."""


class ReassemblyTimeout(FramingError):
    """A partially received message was abandoned because its fragments stopped arriving."""


class DecodeError(HomeProtocolError):
    """Bytes are not a valid CBOR item or not a valid protocol message."""


class LabelError(HomeProtocolError):
    """A label QR text or typed setup code is malformed."""


class CryptoError(HomeProtocolError):
    """A key, public point or ciphertext cannot be used."""


class AuthenticationError(CryptoError):
    """An AEAD tag, HMAC or enrollment proof did not verify: tampered or wrong key/secret."""


class SessionError(HomeProtocolError):
    """The local session state does not allow the operation (e.g. no session established)."""


class RefusedError(HomeProtocolError):
    """The charger refused a request; catch it to show ``reason`` to the user."""

    def __init__(self, reason: ReasonCode, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        text = reason.name if not detail else f"{reason.name}: {detail}"
        super().__init__(text)

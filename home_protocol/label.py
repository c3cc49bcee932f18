"""The charger's label: QR text and the typed fallback code.

The QR code printed on the charger reads ``CPH1:<serial>:<fingerprint hex>:<secret base32>``:
the serial (to find the charger), the first 16 bytes of SHA-256 of its public key (so the app
can check it talks to *this* charger before sending anything) and the 128-bit setup secret that
proves physical access during enrolment. When the camera is not usable the user types
``<serial>:<secret>``; dashes and spaces are ignored, base32 is case-insensitive, and the
charger's identity is then established by its enrolment proof alone.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import re

from home_protocol.errors import LabelError

__all__ = ["SETUP_SECRET_SIZE", "ChargerLabel", "parse_label"]

SETUP_SECRET_SIZE = 16
_SERIAL_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,31}$")


def _b32(secret: bytes) -> str:
    return base64.b32encode(secret).decode("ascii").rstrip("=")


def _unb32(text: str) -> bytes:
    cleaned = text.replace("-", "").replace(" ", "").upper()
    padded = cleaned + "=" * (-len(cleaned) % 8)
    try:
        secret = base64.b32decode(padded)
    except (ValueError, binascii.Error) as exc:
        raise LabelError("setup secret is not valid base32") from exc
    if len(secret) != SETUP_SECRET_SIZE:
        raise LabelError("setup secret must decode to 16 bytes")
    return secret


@dataclasses.dataclass(frozen=True, slots=True)
class ChargerLabel:
    """What the app learns from the label: serial, optional key fingerprint, setup secret."""

    serial: str
    setup_secret: bytes
    fingerprint: bytes | None = None

    def to_qr_text(self) -> str:
        if self.fingerprint is None:
            raise LabelError("QR text needs the key fingerprint")
        return f"CPH1:{self.serial}:{self.fingerprint.hex()}:{_b32(self.setup_secret)}"

    def typed_code(self) -> str:
        """Human-typable form: serial, then the secret in groups of four."""
        secret = _b32(self.setup_secret)
        groups = "-".join(secret[i : i + 4] for i in range(0, len(secret), 4))
        return f"{self.serial}:{groups}"


def parse_label(text: str) -> ChargerLabel:
    """Parse QR text (``CPH1:...``) or a typed code (``SERIAL:SECRET``)."""
    parts = text.strip().split(":")
    if len(parts) == 4 and parts[0].upper() == "CPH1":
        serial, fp_hex, secret_text = parts[1].upper(), parts[2], parts[3]
        try:
            fingerprint = bytes.fromhex(fp_hex)
        except ValueError as exc:
            raise LabelError("fingerprint is not hex") from exc
        if len(fingerprint) != 16:
            raise LabelError("fingerprint must be 16 bytes")
    elif len(parts) == 2:
        serial, secret_text, fingerprint = parts[0].strip().upper(), parts[1], None
    else:
        raise LabelError("not a chargepile home label (expected CPH1:... or SERIAL:CODE)")
    if not _SERIAL_RE.match(serial):
        raise LabelError("invalid serial number")
    return ChargerLabel(serial=serial, setup_secret=_unb32(secret_text), fingerprint=fingerprint)

"""Cryptographic primitives of the protocol, wrapped so both sides use them identically.

P-256 ECDH (static keys of app and charger), HKDF-SHA256 for every derived key, AES-256-GCM for
commands, responses and events, HMAC-SHA256 for enrolment proofs and the session-info tag. All
functions take their randomness (nonces) as arguments where the spec's test vectors need them.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from home_protocol.errors import AuthenticationError, CryptoError

__all__ = [
    "KEY_ID_SIZE",
    "NONCE_SIZE",
    "PUBLIC_KEY_SIZE",
    "aead_decrypt",
    "aead_encrypt",
    "ecdh",
    "fingerprint",
    "generate_private_key",
    "hkdf",
    "hmac_sha256",
    "key_id",
    "load_public_key",
    "private_key_from_bytes",
    "private_key_to_bytes",
    "public_key_bytes",
    "random_bytes",
    "sha256",
    "verify_hmac",
]

PUBLIC_KEY_SIZE = 65  # SEC1 uncompressed point 0x04 ‖ X ‖ Y
KEY_ID_SIZE = 8
NONCE_SIZE = 12
_CURVE = ec.SECP256R1()


def random_bytes(n: int) -> bytes:
    """Cryptographically secure random bytes (nonces, challenges, epochs, secrets)."""
    return os.urandom(n)


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def generate_private_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(_CURVE)


def private_key_from_bytes(raw: bytes) -> ec.EllipticCurvePrivateKey:
    """Load a P-256 private key from its 32-byte big-endian scalar."""
    if len(raw) != 32:
        raise CryptoError("P-256 private key must be 32 bytes")
    try:
        return ec.derive_private_key(int.from_bytes(raw, "big"), _CURVE)
    except ValueError as exc:
        raise CryptoError("invalid P-256 private scalar") from exc


def private_key_to_bytes(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_numbers().private_value.to_bytes(32, "big")


def public_key_bytes(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) -> bytes:
    """SEC1 uncompressed encoding (65 bytes) of a key's public point."""
    pub = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return pub.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)


def load_public_key(raw: bytes) -> ec.EllipticCurvePublicKey:
    """Validate and load a 65-byte uncompressed P-256 point (rejects off-curve points)."""
    if len(raw) != PUBLIC_KEY_SIZE or raw[0] != 0x04:
        raise CryptoError("public key must be a 65-byte uncompressed P-256 point")
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(_CURVE, raw)
    except ValueError as exc:
        raise CryptoError("public key is not a point on P-256") from exc


def ecdh(private_key: ec.EllipticCurvePrivateKey, peer_public: bytes) -> bytes:
    """Shared secret: the 32-byte X coordinate of ``private * peer_public``."""
    return private_key.exchange(ec.ECDH(), load_public_key(peer_public))


def hkdf(ikm: bytes, salt: bytes, info: bytes, length: int = 32) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


def hmac_sha256(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


def verify_hmac(key: bytes, data: bytes, tag: bytes) -> None:
    """Raise AuthenticationError unless ``tag`` is HMAC-SHA256(key, data) (constant time)."""
    if not hmac.compare_digest(hmac_sha256(key, data), tag):
        raise AuthenticationError("HMAC does not verify")


def key_id(public_key: bytes) -> bytes:
    """Short identifier of an enrolled key: first 8 bytes of SHA-256(uncompressed point)."""
    return sha256(public_key)[:KEY_ID_SIZE]


def fingerprint(public_key: bytes) -> bytes:
    """Charger key fingerprint printed on the label: first 16 bytes of SHA-256(point)."""
    return sha256(public_key)[:16]


def aead_encrypt(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """AES-256-GCM; returns ciphertext ‖ 16-byte tag."""
    if len(nonce) != NONCE_SIZE:
        raise CryptoError("AES-GCM nonce must be 12 bytes")
    return AESGCM(key).encrypt(nonce, plaintext, aad)


def aead_decrypt(key: bytes, nonce: bytes, ciphertext: bytes, aad: bytes) -> bytes:
    """Inverse of aead_encrypt; raises AuthenticationError for any tampering."""
    if len(nonce) != NONCE_SIZE:
        raise AuthenticationError("AES-GCM nonce must be 12 bytes")
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, aad)
    except InvalidTag as exc:
        raise AuthenticationError("AEAD tag does not verify") from exc

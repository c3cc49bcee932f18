"""Enrolment: a phone registers its public key, proving it read the charger's label.

Both sides compute ``Z = ECDH(app key, charger key)`` and
``K_enroll = HKDF-SHA256(ikm=Z, salt=setup_secret, info="chargepile-home/v1/enroll")``.
The app proves knowledge of the setup secret *and* of its private key with
``HMAC(K_enroll, "app" ‖ TH)``; the charger answers with
``HMAC(K_enroll, CBOR(["charger", TH, status, key_id, role]))``, proving it holds the private
key matching the label fingerprint and the same secret. ``TH`` is SHA-256 of the CBOR
transcript ``["enroll", charger_pub, app_pub, nonce, role, name]``. A passive observer learns
nothing that allows an offline guess of the secret, because Z is never on the air.
"""

from __future__ import annotations

import dataclasses
import hmac

from cryptography.hazmat.primitives.asymmetric import ec

from home_protocol.cbor import dumps
from home_protocol.crypto import (
    ecdh,
    hkdf,
    hmac_sha256,
    key_id,
    public_key_bytes,
    random_bytes,
    sha256,
    verify_hmac,
)
from home_protocol.errors import AuthenticationError
from home_protocol.label import SETUP_SECRET_SIZE
from home_protocol.messages import CHALLENGE_SIZE, EnrollRequest, EnrollResult
from home_protocol.reasons import ReasonCode, Role

__all__ = [
    "ENROLL_INFO",
    "EnrollmentProof",
    "build_enroll_request",
    "build_enroll_result",
    "verify_enroll_request",
    "verify_enroll_result",
]

ENROLL_INFO = b"chargepile-home/v1/enroll"


@dataclasses.dataclass(frozen=True, slots=True)
class EnrollmentProof:
    """The derived enrolment key and transcript hash shared by both sides of one enrolment."""

    key: bytes
    transcript_hash: bytes

    @classmethod
    def derive(
        cls,
        shared_secret: bytes,
        setup_secret: bytes,
        charger_public: bytes,
        app_public: bytes,
        nonce: bytes,
        role: Role,
        name: str,
    ) -> EnrollmentProof:
        if len(setup_secret) != SETUP_SECRET_SIZE:
            raise AuthenticationError("setup secret must be 16 bytes")
        k = hkdf(shared_secret, salt=setup_secret, info=ENROLL_INFO)
        th = sha256(dumps(["enroll", charger_public, app_public, nonce, int(role), name]))
        return cls(k, th)

    def app_tag(self) -> bytes:
        return hmac_sha256(self.key, b"app" + self.transcript_hash)

    def charger_tag(self, status: ReasonCode, kid: bytes, role: Role) -> bytes:
        return hmac_sha256(
            self.key, dumps(["charger", self.transcript_hash, int(status), kid, int(role)])
        )


def build_enroll_request(
    app_private: ec.EllipticCurvePrivateKey,
    charger_public: bytes,
    setup_secret: bytes,
    role: Role,
    name: str,
    nonce: bytes | None = None,
) -> tuple[EnrollRequest, EnrollmentProof]:
    """App side: the request to send and the proof context needed to check the result."""
    nonce = nonce if nonce is not None else random_bytes(CHALLENGE_SIZE)
    app_public = public_key_bytes(app_private)
    proof = EnrollmentProof.derive(
        ecdh(app_private, charger_public),
        setup_secret,
        charger_public,
        app_public,
        nonce,
        role,
        name,
    )
    return EnrollRequest(app_public, nonce, role, name, proof.app_tag()), proof


def verify_enroll_request(
    request: EnrollRequest,
    charger_private: ec.EllipticCurvePrivateKey,
    setup_secret: bytes,
) -> EnrollmentProof:
    """Charger side: raises AuthenticationError if the proof (i.e. the secret) is wrong."""
    proof = EnrollmentProof.derive(
        ecdh(charger_private, request.app_public_key),
        setup_secret,
        public_key_bytes(charger_private),
        request.app_public_key,
        request.nonce,
        request.role,
        request.name,
    )
    verify_hmac(proof.key, b"app" + proof.transcript_hash, request.proof)
    return proof


def build_enroll_result(
    proof: EnrollmentProof, status: ReasonCode, app_public: bytes, role: Role
) -> EnrollResult:
    kid = key_id(app_public)
    return EnrollResult(status, kid, role, proof.charger_tag(status, kid, role))


def verify_enroll_result(result: EnrollResult, proof: EnrollmentProof, app_public: bytes) -> None:
    """App side: the result must come from the charger that knows the secret, for our key."""
    if result.key_id != key_id(app_public):
        raise AuthenticationError("enrolment result is for another key")
    expected = proof.charger_tag(result.status, result.key_id, result.role)
    if not hmac.compare_digest(expected, result.proof):
        raise AuthenticationError("enrolment result proof does not verify: wrong secret or charger")

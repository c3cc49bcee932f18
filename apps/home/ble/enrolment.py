"""Discovery and enrolment: the steps before a session exists.

``parse_advertisement`` recognises a home charger's advertisement; ``enroll_with_client``
runs the enrolment exchange (docs/home-ble-protocol.md §6) over an unconnected BleakClient.
"""

from __future__ import annotations

import asyncio
import contextlib

from bleak import BleakClient
from bleak.backends.scanner import AdvertisementData
from bleak.exc import BleakError
from cryptography.hazmat.primitives.asymmetric import ec

from apps.home.ble.channel import LinkLost, MessageChannel
from apps.home.ble.errors import (
    CommandTimeout,
    EnrollmentError,
    HomeLinkError,
    IdentityMismatch,
    NotConnectedError,
)
from apps.home.ble.link import ChargerPairing
from home_protocol.crypto import fingerprint, public_key_bytes
from home_protocol.enrollment import build_enroll_request, verify_enroll_result
from home_protocol.errors import HomeProtocolError
from home_protocol.gatt import COMPANY_ID, INFO_CHAR_UUID, ChargerInfo, decode_manufacturer_data
from home_protocol.label import ChargerLabel
from home_protocol.messages import EnrollResult, ErrorMessage, encode_message
from home_protocol.reasons import ReasonCode, Role

__all__ = ["enroll_with_client", "parse_advertisement"]


def parse_advertisement(ad: AdvertisementData) -> tuple[bool, bytes] | None:
    """(pairing window open, serial tag) from a home charger's advertisement, else None."""
    data = ad.manufacturer_data.get(COMPANY_ID)
    if data is None:
        return None
    try:
        _version, window, tag = decode_manufacturer_data(data)
    except HomeProtocolError:
        return None
    return window, tag


async def enroll_with_client(
    client: BleakClient,
    channel_slot: list[MessageChannel],
    app_key: ec.EllipticCurvePrivateKey,
    label: ChargerLabel,
    *,
    role: Role,
    name: str,
    timeout: float,
) -> ChargerPairing:
    """Connect ``client``, check the charger against the label, enrol ``app_key``.

    ``channel_slot`` receives the message channel once open, so the caller's disconnected
    callback can fail the pending request. The client is always disconnected afterwards.
    """
    try:
        async with asyncio.timeout(timeout):
            await client.connect()
            info = ChargerInfo.decode(bytes(await client.read_gatt_char(INFO_CHAR_UUID)))
            if label.fingerprint is not None and fingerprint(info.public_key) != label.fingerprint:
                raise IdentityMismatch("charger key does not match the label fingerprint")
            channel = MessageChannel(client, lambda _e: None)
            channel_slot.append(channel)
            await channel.open()
            request, proof = build_enroll_request(
                app_key, info.public_key, label.setup_secret, role, name
            )
            reply = await channel.request(encode_message(request))
    except TimeoutError as exc:
        raise CommandTimeout("enrolment got no answer in time") from exc
    except (BleakError, LinkLost) as exc:
        raise NotConnectedError(f"enrolment link failed: {exc}") from exc
    except HomeProtocolError as exc:
        raise HomeLinkError(f"charger sent invalid data: {exc}") from exc
    finally:
        with contextlib.suppress(Exception):
            await client.disconnect()
    if isinstance(reply, ErrorMessage):
        raise EnrollmentError(reply.reason)
    if not isinstance(reply, EnrollResult):
        raise HomeLinkError(f"unexpected answer to enrolment: {type(reply).__name__}")
    try:
        verify_enroll_result(reply, proof, public_key_bytes(app_key))
    except HomeProtocolError as exc:
        raise IdentityMismatch("charger could not prove the setup secret") from exc
    return ChargerPairing(
        address=client.address,
        serial=label.serial,
        charger_public_key=info.public_key,
        key_id=reply.key_id,
        role=reply.role,
        pending=reply.status is ReasonCode.KEY_PENDING,
    )

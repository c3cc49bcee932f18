"""The home app's pure pieces: catalogs (every reason code in both languages), error sentences,
schedule time arithmetic, QR decoding and the SecureStorage-backed key storage."""

from __future__ import annotations

import pytest

from apps.home.ble.errors import (
    ChargerNotFound,
    ChargerRefused,
    CommandTimeout,
    EnrollmentError,
    IdentityMismatch,
    LinkClosedError,
    NotConnectedError,
)
from apps.home.errors import QrDecodeError, StorageError
from apps.home.main import CATALOGS
from apps.home.qr_scan import decode_qr_text
from apps.home.state.errors import describe_error
from apps.home.state.schedule import format_minutes, next_occurrence, parse_hhmm
from apps.home.storage import SecureStorageKeyStorage
from apps.home.views.schedule import describe_days
from home_protocol.errors import LabelError
from home_protocol.reasons import ReasonCode
from shared import I18n, Language, UiState, qr_png


def test_catalogs_are_complete_and_cover_every_reason_code() -> None:
    i18n = I18n.default(strict=True).extended(CATALOGS)
    i18n.check()
    for reason in ReasonCode:
        for language in Language:
            assert i18n.translate(language, f"reason.{reason.name}")


@pytest.mark.parametrize(
    ("error", "english"),
    [
        (ChargerRefused(ReasonCode.NOT_PLUGGED), "No vehicle is plugged in"),
        (EnrollmentError(ReasonCode.BAD_PROOF), "Wrong setup code"),
        (NotConnectedError("x", ReasonCode.UNKNOWN_KEY), "not enrolled with the charger"),
        (NotConnectedError("x"), "could not be reached"),
        (CommandTimeout("x"), "did not answer in time"),
        (ChargerNotFound("x"), "not found nearby"),
        (IdentityMismatch("x"), "does not match its label"),
        (LinkClosedError("x"), "connection was closed"),
        (LabelError("x"), "not a chargepile setup code"),
        (QrDecodeError("x"), "No QR code could be read"),
        (StorageError("denied"), "secure storage failed: denied"),
    ],
)
def test_every_error_has_a_precise_sentence(error: Exception, english: str) -> None:
    i18n = I18n.default(strict=True).extended(CATALOGS)
    assert english in describe_error(error, lambda k, **p: i18n.translate(Language.EN, k, **p))  # type: ignore[arg-type]
    chinese = describe_error(error, lambda k, **p: i18n.translate(Language.ZH_CN, k, **p))  # type: ignore[arg-type]
    assert chinese and not chinese.isascii()


def test_times_are_parsed_and_the_next_occurrence_is_in_the_future() -> None:
    assert parse_hhmm("22:30") == 22 * 60 + 30 and parse_hhmm(" 7:05 ") == 7 * 60 + 5
    assert parse_hhmm("22：30") == 22 * 60 + 30  # full-width colon from a Chinese keyboard
    assert parse_hhmm("24:00") is None and parse_hhmm("12:60") is None and parse_hhmm("") is None
    assert format_minutes(65) == "01:05"
    day = 86400
    clock = 10 * day + 23 * 3600  # 23:00
    assert next_occurrence(60, clock) == 11 * day + 3600  # 01:00 is tomorrow
    assert next_occurrence(23 * 60 + 30, clock) == 10 * day + 23 * 3600 + 1800  # still today
    assert next_occurrence(23 * 60, clock) == 11 * day + 23 * 3600  # strictly after now


def test_day_masks_read_naturally() -> None:
    ui = UiState(i18n=I18n.default().extended(CATALOGS))
    assert describe_days(ui, 0x7F) == "Every day"
    assert describe_days(ui, 0b0011111) == "Mon–Fri"
    assert describe_days(ui, 0b1100000) == "Sat–Sun"
    assert describe_days(ui, 0b0000101) == "Mon, Wed"
    ui.set_language(Language.ZH_CN)
    assert describe_days(ui, 0b0011111) == "周一至周五"


async def test_qr_text_is_read_from_a_picture_and_garbage_is_refused() -> None:
    text = "CPH1:CPH-SIM-0001:" + "ab" * 16 + ":MFRGGZDFMZTWQ2LKNNWG23TPOA"
    assert await decode_qr_text(qr_png(text, box_size=5)) == text
    with pytest.raises(QrDecodeError):
        await decode_qr_text(b"not an image")
    with pytest.raises(QrDecodeError):
        await decode_qr_text(b"")
    blank = qr_png("x")  # another code is returned as is; parse_label refuses it with a sentence
    assert await decode_qr_text(blank) == "x"


class _BrokenStorage:
    async def get(self, key: str) -> str | None:
        raise RuntimeError("PlatformException(no keychain)")

    async def set(self, key: str, value: str) -> None:
        raise RuntimeError("quota exceeded")

    async def remove(self, key: str) -> None:
        raise RuntimeError("locked")


class _DictStorage:
    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    async def get(self, key: str) -> str | None:
        return self.values.get(key)

    async def set(self, key: str, value: str) -> None:
        self.values[key] = value

    async def remove(self, key: str) -> None:
        self.values.pop(key, None)


async def test_secure_storage_slots_and_failures() -> None:
    backing = _DictStorage()
    key, pairing = (
        SecureStorageKeyStorage(backing, "app-key"),
        SecureStorageKeyStorage(backing, "pairing"),
    )
    assert await key.load() is None
    await key.save("00ff")
    await pairing.save("{}")
    assert backing.values == {"chargepile.home.app-key": "00ff", "chargepile.home.pairing": "{}"}
    await pairing.delete()
    assert await key.load() == "00ff" and await pairing.load() is None
    broken = SecureStorageKeyStorage(_BrokenStorage(), "app-key")
    with pytest.raises(StorageError, match="no keychain"):
        await broken.load()
    with pytest.raises(StorageError, match="quota"):
        await broken.save("x")
    with pytest.raises(StorageError, match="locked"):
        await broken.delete()

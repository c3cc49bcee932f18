"""Scanning a charger's QR code: a camera picture or a chosen image, decoded in Python.

Flet has no barcode scanner; the camera (flet-camera ``take_picture``) and the file picker both
give JPEG/PNG bytes, which zxing-cpp decodes (notes/flet.md §6). zxing-cpp has no prebuilt
phone wheel in Flet's index; OpenCV's ``QRCodeDetector`` does and is used when zxing-cpp is
missing, so the same code runs on the H5 page's server and on a device.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass

import flet as ft

from apps.user_mobile.state.errors import CodeNotRecognised, DriverAppError, Translate
from apps.user_mobile.state.links import ChargerRef, parse_code

__all__ = ["ScanModel", "decode_qr"]


def _decode_sync(image: bytes) -> list[str]:
    from PIL import Image, UnidentifiedImageError

    try:
        picture = Image.open(io.BytesIO(image))
        picture.load()
    except (UnidentifiedImageError, OSError) as exc:
        raise CodeNotRecognised(key="scan.bad_image") from exc
    try:
        import zxingcpp
    except ImportError:  # on a phone build: OpenCV is in Flet's mobile wheel index
        import cv2  # type: ignore[import-not-found]
        import numpy as np  # type: ignore[import-not-found]

        text, _points, _ = cv2.QRCodeDetector().detectAndDecode(np.asarray(picture.convert("L")))
        return [text] if text else []
    return [r.text for r in zxingcpp.read_barcodes(picture) if r.text]


async def decode_qr(image: bytes) -> list[str]:
    """The texts of every code in ``image`` (decoded in a worker thread: it takes ~50 ms).

    Raises:
        CodeNotRecognised: the bytes are not an image (``scan.bad_image``).
    """
    return await asyncio.to_thread(_decode_sync, image)


@dataclass(eq=False)
class ScanModel(ft.Observable):
    """The Scan screen: what was read, or why not."""

    error: str | None = None
    busy: bool = False
    camera_on: bool = False
    camera_error: str | None = None
    _t: Translate | None = None
    _public_url: str | None = None

    def bind(self, t: Translate, public_url: str | None) -> None:
        self._t, self._public_url = t, public_url

    def _fail(self, exc: DriverAppError) -> None:
        assert self._t is not None
        self.error = self._t(exc.key)

    def read_text(self, text: str) -> ChargerRef | None:
        """A typed code or QR payload; ``None`` with :attr:`error` set when not a charger."""
        self.error = None
        try:
            return parse_code(text, public_url=self._public_url)
        except CodeNotRecognised as exc:
            self._fail(exc)
            return None

    async def read_image(self, image: bytes) -> ChargerRef | None:
        """Decode a picture; the first charger code in it wins."""
        self.busy, self.error = True, None
        try:
            texts = await decode_qr(image)
        except CodeNotRecognised as exc:
            self._fail(exc)
            return None
        finally:
            self.busy = False
        if not texts:
            self._fail(CodeNotRecognised(key="scan.no_code"))
            return None
        first_error: CodeNotRecognised | None = None
        for text in texts:
            try:
                return parse_code(text, public_url=self._public_url)
            except CodeNotRecognised as exc:
                first_error = first_error or exc
        assert first_error is not None
        self._fail(first_error)
        return None

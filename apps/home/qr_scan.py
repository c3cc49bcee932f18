"""Read the charger label's QR code from a picture (camera shot or a chosen image file).

Why server-side decoding: Flet has no barcode-scanner control. ``flet_camera.Camera`` gives a
JPEG (``take_picture``) and ``FilePicker`` gives the file's bytes; zxing-cpp decodes them here.
zxing-cpp is not among Flet's prebuilt phone wheels (OpenCV's ``QRCodeDetector`` is, see
notes/flet.md §6), so a phone build would swap the decoder behind :func:`decode_qr_text`.
"""

from __future__ import annotations

import asyncio
import io

from apps.home.errors import QrDecodeError

__all__ = ["decode_qr_text"]

_MAX_IMAGE_BYTES = 20 * 1024 * 1024  # a phone photo is a few MB; refuse anything absurd


def _decode(data: bytes) -> str:
    import zxingcpp
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            results = zxingcpp.read_barcodes(image.convert("L"))
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise QrDecodeError(f"not a readable image: {exc}") from exc
    texts = [str(r.text) for r in results if str(r.format) == "QR Code" and r.text]
    if not texts:
        raise QrDecodeError("no QR code found in the picture")
    # A label has exactly one code; prefer a chargepile one if the picture caught others.
    return next((t for t in texts if t.upper().startswith("CPH1:")), texts[0])


async def decode_qr_text(data: bytes, *, timeout: float = 10.0) -> str:
    """The text of the QR code in ``data`` (JPEG/PNG bytes).

    Decoding a large photo takes tens of milliseconds to seconds, so it runs in a worker
    thread with a timeout and never blocks the event loop.

    Raises:
        QrDecodeError: no image, no QR code, or decoding took longer than ``timeout``.
    """
    if not data:
        raise QrDecodeError("the picture is empty")
    if len(data) > _MAX_IMAGE_BYTES:
        raise QrDecodeError("the picture is too large")
    try:
        return await asyncio.wait_for(asyncio.to_thread(_decode, data), timeout)
    except TimeoutError as exc:
        raise QrDecodeError("decoding the picture took too long") from exc

"""QR codes as PNG bytes: on screen (``ft.Image``) and as printable connector labels.

Why: the QR code on a charger is the driver's entry point (it holds the deep link
``<public driver URL>/c/<chargePointId>/<connectorId>``), the operator prints labels, and the home
charger's label carries its pairing code. One implementation keeps them all decodable by the same
scanner; tests decode the PNGs back with zxing-cpp.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

import qrcode
import qrcode.constants
import qrcode.exceptions
from PIL import Image, ImageDraw, ImageFont

from shared.errors import QrError
from shared.fonts import find_cjk_font_source

__all__ = ["qr_base64", "qr_image", "qr_label_png", "qr_png"]

_LEVELS = {
    "L": qrcode.constants.ERROR_CORRECT_L,
    "M": qrcode.constants.ERROR_CORRECT_M,
    "Q": qrcode.constants.ERROR_CORRECT_Q,
    "H": qrcode.constants.ERROR_CORRECT_H,
}


def qr_image(data: str, *, box_size: int = 10, border: int = 4, level: str = "M") -> Image.Image:
    """The QR code of ``data`` as a black-on-white PIL image.

    Args:
        data: the text to encode (a URL for charger labels).
        box_size: pixels per module.
        border: quiet zone in modules (4 is the standard minimum for reliable scanning).
        level: error correction ``L``/``M``/``Q``/``H``; labels that may get scratched use ``Q``.

    Raises:
        QrError: ``data`` is empty or too long for any QR version at this level.
    """
    if not data:
        raise QrError("nothing to encode")
    try:
        code = qrcode.QRCode(error_correction=_LEVELS[level], box_size=box_size, border=border)
        code.add_data(data)
        code.make(fit=True)
    except (ValueError, qrcode.exceptions.DataOverflowError) as exc:
        raise QrError(f"cannot encode {len(data)} characters as a QR code: {exc}") from exc
    img = code.make_image(fill_color="black", back_color="white").get_image()
    return img.convert("RGB")


def qr_png(data: str, *, box_size: int = 10, border: int = 4, level: str = "M") -> bytes:
    """PNG bytes of the QR code of ``data`` (see :func:`qr_image`); use as ``ft.Image(src=...)``."""
    buf = io.BytesIO()
    qr_image(data, box_size=box_size, border=border, level=level).save(buf, format="PNG")
    return buf.getvalue()


def qr_base64(data: str, *, box_size: int = 10, border: int = 4, level: str = "M") -> str:
    """Base64 of :func:`qr_png` (for data URLs or JSON payloads)."""
    return base64.b64encode(qr_png(data, box_size=box_size, border=border, level=level)).decode()


def _font(size: int, font_path: Path | None) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = font_path or find_cjk_font_source()
    if path is not None and path.is_file():
        return ImageFont.truetype(str(path), size)
    # Pillow's built-in font has no CJK glyphs but keeps a Latin caption legible.
    return ImageFont.load_default(size)


def qr_label_png(
    data: str,
    caption: str,
    *,
    subcaption: str | None = None,
    width_px: int = 900,
    font_path: Path | None = None,
    dpi: int = 300,
) -> bytes:
    """A printable label: the QR code of ``data`` above a bold ``caption`` (and ``subcaption``).

    Sized for ~76 mm at 300 dpi by default; error correction ``Q`` so a scuffed label still scans.
    Captions may be Chinese when the CJK font is available (see :mod:`shared.fonts`).
    """
    margin = width_px // 15
    qr = qr_image(data, box_size=10, border=4, level="Q")
    side = width_px - 2 * margin
    qr = qr.resize((side, side), Image.Resampling.NEAREST)
    big = _font(width_px // 12, font_path)
    small = _font(width_px // 22, font_path)
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    lines = [(caption, big)] + ([(subcaption, small)] if subcaption else [])
    heights = [int(probe.textbbox((0, 0), text, font=font)[3]) for text, font in lines]
    height = margin + side + sum(h + margin // 2 for h in heights) + margin
    label = Image.new("RGB", (width_px, height), "white")
    label.paste(qr, (margin, margin))
    draw = ImageDraw.Draw(label)
    y = margin + side + margin // 4
    for (text, font), h in zip(lines, heights, strict=True):
        w = draw.textlength(text, font=font)
        draw.text(((width_px - w) / 2, y), text, fill="black", font=font)
        y += h + margin // 2
    buf = io.BytesIO()
    label.save(buf, format="PNG", dpi=(dpi, dpi))
    return buf.getvalue()

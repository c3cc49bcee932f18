"""QR codes: on screen and on printable labels, decoded back with zxing-cpp."""

from __future__ import annotations

import base64
import io

import flet as ft
import pytest
import zxingcpp
from PIL import Image

from shared import Language, QrCode, QrError, qr_base64, qr_label_png, qr_png
from tests.support.flet_harness import FakeApp
from tests.ui.helpers import mount, strict_ui

DEEP_LINK = "http://127.0.0.1:8551/c/CP-001/2"


def decode(png: bytes) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def test_qr_png_encodes_the_url() -> None:
    png = qr_png(DEEP_LINK)
    assert png.startswith(b"\x89PNG")
    assert decode(png) == [DEEP_LINK]
    assert base64.b64decode(qr_base64(DEEP_LINK)) == png


def test_label_has_the_code_and_room_for_the_caption() -> None:
    png = qr_label_png(DEEP_LINK, "CP-001 · 2", subcaption="扫码充电 Scan to charge")
    assert decode(png) == [DEEP_LINK]
    image = Image.open(io.BytesIO(png))
    assert image.width == 900 and image.height > image.width  # caption below the square code
    assert image.info["dpi"] == pytest.approx((300, 300), abs=0.5)
    # the caption band is not blank: text was drawn under the code
    band = image.convert("L").crop((0, image.width, image.width, image.height))
    darkest, _ = band.getextrema()
    assert isinstance(darkest, int) and darkest < 128


def test_unencodable_data_is_refused() -> None:
    with pytest.raises(QrError):
        qr_png("")
    with pytest.raises(QrError):
        qr_png("x" * 5000)


async def test_qr_component_shows_a_decodable_image_and_caption() -> None:
    ui = strict_ui(language=Language.ZH_CN)
    main = mount(ui, lambda: QrCode(DEEP_LINK, "CP-001-2", caption="CP-001 · 2"))
    async with FakeApp(main) as app:
        image = app.by_key("qr-CP-001-2", ft.Image)
        assert isinstance(image.src, bytes)
        assert decode(image.src) == [DEEP_LINK]
        assert image.semantics_label == "CP-001 · 2 的二维码"
        assert app.has_text("CP-001 · 2")

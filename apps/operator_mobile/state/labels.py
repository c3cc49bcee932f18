"""Printable QR labels per connector: the driver deep link as PNG, or a sheet of them as PDF.

The QR holds ``<public driver URL>/c/<chargePointId>/<connectorId>``, so any phone camera opens
the driver page for exactly that connector. The label image carries the charger/connector as a
caption (rendered with the CJK font when present, so Chinese station names print).
"""

from __future__ import annotations

import io

from fpdf import FPDF
from PIL import Image

from backend_client.models import ChargerPublic
from shared import qr_label_png

__all__ = ["charger_labels_pdf", "connector_label_png", "deep_link"]

# A4 sheet, two columns by three rows of 70 mm labels (a label is ~1.2× as tall as wide).
_PAGE_W, _PAGE_H = 210.0, 297.0
_LABEL_MM = 70.0
_GAP_MM = 8.0


def deep_link(public_driver_url: str, ocpp_id: str, connector_no: int) -> str:
    """The driver URL a connector's QR code holds."""
    return f"{public_driver_url.rstrip('/')}/c/{ocpp_id}/{connector_no}"


def connector_label_png(
    public_driver_url: str, charger: ChargerPublic, connector_no: int, station_name: str
) -> bytes:
    """One printable label (PNG, 300 dpi) for a connector."""
    return qr_label_png(
        deep_link(public_driver_url, charger.ocpp_id, connector_no),
        f"{charger.ocpp_id} · {connector_no}",
        subcaption=station_name,
    )


def charger_labels_pdf(public_driver_url: str, charger: ChargerPublic, station_name: str) -> bytes:
    """An A4 PDF with one label per active connector of ``charger`` (6 per page)."""
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.set_title(f"QR labels {charger.ocpp_id}")
    connectors = [c for c in charger.connectors if c.status == "active"]
    left = (_PAGE_W - 2 * _LABEL_MM - _GAP_MM) / 2
    for index, connector in enumerate(connectors):
        slot = index % 6
        if slot == 0:
            pdf.add_page()
        png = connector_label_png(public_driver_url, charger, connector.connector_no, station_name)
        with Image.open(io.BytesIO(png)) as image:
            height = _LABEL_MM * image.height / image.width
        x = left + (slot % 2) * (_LABEL_MM + _GAP_MM)
        y = _GAP_MM + (slot // 2) * (height + _GAP_MM)
        if y + height > _PAGE_H:  # never print off the sheet, whatever the label's shape
            raise ValueError(f"QR label of {height:.0f} mm does not fit three rows on A4")
        pdf.image(io.BytesIO(png), x=x, y=y, w=_LABEL_MM)
    return bytes(pdf.output())

"""The demo chargers' credentials for the simulator fleet: ``<data_dir>/demo-chargers.json``.

Demo charger passwords are derived from the charger identity (an HMAC with a fixed demo key)
so seeding and simulators agree without sharing state; the database stores only their hashes.
The file lists each charger's identity, password, station and plugs:
``[{"ocpp_id", "password", "operator", "station", "vendor", "model",
"connectors": [{"connector_no", "type", "max_kw"}]}]``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Charger, Connector, Operator, Station
from backend.security import verify_charger_password

CHARGERS_FILE = "demo-chargers.json"
_PASSWORD_KEY = b"chargepile-demo-charger-passwords"


def demo_charger_password(ocpp_id: str) -> str:
    """The demo charger's OCPP password: an HMAC of its identity, so simulators can re-derive
    it. Only for demo data; real chargers get random passwords."""
    digest = hmac.new(_PASSWORD_KEY, ocpp_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:24]


async def charger_manifest(session: AsyncSession, slugs: tuple[str, ...]) -> list[dict[str, Any]]:
    """The demo chargers with their derived passwords (skipping any whose password an
    operator has since reset) and plugs, for the simulator fleet."""
    rows = await session.execute(
        select(Charger, Station.name, Operator.slug)
        .join(Station, Station.id == Charger.station_id)
        .join(Operator, Operator.id == Charger.operator_id)
        .where(Operator.slug.in_(slugs))
        .order_by(Charger.id)
    )
    chargers = list(rows)
    plugs: dict[int, list[dict[str, Any]]] = {}
    for connector in await session.scalars(
        select(Connector)
        .where(Connector.charger_id.in_([c.id for c, _, _ in chargers]))
        .order_by(Connector.charger_id, Connector.connector_no)
    ):
        plugs.setdefault(connector.charger_id, []).append(
            {"connector_no": connector.connector_no, "type": str(connector.connector_type),
             "max_kw": connector.max_kw}
        )  # fmt: skip
    manifest = []
    for charger, station_name, slug in chargers:
        password = demo_charger_password(charger.ocpp_id)
        if not verify_charger_password(password, charger.ocpp_password_hash):
            continue
        manifest.append(
            {
                "ocpp_id": charger.ocpp_id,
                "password": password,
                "operator": slug,
                "station": station_name,
                "vendor": charger.vendor,
                "model": charger.model,
                "connectors": plugs.get(charger.id, []),
            }
        )
    return manifest


def write_manifest(path: Path, manifest: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

"""Console management of the network: stations, chargers and connectors (create, edit,
retire) and bulk import from CSV (a picked file or pasted text).

CSV formats (header row required, UTF-8, comma separated)::

    stations:  name,address,city,latitude,longitude[,opening_hours]
    chargers:  station,ocpp_id,vendor,model,connectors
               connectors = "1:CCS2:120;2:GBT_DC:60"  (number:type:max kW, ';' between)
               station    = the station's id or its exact name

Every line is validated before anything is sent; the import then creates line by line and
reports each line's result, so one bad line never hides the others.
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass, field

import flet as ft
from pydantic import BaseModel, ValidationError

from apps.operator_mobile.state.base import Ctx, Outcome
from apps.operator_mobile.state.manage import validation_message
from apps.operator_mobile.state.monitor import NetworkState
from backend_client import NotFound
from backend_client.models import (
    ChargerCreate,
    ChargerUpdate,
    ConnectorCreate,
    ConnectorType,
    StationCreate,
    StationPublic,
    StationUpdate,
)

__all__ = ["CatalogState", "ImportLine", "parse_chargers_csv", "parse_stations_csv"]

STATION_COLUMNS = ("name", "address", "city", "latitude", "longitude")
CHARGER_COLUMNS = ("station", "ocpp_id", "vendor", "model", "connectors")


@dataclass(frozen=True, slots=True)
class ImportLine:
    """One CSV line: the request to send, or why it cannot be sent."""

    line: int
    label: str
    request: BaseModel | None = None
    problem: str | None = None


def _rows(text: str, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff").strip()))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in required if c not in header]
    if missing:
        raise ValueError(f"missing columns: {', '.join(missing)}")
    reader.fieldnames = header
    return [
        (n, {k: (v or "").strip() for k, v in row.items() if k}) for n, row in enumerate(reader, 2)
    ]


def parse_stations_csv(text: str) -> list[ImportLine]:
    """Validate a stations CSV. Raises ``ValueError`` when the header is wrong."""
    out: list[ImportLine] = []
    for n, row in _rows(text, STATION_COLUMNS):
        values: dict[str, object] = {k: row[k] for k in STATION_COLUMNS}
        if row.get("opening_hours"):
            values["opening_hours"] = row["opening_hours"]
        try:
            out.append(ImportLine(n, row["name"], StationCreate.model_validate(values)))
        except ValidationError as exc:
            out.append(ImportLine(n, row["name"], problem=validation_message(exc)))
    return out


def _connectors(spec: str) -> list[ConnectorCreate]:
    connectors = []
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        number, kind, kw = (x.strip() for x in part.split(":"))
        connectors.append(
            ConnectorCreate(
                connector_no=int(number),
                connector_type=ConnectorType(kind.upper()),
                max_kw=float(kw),
            )
        )
    return connectors


def parse_chargers_csv(text: str, stations: list[StationPublic]) -> list[ImportLine]:
    """Validate a chargers CSV against the operator's stations (by id or exact name)."""
    by_name = {s.name: s.id for s in stations}
    ids = {s.id for s in stations}
    out: list[ImportLine] = []
    for n, row in _rows(text, CHARGER_COLUMNS):
        ref = row["station"]
        station_id = int(ref) if ref.isdigit() and int(ref) in ids else by_name.get(ref)
        if station_id is None:
            out.append(ImportLine(n, row["ocpp_id"], problem=f"unknown station {ref!r}"))
            continue
        try:
            request = ChargerCreate(
                station_id=station_id,
                ocpp_id=row["ocpp_id"],
                vendor=row["vendor"],
                model=row["model"],
                connectors=_connectors(row["connectors"]),
            )
            out.append(ImportLine(n, row["ocpp_id"], request))
        except ValidationError as exc:
            out.append(ImportLine(n, row["ocpp_id"], problem=validation_message(exc)))
        except ValueError as exc:  # a malformed "no:type:kw" part
            out.append(ImportLine(n, row["ocpp_id"], problem=f"connectors: {exc}"))
    return out


@dataclass(eq=False)
class CatalogState(ft.Observable):
    """Create, edit and retire stations/chargers/connectors; import them from CSV.

    Lists come from the shared :class:`NetworkState` (reloaded after each change).
    ``secret`` holds a new charger's OCPP password, shown once.
    """

    outcome: Outcome | None = None
    import_report: tuple[str, ...] = ()
    secret: str | None = None
    _ctx: Ctx | None = field(default=None, repr=False)
    _network: NetworkState | None = field(default=None, repr=False)

    @property
    def ctx(self) -> Ctx:
        assert self._ctx is not None
        return self._ctx

    async def _done(self, outcome: Outcome) -> Outcome:
        self.outcome = outcome
        if outcome.ok and self._network is not None:
            await self._network.reload()
        return outcome

    async def save_station(self, station_id: int | None, values: dict[str, str]) -> Outcome:
        """Create (``station_id`` None) or edit a station from form text.

        ``values["tariff"]`` names the station's tariff (exact name, as listed under Tariffs).
        """
        ctx = self.ctx
        values = dict(values)
        tariff_name = values.pop("tariff", "").strip()
        try:
            if station_id is None:
                create = StationCreate.model_validate(values)
            else:
                update = StationUpdate.model_validate({k: v for k, v in values.items() if v != ""})
        except ValidationError as exc:
            return await self._done(
                Outcome(False, ctx.t("form.invalid", problems=validation_message(exc)))
            )

        async def run() -> str:
            body: StationCreate | StationUpdate = create if station_id is None else update
            if tariff_name:
                page = await ctx.client.tariffs.list(limit=200)
                ids = [t.id for t in page.items if t.name == tariff_name and t.status == "active"]
                if not ids:
                    raise NotFound(ctx.t("catalog.unknown_tariff", name=tariff_name))
                body.tariff_id = ids[0]  # assignment marks the field as set (sent on update)
            if isinstance(body, StationCreate):
                station = await ctx.client.stations.create(body)
            else:
                assert station_id is not None
                station = await ctx.client.stations.update(station_id, body)
            return ctx.t("catalog.station_saved", name=station.name)

        return await self._done(await ctx.act(run))

    async def add_charger(
        self, station_id: int, ocpp_id: str, vendor: str, model: str, connectors: str
    ) -> Outcome:
        ctx = self.ctx
        try:
            body = ChargerCreate(
                station_id=station_id,
                ocpp_id=ocpp_id.strip(),
                vendor=vendor.strip(),
                model=model.strip(),
                connectors=_connectors(connectors),
            )
        except (ValidationError, ValueError) as exc:
            text = validation_message(exc) if isinstance(exc, ValidationError) else str(exc)
            return await self._done(Outcome(False, ctx.t("form.invalid", problems=text)))

        async def run() -> str:
            created = await ctx.client.chargers.create(body)
            self.secret = ctx.t(
                "catalog.ocpp_password", ocpp_id=created.ocpp_id, password=created.ocpp_password
            )
            return ctx.t("catalog.charger_saved", ocpp_id=created.ocpp_id)

        return await self._done(await ctx.act(run))

    async def update_charger(self, charger_id: int, values: dict[str, str]) -> Outcome:
        """Edit vendor, model and serial number (empty fields stay as they are)."""
        ctx = self.ctx
        try:
            changes = ChargerUpdate.model_validate(
                {k: v.strip() for k, v in values.items() if v.strip()}
            )
        except ValidationError as exc:
            return await self._done(
                Outcome(False, ctx.t("form.invalid", problems=validation_message(exc)))
            )

        async def run() -> str:
            charger = await ctx.client.chargers.update(charger_id, changes)
            return ctx.t("catalog.charger_updated", ocpp_id=charger.ocpp_id)

        return await self._done(await ctx.act(run))

    async def add_connector(self, charger_id: int, spec: str) -> Outcome:
        ctx = self.ctx
        try:
            connectors = _connectors(spec)
        except (ValidationError, ValueError) as exc:
            text = validation_message(exc) if isinstance(exc, ValidationError) else str(exc)
            return await self._done(Outcome(False, ctx.t("form.invalid", problems=text)))

        async def run() -> str:
            for connector in connectors:
                await ctx.client.chargers.add_connector(charger_id, connector)
            return ctx.t("catalog.connectors_added", count=len(connectors))

        return await self._done(await ctx.act(run))

    async def retire(self, kind: str, record_id: int, connector_no: int = 0) -> Outcome:
        """Retire a ``station``, ``charger`` or ``connector`` (history keeps pointing at it)."""
        ctx, chargers = self.ctx, self.ctx.client.chargers

        async def run() -> str:
            if kind == "station":
                name = (await ctx.client.stations.retire(record_id)).name
            elif kind == "charger":
                name = (await chargers.retire(record_id)).ocpp_id
            else:
                name = f"{(await chargers.retire_connector(record_id, connector_no)).ocpp_id}/{connector_no}"
            return ctx.t("common.retired", name=name)

        return await self._done(await ctx.act(run))

    async def import_csv(self, kind: str, text: str) -> Outcome:
        """Import ``stations`` or ``chargers`` from CSV text; :attr:`import_report` lists lines."""
        ctx = self.ctx
        stations = (self._network.stations.value if self._network else None) or []
        try:
            lines = (
                parse_stations_csv(text)
                if kind == "stations"
                else parse_chargers_csv(text, stations)
            )
        except ValueError as exc:
            self.import_report = ()
            return await self._done(
                Outcome(False, ctx.t("catalog.import_bad_file", problem=str(exc)))
            )
        report: list[str] = []
        created = 0
        for line in lines:
            if line.problem is not None or line.request is None:
                report.append(
                    ctx.t(
                        "catalog.import_line_bad",
                        line=line.line,
                        label=line.label,
                        problem=line.problem,
                    )
                )
                continue
            outcome = await ctx.act(functools.partial(self._create, line.request))
            created += outcome.ok
            report.append(
                ctx.t(
                    "catalog.import_line", line=line.line, label=line.label, result=outcome.message
                )
            )
        self.import_report = tuple(report)
        return await self._done(
            # Partly imported counts as done: the per-line report says what was left out.
            Outcome(
                created > 0,
                ctx.t("catalog.imported", created=created, total=len(lines)),
            )
        )

    async def _create(self, request: BaseModel) -> str:
        ctx = self.ctx
        if isinstance(request, StationCreate):
            return (await ctx.client.stations.create(request)).name
        assert isinstance(request, ChargerCreate)
        return (await ctx.client.chargers.create(request)).ocpp_id

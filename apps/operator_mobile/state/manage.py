"""Console management of people and money: tariffs with time-of-use bands, staff and roles,
RFID cards bound to drivers, and the sessions list with filters and CSV export.

Form input arrives as the strings the operator typed; it is validated with the wire models
(``TariffCreate`` …) so a mistake is reported per field before anything is sent.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import flet as ft
from pydantic import ValidationError

from apps.operator_mobile.state.base import Ctx, Outcome
from backend_client.models import (
    CardCreate,
    CardPublic,
    CardUpdate,
    SessionPublic,
    SessionStatus,
    StaffCreate,
    StaffPublic,
    StaffRole,
    StaffUpdate,
    TariffCreate,
    TariffPublic,
)
from shared import Loadable

__all__ = [
    "BandInput",
    "CardsState",
    "SessionsState",
    "StaffState",
    "TariffsState",
    "parse_bands",
    "validation_message",
]

_PAGE = 200


def validation_message(exc: ValidationError) -> str:
    """``field: problem`` for each error of a local model validation."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}" for e in exc.errors()
    )


@dataclass(frozen=True, slots=True)
class BandInput:
    """One time-of-use band as typed: ``08:00``-``12:00`` at ``1.20`` per kWh."""

    start: str
    end: str
    energy_price: str
    label: str = ""


def parse_bands(text: str) -> list[BandInput]:
    """Bands typed one per line as ``08:00-12:00 1.20 peak`` (label optional).

    Raises:
        ValueError: naming the line that is not in that shape.
    """
    bands = []
    for number, line in enumerate(text.splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) < 2 or "-" not in parts[0]:
            raise ValueError(f"band line {number}: expected 'HH:MM-HH:MM price [label]'")
        start, _, end = parts[0].partition("-")
        bands.append(BandInput(start, end, parts[1], " ".join(parts[2:])))
    return bands


@dataclass(eq=False)
class TariffsState(ft.Observable):
    """The operator's tariffs."""

    tariffs: Loadable[list[TariffPublic]] = field(default_factory=Loadable.loading)
    outcome: Outcome | None = None
    _ctx: Ctx | None = field(default=None, repr=False)

    async def reload(self) -> None:
        assert self._ctx is not None
        ctx = self._ctx
        page = await ctx.load(lambda: ctx.client.tariffs.list(limit=_PAGE))
        self.tariffs = Loadable.ready(page.value.items) if page.value else _failed(page)

    async def create(
        self,
        *,
        name: str,
        currency: str,
        energy_price: str,
        time_price: str = "0",
        bands: list[BandInput] | None = None,
    ) -> Outcome:
        """Create a tariff; bands must not overlap (checked here and by the server)."""
        assert self._ctx is not None
        ctx = self._ctx
        try:
            body = TariffCreate(
                name=name.strip(),
                currency=currency.strip().upper(),
                energy_price=_decimal(energy_price),
                time_price=_decimal(time_price or "0"),
                bands=[
                    {
                        "start": b.start.strip(),
                        "end": b.end.strip(),
                        "label": b.label.strip(),
                        "energy_price": _decimal(b.energy_price),
                    }
                    for b in bands or []
                ],
            )
        except (ValidationError, ValueError) as exc:
            text = validation_message(exc) if isinstance(exc, ValidationError) else str(exc)
            self.outcome = Outcome(False, ctx.t("form.invalid", problems=text))
            return self.outcome

        async def run() -> str:
            tariff = await ctx.client.tariffs.create(body)
            return ctx.t("tariffs.created", name=tariff.name)

        return await self._finish(await ctx.act(run))

    async def retire(self, tariff_id: int) -> Outcome:
        assert self._ctx is not None
        ctx = self._ctx

        async def run() -> str:
            tariff = await ctx.client.tariffs.retire(tariff_id)
            return ctx.t("common.retired", name=tariff.name)

        return await self._finish(await ctx.act(run))

    async def _finish(self, outcome: Outcome) -> Outcome:
        self.outcome = outcome
        if outcome.ok:
            await self.reload()
        return outcome


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a number") from None


def _failed(page: Loadable[Any]) -> Loadable[Any]:
    return Loadable.failed(page.error or "")


@dataclass(eq=False)
class StaffState(ft.Observable):
    """Staff accounts and their roles (admins only)."""

    staff: Loadable[list[StaffPublic]] = field(default_factory=Loadable.loading)
    outcome: Outcome | None = None
    _ctx: Ctx | None = field(default=None, repr=False)

    async def reload(self) -> None:
        assert self._ctx is not None
        ctx = self._ctx
        page = await ctx.load(lambda: ctx.client.staff.list(limit=_PAGE))
        self.staff = Loadable.ready(page.value.items) if page.value else _failed(page)

    async def create(self, *, email: str, full_name: str, password: str, admin: bool) -> Outcome:
        assert self._ctx is not None
        ctx = self._ctx
        try:
            body = StaffCreate(
                email=email,
                full_name=full_name.strip(),
                password=password,
                role=StaffRole.ADMIN if admin else StaffRole.STAFF,
            )
        except ValidationError as exc:
            self.outcome = Outcome(False, ctx.t("form.invalid", problems=validation_message(exc)))
            return self.outcome

        async def run() -> str:
            member = await ctx.client.staff.create(body)
            return ctx.t("staff.created", name=member.full_name)

        return await self._finish(await ctx.act(run))

    async def update(
        self, staff_id: int, admin: bool | None = None, active: bool | None = None
    ) -> Outcome:
        assert self._ctx is not None
        ctx = self._ctx
        changes = StaffUpdate()
        if admin is not None:
            changes.role = StaffRole.ADMIN if admin else StaffRole.STAFF
        if active is not None:
            changes.is_active = active

        async def run() -> str:
            member = await ctx.client.staff.update(staff_id, changes)
            return ctx.t("staff.updated", name=member.full_name)

        return await self._finish(await ctx.act(run))

    async def _finish(self, outcome: Outcome) -> Outcome:
        self.outcome = outcome
        if outcome.ok:
            await self.reload()
        return outcome


@dataclass(eq=False)
class CardsState(ft.Observable):
    """RFID cards: issue, bind to a driver by e-mail, block and unblock."""

    cards: Loadable[list[CardPublic]] = field(default_factory=Loadable.loading)
    outcome: Outcome | None = None
    _ctx: Ctx | None = field(default=None, repr=False)

    async def reload(self) -> None:
        assert self._ctx is not None
        ctx = self._ctx
        page = await ctx.load(lambda: ctx.client.cards.list(limit=_PAGE))
        self.cards = Loadable.ready(page.value.items) if page.value else _failed(page)

    async def create(self, *, uid: str, label: str, driver_email: str) -> Outcome:
        assert self._ctx is not None
        ctx = self._ctx
        try:
            body = CardCreate(
                uid=uid.strip(), label=label.strip(), driver_email=driver_email.strip() or None
            )
        except ValidationError as exc:
            self.outcome = Outcome(False, ctx.t("form.invalid", problems=validation_message(exc)))
            return self.outcome

        async def run() -> str:
            card = await ctx.client.cards.create(body)
            return ctx.t("cards.created", uid=card.uid)

        return await self._finish(await ctx.act(run))

    async def bind(self, card_id: int, driver_email: str) -> Outcome:
        assert self._ctx is not None
        ctx = self._ctx
        try:
            changes = CardUpdate(driver_email=driver_email.strip() or None)
        except ValidationError as exc:
            self.outcome = Outcome(False, ctx.t("form.invalid", problems=validation_message(exc)))
            return self.outcome

        async def run() -> str:
            card = await ctx.client.cards.update(card_id, changes)
            return ctx.t("cards.bound", uid=card.uid, driver=card.driver_email or "-")

        return await self._finish(await ctx.act(run))

    async def set_blocked(self, card_id: int, blocked: bool) -> Outcome:
        assert self._ctx is not None
        ctx = self._ctx

        async def run() -> str:
            cards = ctx.client.cards
            card = await (cards.block(card_id) if blocked else cards.unblock(card_id))
            return ctx.t("cards.blocked" if blocked else "cards.unblocked", uid=card.uid)

        return await self._finish(await ctx.act(run))

    async def _finish(self, outcome: Outcome) -> Outcome:
        self.outcome = outcome
        if outcome.ok:
            await self.reload()
        return outcome


SESSION_CSV_COLUMNS = (
    "id", "station_name", "ocpp_id", "connector_no", "id_tag", "status", "started_at",
    "stopped_at", "energy_wh", "cost_minor", "currency", "stop_reason",
)  # fmt: skip


@dataclass(eq=False)
class SessionsState(ft.Observable):
    """Charging sessions with filters (status, station) and CSV export of what is listed."""

    sessions: Loadable[list[SessionPublic]] = field(default_factory=Loadable.loading)
    status: SessionStatus | None = None
    station_id: int | None = None
    total: int = 0
    _ctx: Ctx | None = field(default=None, repr=False)

    async def reload(self) -> None:
        assert self._ctx is not None
        ctx = self._ctx
        page = await ctx.load(
            lambda: ctx.client.sessions.list(
                status=self.status, station_id=self.station_id, limit=_PAGE
            )
        )
        if page.value is not None:
            self.total = page.value.total
            self.sessions = Loadable.ready(page.value.items)
        else:
            self.sessions = _failed(page)

    async def set_filters(self, *, status: SessionStatus | None, station_id: int | None) -> None:
        self.status, self.station_id = status, station_id
        self.sessions = Loadable.loading()
        await self.reload()

    def export_csv(self) -> tuple[str, bytes]:
        """The listed sessions as CSV (UTF-8 with BOM so spreadsheet apps read Chinese names)."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(SESSION_CSV_COLUMNS)
        for s in self.sessions.value or []:
            writer.writerow(
                [getattr(s, c) if getattr(s, c) is not None else "" for c in SESSION_CSV_COLUMNS]
            )
        name = f"chargepile-sessions-{self.status or 'all'}.csv"
        return name, ("\ufeff" + out.getvalue()).encode()

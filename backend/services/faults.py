"""Faults for operator staff: the open ones to act on, history, and acknowledging with a note.

Faults are opened and cleared by the OCPP side (charger status, watchdog) and by drivers'
problem reports; acknowledging tells the team someone is on it and is pushed live.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.context import AppContext
from backend.db.models import Charger, Connector, Fault, RecordStatus, Station
from backend.errors import Invalid, NotFound, TooManyRequests
from backend.security import Principal
from backend.services import audit
from backend.services.events import Audience
from backend.services.scope import operator_of
from backend_client.models import FaultPublic, Page
from backend_client.models.faults import FaultSource, ProblemReportCreate, ProblemReportPublic


def fault_public(fault: Fault, ocpp_id: str, station_id: int, station_name: str) -> FaultPublic:
    return FaultPublic(
        id=fault.id,
        operator_id=fault.operator_id,
        charger_id=fault.charger_id,
        ocpp_id=ocpp_id,
        station_id=station_id,
        station_name=station_name,
        connector_no=fault.connector_no,
        source=FaultSource(fault.source),
        error_code=fault.error_code,
        vendor_error_code=fault.vendor_error_code,
        info=fault.info,
        opened_at=fault.opened_at,
        cleared_at=fault.cleared_at,
        acknowledged_at=fault.acknowledged_at,
        acknowledged_by=fault.acknowledged_by,
        note=fault.note,
        reported_by_driver_id=fault.reported_by_driver_id,
    )


def _query() -> Select[Fault, str, int, str]:
    return (
        select(Fault, Charger.ocpp_id, Station.id, Station.name)
        .join(Charger, Charger.id == Fault.charger_id)
        .join(Station, Station.id == Charger.station_id)
    )


async def list_faults(
    session: AsyncSession,
    *,
    principal: Principal,
    open_only: bool = True,
    charger_id: int | None = None,
    station_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[FaultPublic]:
    """The operator's faults, newest first; by default only those not yet cleared."""
    where = [Fault.operator_id == operator_of(principal)]
    if open_only:
        where.append(Fault.cleared_at.is_(None))
    if charger_id is not None:
        where.append(Fault.charger_id == charger_id)
    if station_id is not None:
        where.append(Charger.station_id == station_id)
    total = await session.scalar(
        select(func.count())
        .select_from(Fault)
        .join(Charger, Charger.id == Fault.charger_id)
        .where(*where)
    )
    rows = await session.execute(
        _query()
        .where(*where)
        .order_by(Fault.opened_at.desc(), Fault.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return Page[FaultPublic](
        items=[fault_public(f, o, sid, name) for f, o, sid, name in rows],
        total=total or 0,
        limit=limit,
        offset=offset,
    )


async def get_fault(session: AsyncSession, *, principal: Principal, fault_id: int) -> FaultPublic:
    row = (
        await session.execute(
            _query().where(Fault.id == fault_id, Fault.operator_id == operator_of(principal))
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"No fault with id {fault_id}.")
    fault, ocpp_id, station_id, station_name = row
    return fault_public(fault, ocpp_id, station_id, station_name)


async def acknowledge_fault(
    session: AsyncSession,
    ctx: AppContext,
    *,
    principal: Principal,
    fault_id: int,
    note: str,
) -> FaultPublic:
    """Record who is handling the fault and how; the team sees it live."""
    current = await get_fault(session, principal=principal, fault_id=fault_id)
    fault = await session.get(Fault, current.id)
    assert fault is not None
    fault.acknowledged_at = ctx.clock()
    fault.acknowledged_by = principal.id
    fault.note = note
    audit.record(
        session,
        principal=principal,
        action="fault.acknowledged",
        target_type="fault",
        target_id=fault.id,
        detail={"note": note},
    )
    await session.commit()
    public = current.model_copy(
        update={
            "acknowledged_at": fault.acknowledged_at,
            "acknowledged_by": principal.id,
            "note": note,
        }
    )
    ctx.events.publish(
        "fault.acknowledged",
        public.model_dump(mode="json"),
        Audience.operator(operator_of(principal)),
    )
    return public


# --- drivers' problem reports ------------------------------------------------------------

PROBLEM_REPORTS_PER_WINDOW = 5
PROBLEM_REPORT_WINDOW_SECONDS = 3600.0


@dataclass
class ProblemReportThrottle:
    """Reports per (driver, charger) in a sliding window, so one driver cannot flood an
    operator's fault feed; other chargers and other drivers are unaffected. Kept in memory
    like the login throttle: a restart forgets it, which only ever errs towards accepting."""

    limit: int = PROBLEM_REPORTS_PER_WINDOW
    window: float = PROBLEM_REPORT_WINDOW_SECONDS
    clock: Callable[[], float] = time.monotonic
    _sent: dict[tuple[int, int], deque[float]] = field(default_factory=dict)

    def check(self, driver_id: int, charger_id: int) -> None:
        """Raise :class:`TooManyRequests` when this driver already reported enough here."""
        sent = self._sent.get((driver_id, charger_id))
        if not sent:
            return
        now = self.clock()
        while sent and sent[0] <= now - self.window:
            sent.popleft()
        if len(sent) >= self.limit:
            retry_after = max(1, int(sent[0] + self.window - now + 0.999))
            raise TooManyRequests(
                "You have already reported this charger several times; the operator has"
                " been told. Try again later.",
                retry_after=retry_after,
            )

    def sent(self, driver_id: int, charger_id: int) -> None:
        now = self.clock()
        if len(self._sent) > 10_000:
            for key in [k for k, v in self._sent.items() if not v or v[-1] <= now - self.window]:
                del self._sent[key]
        self._sent.setdefault((driver_id, charger_id), deque(maxlen=self.limit)).append(now)


def problem_throttle(ctx: AppContext) -> ProblemReportThrottle:
    """The app's throttle, created on first use in ``ctx.extensions``."""
    throttle = ctx.extensions.get(__name__ + ".problem_throttle")
    if not isinstance(throttle, ProblemReportThrottle):
        throttle = ProblemReportThrottle()
        ctx.extensions[__name__ + ".problem_throttle"] = throttle
    return throttle


async def report_problem(
    session: AsyncSession,
    ctx: AppContext,
    *,
    principal: Principal,
    ocpp_id: str,
    report: ProblemReportCreate,
) -> ProblemReportPublic:
    """Open a driver-sourced fault on the charger's operator and push it to the operator's
    fault feed with the same event shape as a charger's own faults."""
    row = (
        await session.execute(
            select(Charger, Station.name)
            .join(Station, Station.id == Charger.station_id)
            .where(Charger.ocpp_id == ocpp_id, Charger.status != RecordStatus.RETIRED)
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"No charger with code {ocpp_id}.")
    charger, station_name = row
    throttle = problem_throttle(ctx)
    throttle.check(principal.id, charger.id)
    if report.connector_no is not None:
        exists = await session.scalar(
            select(Connector.id).where(
                Connector.charger_id == charger.id,
                Connector.connector_no == report.connector_no,
                Connector.status != RecordStatus.RETIRED,
            )
        )
        if exists is None:
            raise Invalid(
                f"Charger {ocpp_id} has no connector {report.connector_no}.",
                field_name="body.connector_no",
            )
    fault = Fault(
        operator_id=charger.operator_id,
        charger_id=charger.id,
        connector_no=report.connector_no or 0,
        source=FaultSource.DRIVER,
        error_code=report.category.value,
        info=report.note,
        reported_by_driver_id=principal.id,
        opened_at=ctx.clock(),
    )
    session.add(fault)
    await session.commit()
    throttle.sent(principal.id, charger.id)
    ctx.events.publish(
        "fault.opened",
        {
            "charger_id": charger.id,
            "ocpp_id": charger.ocpp_id,
            "station_id": charger.station_id,
            "station_name": station_name,
            "fault_id": fault.id,
            "connector_no": fault.connector_no,
            "error_code": fault.error_code,
            "source": FaultSource.DRIVER.value,
            "info": fault.info,
        },
        Audience.operator(charger.operator_id),
    )
    return ProblemReportPublic(
        fault_id=fault.id,
        ocpp_id=charger.ocpp_id,
        station_name=station_name,
        connector_no=report.connector_no,
        category=report.category,
        note=report.note,
        reported_at=fault.opened_at,
    )

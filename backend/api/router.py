"""Assembles every resource router under ``/api/v1`` (plus ``/healthz``)."""

from __future__ import annotations

from fastapi import APIRouter

from backend.api.routes import (
    audit,
    auth,
    cards,
    chargers,
    drivers,
    events,
    faults,
    guest,
    health,
    payments,
    problems,
    receipts,
    remote,
    reports,
    sessions,
    staff,
    stations,
    tariffs,
    wallet,
)


def build_api_router() -> APIRouter:
    """The whole REST API; each resource module contributes one router."""
    root = APIRouter()
    root.include_router(health.router)
    api = APIRouter(prefix="/api/v1")
    api.include_router(reports.router)
    api.include_router(auth.router)
    api.include_router(stations.router)
    api.include_router(chargers.router)
    api.include_router(tariffs.router)
    api.include_router(cards.router)
    api.include_router(staff.router)
    api.include_router(drivers.router)
    api.include_router(sessions.router)
    api.include_router(faults.router)
    api.include_router(problems.router)
    api.include_router(audit.router)
    api.include_router(events.router)
    api.include_router(payments.router)
    api.include_router(wallet.router)
    api.include_router(receipts.router)
    api.include_router(guest.router)
    api.include_router(remote.router)
    root.include_router(api)
    return root

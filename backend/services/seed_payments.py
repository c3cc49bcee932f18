"""The money side of the demo history: every completed, priced historical session was paid.

Reports count revenue as money captured (``payment_captures``), so a demo whose sessions had
prices but no payments would show no revenue at all. This writes, for each such session, what
the live payment flow leaves behind when it succeeds:

- drivers' own sessions are mostly paid from their prepaid **wallet**: the wallet, card
  top-ups (a captured ``topup`` payment and its ``topup`` entry) whenever the balance runs low,
  and per session the hold, its release and the charge, so balance = sum of entries as always;
- every other session (fleet and company cards) and the rest of the drivers' sessions are paid
  by **card**: a hold captured for the session's cost;
- one ``payment_captures`` row per paid session, stamped at the session's stop.

Bulk inserts only (card payments and captures are ``INSERT ... SELECT`` / executemany without
ids travelling back) so seeding a network's months of history stays a matter of seconds.
Deterministic: one seeded ``random.Random`` decides who pays how.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import (
    ChargingSession,
    PaymentCapture,
    PaymentIntent,
    SessionStatus,
    Wallet,
    WalletEntry,
)

CARD_HOLD_MINOR = 20_000
"""The hold put on a card at start (the payments default ``card_hold_minor``)."""
WALLET_HOLD_MAX_MINOR = 20_000
"""At most this much of a wallet is held for a session (``wallet_hold_max_minor``)."""
WALLET_SHARE = 0.75
"""Share of a registered driver's sessions paid from the wallet (the rest: the driver's card)."""
TOPUP_AMOUNTS = (30_000, 50_000, 100_000)
PROVIDER = "sandbox"
BATCH = 5000


@dataclass(frozen=True)
class _Paid:
    session_id: int
    driver_id: int | None
    station_id: int
    charger_id: int
    connector_no: int
    cost: int
    started_at: datetime
    stopped_at: datetime


def _intent(
    operator_id: int,
    s: _Paid,
    snapshots: dict[int, dict[str, Any]],
    *,
    method: str,
    authorized: int,
    wallet_id: int | None = None,
) -> dict[str, Any]:
    return {
        "purpose": "session",
        "method": method,
        "status": "captured",
        "currency": "CNY",
        "driver_id": s.driver_id,
        "operator_id": operator_id,
        "station_id": s.station_id,
        "charger_id": s.charger_id,
        "connector_no": s.connector_no,
        "session_id": s.session_id,
        "wallet_id": wallet_id,
        "provider": PROVIDER if method == "card" else "wallet",
        "provider_ref": f"sbx_seed_{s.session_id}" if method == "card" else None,
        "tariff_snapshot": snapshots.get(s.station_id, {}),
        "authorized_minor": authorized,
        "final_cost_minor": s.cost,
        "captured_minor": s.cost,
        "refunded_minor": 0,
        "created_at": s.started_at,
        "updated_at": s.stopped_at,
    }


async def _paid_sessions(session: AsyncSession, operator_id: int) -> list[_Paid]:
    s = ChargingSession
    rows = await session.execute(
        select(
            s.id,
            s.driver_id,
            s.station_id,
            s.charger_id,
            s.connector_no,
            s.cost_minor,
            s.started_at,
            s.stopped_at,
        )
        .where(
            s.operator_id == operator_id,
            s.status == SessionStatus.COMPLETED,
            s.cost_minor > 0,
            s.stopped_at.is_not(None),
        )
        .order_by(s.started_at, s.id)
    )
    return [
        _Paid(sid, driver, station, charger, plug, cost, started, stopped)
        for sid, driver, station, charger, plug, cost, started, stopped in rows
        if stopped is not None
    ]


async def _wallet_payments(
    session: AsyncSession,
    operator_id: int,
    by_driver: dict[int, list[_Paid]],
    snapshots: dict[int, dict[str, Any]],
    rng: random.Random,
) -> None:
    """Wallets, their top-ups and the wallet-paid sessions, with a ledger that balances."""
    if not by_driver:
        return
    drivers = sorted(by_driver)
    result = await session.execute(
        insert(Wallet).returning(Wallet.id, sort_by_parameter_order=True),
        [
            {"driver_id": d, "currency": "CNY", "version": 0,
             "created_at": by_driver[d][0].started_at - timedelta(days=1)}
            for d in drivers
        ],
    )  # fmt: skip
    wallet_ids = dict(zip(drivers, (int(i) for i in result.scalars()), strict=True))
    # Per driver, in time order: a top-up whenever the balance would not cover a full hold.
    intents: list[dict[str, Any]] = []
    plan: list[tuple[int, int, _Paid | None, datetime]] = []  # wallet, amount, session, at
    for driver_id in drivers:
        wallet_id, balance = wallet_ids[driver_id], 0
        for s in by_driver[driver_id]:
            need = max(WALLET_HOLD_MAX_MINOR, s.cost)
            while balance < need:
                amount = rng.choice(TOPUP_AMOUNTS)
                at = s.started_at - timedelta(minutes=rng.uniform(5, 600))
                intents.append(
                    {"purpose": "topup", "method": "card", "status": "captured",
                     "currency": "CNY", "driver_id": driver_id, "wallet_id": wallet_id,
                     "provider": PROVIDER, "authorized_minor": amount, "captured_minor": amount,
                     "created_at": at, "updated_at": at}
                )  # fmt: skip
                plan.append((wallet_id, amount, None, at))
                balance += amount
            hold = min(balance, max(WALLET_HOLD_MAX_MINOR, s.cost))
            intents.append(
                _intent(operator_id, s, snapshots, method="wallet", authorized=hold,
                        wallet_id=wallet_id)
            )  # fmt: skip
            plan.append((wallet_id, hold, s, s.started_at))
            balance -= s.cost
    result = await session.execute(
        insert(PaymentIntent).returning(PaymentIntent.id, sort_by_parameter_order=True), intents
    )
    entries: list[dict[str, Any]] = []
    versions: dict[int, int] = {}
    for (wallet_id, amount, paid, at), pid in zip(plan, result.scalars(), strict=True):
        if paid is None:
            entries.append(_entry(wallet_id, "topup", amount, f"pi{pid}:topup", pid, None, at))
        else:
            sid, end = paid.session_id, paid.stopped_at
            entries += [
                _entry(wallet_id, "hold", -amount, f"pi{pid}:hold", pid, sid, at),
                _entry(wallet_id, "hold_release", amount, f"pi{pid}:release", pid, sid, end),
                _entry(wallet_id, "charge", -paid.cost, f"pi{pid}:charge", pid, sid, end),
            ]
        versions[wallet_id] = versions.get(wallet_id, 0) + (1 if paid is None else 2)
    entries.sort(key=lambda e: (e["wallet_id"], e["created_at"]))
    await session.execute(insert(WalletEntry), entries)
    for wallet_id, version in versions.items():
        await session.execute(update(Wallet).where(Wallet.id == wallet_id).values(version=version))


def _entry(
    wallet_id: int,
    kind: str,
    amount: int,
    key: str,
    payment_id: int,
    session_id: int | None,
    at: datetime,
) -> dict[str, Any]:
    notes = {"topup": "top-up", "hold": "hold for charging", "hold_release": "hold released"}
    return {
        "wallet_id": wallet_id,
        "kind": kind,
        "amount_minor": amount,
        "entry_key": key,
        "payment_id": payment_id,
        "session_id": session_id,
        "note": notes.get(kind, f"charging session {session_id}"),
        "created_at": at,
    }


async def seed_payments(
    session: AsyncSession,
    operator_id: int,
    snapshots: dict[int, dict[str, Any]],
    *,
    seed: int,
) -> int:
    """Pay every completed, priced session of ``operator_id``; returns how many were paid.

    ``snapshots`` maps station id to the tariff snapshot its sessions were priced with. Call
    once, in the transaction that inserted the history (the demo seed's).
    """
    rng = random.Random(seed)
    paid = await _paid_sessions(session, operator_id)
    by_driver: dict[int, list[_Paid]] = {}
    cards: list[dict[str, Any]] = []
    for s in paid:
        if s.driver_id is not None and rng.random() < WALLET_SHARE:
            by_driver.setdefault(s.driver_id, []).append(s)
        else:
            authorized = max(CARD_HOLD_MINOR, s.cost)
            cards.append(_intent(operator_id, s, snapshots, method="card", authorized=authorized))
    await _wallet_payments(session, operator_id, by_driver, snapshots, rng)
    for start in range(0, len(cards), BATCH):
        await session.execute(insert(PaymentIntent), cards[start : start + BATCH])
    # One capture per paid session, taken from its payment, at the session's stop.
    p = PaymentIntent
    await session.execute(
        insert(PaymentCapture).from_select(
            [
                PaymentCapture.payment_id,
                PaymentCapture.session_id,
                PaymentCapture.operator_id,
                PaymentCapture.station_id,
                PaymentCapture.charger_id,
                PaymentCapture.method,
                PaymentCapture.currency,
                PaymentCapture.amount_minor,
                PaymentCapture.refunded_minor,
                PaymentCapture.captured_at,
            ],
            select(
                p.id,
                p.session_id,
                p.operator_id,
                p.station_id,
                p.charger_id,
                p.method,
                p.currency,
                p.captured_minor,
                literal(0),
                p.updated_at,
            ).where(
                p.operator_id == operator_id,
                p.purpose == "session",
                p.status == "captured",
                p.session_id.is_not(None),
            ),
        )
    )
    return len(paid)

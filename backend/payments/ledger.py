"""The wallet ledger: every movement is a row, the balance is their sum, nothing is edited.

Each money-moving transaction first *locks* the wallet (bumps ``Wallet.version``, which takes
the row lock on PostgreSQL and the write lock on SQLite), then reads the balance and posts its
entries; two concurrent spends of one wallet are therefore serialized and cannot overdraw it.
Each entry carries a unique ``entry_key`` (e.g. ``pi42:charge``), so a retried step posts
nothing twice.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.base import Base
from backend.db.models import EntryKind, Wallet, WalletEntry


async def insert_ignore(
    db: AsyncSession, model: type[Base], values: dict[str, Any], conflict: list[str]
) -> bool:
    """INSERT unless a row with the same ``conflict`` columns exists; True when inserted.

    Uses the database's own ON CONFLICT DO NOTHING so two racing inserts never raise.
    """
    dialect = db.get_bind().dialect.name
    stmt: Any
    if dialect == "postgresql":
        stmt = (
            postgresql.insert(model)
            .values(**values)
            .on_conflict_do_nothing(index_elements=conflict)
        )
    else:
        stmt = sqlite.insert(model).values(**values).on_conflict_do_nothing(index_elements=conflict)
    result = await db.execute(stmt)
    return bool(getattr(result, "rowcount", 0))


async def wallet_for(db: AsyncSession, driver_id: int, currency: str) -> Wallet:
    """The driver's wallet in ``currency``, created empty on first use."""
    wallet = await db.scalar(
        select(Wallet).where(Wallet.driver_id == driver_id, Wallet.currency == currency)
    )
    if wallet is None:
        await insert_ignore(
            db,
            Wallet,
            {"driver_id": driver_id, "currency": currency, "version": 0},
            ["driver_id", "currency"],
        )
        wallet = await db.scalar(
            select(Wallet).where(Wallet.driver_id == driver_id, Wallet.currency == currency)
        )
        assert wallet is not None
    return wallet


async def lock_wallet(db: AsyncSession, driver_id: int, currency: str) -> Wallet:
    """The wallet, locked for the rest of the transaction (see the module docstring)."""
    wallet = await wallet_for(db, driver_id, currency)
    await db.execute(
        update(Wallet).where(Wallet.id == wallet.id).values(version=Wallet.version + 1)
    )
    await db.refresh(wallet)
    return wallet


async def balance(db: AsyncSession, wallet_id: int) -> int:
    """Spendable balance: the sum of every entry (active holds are negative entries)."""
    total = await db.scalar(
        select(func.coalesce(func.sum(WalletEntry.amount_minor), 0)).where(
            WalletEntry.wallet_id == wallet_id
        )
    )
    return int(total or 0)


async def held(db: AsyncSession, wallet_id: int) -> int:
    """Money currently reserved by running sessions (holds not yet released)."""
    total = await db.scalar(
        select(func.coalesce(func.sum(WalletEntry.amount_minor), 0)).where(
            WalletEntry.wallet_id == wallet_id,
            WalletEntry.kind.in_([EntryKind.HOLD, EntryKind.HOLD_RELEASE]),
        )
    )
    return -int(total or 0)


async def post(
    db: AsyncSession,
    wallet: Wallet,
    kind: EntryKind,
    amount_minor: int,
    *,
    key: str,
    payment_id: int | None = None,
    session_id: int | None = None,
    note: str = "",
) -> bool:
    """Post one movement unless ``key`` was already posted; True when posted now.

    Call with the wallet locked (:func:`lock_wallet`).
    """
    return await insert_ignore(
        db,
        WalletEntry,
        {
            "wallet_id": wallet.id,
            "kind": kind.value,
            "amount_minor": amount_minor,
            "entry_key": key,
            "payment_id": payment_id,
            "session_id": session_id,
            "note": note[:200],
        },
        ["entry_key"],
    )

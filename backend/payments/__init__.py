"""Payments and billing: tariff engine, wallet ledger, provider interface and sandbox,
exactly-once provider calls through an outbox, webhooks, receipts.

What other layers call:

- :func:`backend.payments.tariff.snapshot_tariff` / :func:`~backend.payments.tariff.running_cost`
  / :func:`~backend.payments.tariff.price_preview`: pure pricing.
- :func:`backend.payments.settlement.session_budget`: after each meter update, may it go on?
- :func:`backend.payments.settlement.settle_session`: inside the StopTransaction transaction;
  then :func:`notify` after the commit.
- :func:`backend.payments.outbox.payments_lifecycle`: the app lifecycle (installed by the app
  factory) that sets up the runtime and runs the outbox worker.
"""

from __future__ import annotations

from backend.context import AppContext
from backend.payments.config import RUNTIME_KEY, PaymentsRuntime


def notify(ctx: AppContext) -> None:
    """Wake the outbox worker after committing a settlement (no-op without payments)."""
    runtime = ctx.extensions.get(RUNTIME_KEY)
    if isinstance(runtime, PaymentsRuntime):
        runtime.kick()

"""The built-in sandbox card processor: behaves like a real one, keeps its state in memory.

Used by the demo and the tests; a real provider plugs in behind the same
:class:`~backend.payments.provider.PaymentProvider` interface.

Test payment methods (like a processor's test cards):

=============================  ====================================================
``pm_card_ok`` (or any other)  authorizes up to :attr:`SandboxProvider.card_limit_minor`
``pm_card_insufficient_funds`` declined, ``insufficient_funds``
``pm_card_declined``           declined, ``card_declined``
``pm_card_expired``            declined, ``expired_card``
=============================  ====================================================

Failures on demand (:meth:`SandboxProvider.fail_next`, :attr:`SandboxProvider.down`):
``"error"`` fails before doing anything (HTTP 500; not remembered under the key), ``"timeout"``
does the work and then loses the answer (the caller sees a timeout, the retry with the same key
gets the stored result) — the ambiguous case exactly-once handling must survive.

With ``state_file`` its payments and idempotency keys survive a backend restart (as a real
processor's would), so the outbox can finish a capture after a crash in the demo too. The file
is a journal: one JSON line appended per call that took effect (rewriting the whole state on
every call cost time in proportion to all payments ever made, under the provider's lock, and
slowed every start once a thousand sessions were running). A file in the older one-object
format is still read.

Webhooks for every state change are signed and delivered asynchronously by ``delivery``
(HTTP POST to a URL by default; tests inject a callable), retried with back-off on failure.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx

from backend.payments.errors import (
    ProviderDeclined,
    ProviderError,
    ProviderRequestError,
    ProviderUnavailable,
)
from backend.payments.provider import (
    SIGNATURE_HEADER,
    ProviderEvent,
    ProviderPayment,
    parse_event,
    sign_webhook,
    verify_webhook,
)

log = logging.getLogger(__name__)

# Called with the raw body and headers of one webhook; raises when delivery failed.
WebhookDelivery = Callable[[bytes, dict[str, str]], Awaitable[None]]

DECLINING_METHODS = {
    "pm_card_insufficient_funds": "insufficient_funds",
    "pm_card_declined": "card_declined",
    "pm_card_expired": "expired_card",
}


def http_delivery(url: str, *, timeout: float = 10.0) -> WebhookDelivery:
    """Deliver webhooks by HTTP POST to ``url`` (a non-2xx answer counts as a failure)."""

    async def deliver(body: bytes, headers: dict[str, str]) -> None:
        async with httpx.AsyncClient(timeout=timeout) as client:
            response = await client.post(url, content=body, headers=headers)
            response.raise_for_status()

    return deliver


@dataclass
class _Stored:
    params: str
    result: ProviderPayment | None
    error: ProviderDeclined | ProviderRequestError | None


class SandboxProvider:
    """An in-memory card processor with idempotency keys, declines, failures and webhooks."""

    name = "sandbox"

    def __init__(
        self,
        *,
        webhook_secret: str,
        delivery: WebhookDelivery | None = None,
        card_limit_minor: int = 1_000_000,
        latency: float = 0.0,
        delivery_attempts: int = 5,
        retry_base_delay: float = 0.5,
        clock: Callable[[], float] = time.time,
        state_file: Path | None = None,
    ) -> None:
        self.webhook_secret = webhook_secret
        self.state_file = state_file
        self.delivery = delivery
        self.card_limit_minor = card_limit_minor
        self.latency = latency
        self.delivery_attempts = delivery_attempts
        self.retry_base_delay = retry_base_delay
        self.clock = clock
        self.down = False  # every call fails with a 500 while True
        self.payments: dict[str, ProviderPayment] = {}
        self.events: list[tuple[str, bytes]] = []  # (event id, body) in sending order
        self.calls: list[tuple[str, str]] = []  # (operation, idempotency key) as received
        self._keys: dict[str, _Stored] = {}
        self._faults: list[tuple[str, str]] = []  # (operation or "*", "error" | "timeout")
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        if state_file is not None and state_file.exists():
            self._read_state(state_file.read_text(encoding="utf-8"))

    # -- configuration -------------------------------------------------------------------

    def fail_next(self, operation: str = "*", kind: str = "error", times: int = 1) -> None:
        """Make the next ``times`` calls of ``operation`` fail (``kind``: error | timeout)."""
        if kind not in ("error", "timeout"):
            raise ValueError("kind must be 'error' or 'timeout'")
        self._faults.extend([(operation, kind)] * times)

    def succeeded(self, operation: str) -> list[ProviderPayment]:
        """Results of the calls of ``operation`` that took effect (for tests and reconciling)."""
        return [
            s.result for k, s in self._keys.items() if k.startswith(operation + "|") and s.result
        ]

    # -- the provider interface ----------------------------------------------------------

    async def authorize(
        self,
        *,
        idempotency_key: str,
        amount_minor: int,
        currency: str,
        payment_method: str,
        capture: bool = False,
    ) -> ProviderPayment:
        params = (amount_minor, currency, payment_method, capture)

        def run() -> ProviderPayment:
            if amount_minor <= 0:
                raise ProviderRequestError("amount must be positive")
            decline = DECLINING_METHODS.get(payment_method)
            if decline is None and amount_minor > self.card_limit_minor:
                decline = "insufficient_funds"
            if decline is not None:
                raise ProviderDeclined(f"card declined: {decline}", decline_code=decline)
            ref = "pay_" + secrets.token_hex(8)
            payment = ProviderPayment(
                ref=ref,
                status="captured" if capture else "authorized",
                currency=currency,
                amount_authorized=amount_minor,
                amount_captured=amount_minor if capture else 0,
                amount_refunded=0,
            )
            self.payments[ref] = payment
            return payment

        return await self._call("authorize", idempotency_key, params, run)

    async def capture(
        self, *, idempotency_key: str, ref: str, amount_minor: int
    ) -> ProviderPayment:
        def run() -> ProviderPayment:
            payment = self._payment(ref)
            if payment.status != "authorized":
                raise ProviderRequestError(f"payment is {payment.status}, cannot capture")
            if not 0 < amount_minor <= payment.amount_authorized:
                raise ProviderRequestError("capture amount must be within the authorized amount")
            payment = replace(payment, status="captured", amount_captured=amount_minor)
            self.payments[ref] = payment
            return payment

        return await self._call("capture", idempotency_key, (ref, amount_minor), run)

    async def release(self, *, idempotency_key: str, ref: str) -> ProviderPayment:
        def run() -> ProviderPayment:
            payment = self._payment(ref)
            if payment.status != "authorized":
                raise ProviderRequestError(f"payment is {payment.status}, cannot release")
            payment = replace(payment, status="released")
            self.payments[ref] = payment
            return payment

        return await self._call("release", idempotency_key, (ref,), run)

    async def refund(self, *, idempotency_key: str, ref: str, amount_minor: int) -> ProviderPayment:
        def run() -> ProviderPayment:
            payment = self._payment(ref)
            left = payment.amount_captured - payment.amount_refunded
            if payment.status not in ("captured", "refunded") or not 0 < amount_minor <= left:
                raise ProviderRequestError("refund amount exceeds what was captured")
            payment = replace(
                payment, status="refunded", amount_refunded=payment.amount_refunded + amount_minor
            )
            self.payments[ref] = payment
            return payment

        return await self._call("refund", idempotency_key, (ref, amount_minor), run)

    def parse_webhook(self, body: bytes, headers: Mapping[str, str], now: int) -> ProviderEvent:
        lowered = {k.lower(): v for k, v in headers.items()}
        data = verify_webhook(self.webhook_secret, body, lowered.get(SIGNATURE_HEADER.lower()), now)
        return parse_event(data)

    async def aclose(self) -> None:
        """Stop delivering webhooks (pending deliveries are cancelled)."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def flush(self, timeout: float = 10.0) -> None:
        """Wait until every webhook queued so far was delivered or gave up (tests use this)."""
        async with asyncio.timeout(timeout):
            while self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def redeliver(self, event_id: str) -> None:
        """Send an already-sent event again, as providers do when unsure it arrived."""
        body = next(b for i, b in self.events if i == event_id)
        await self._deliver_once(body)

    # -- persistence (a provider outlives the backend process) ---------------------------

    @staticmethod
    def _stored_json(stored: _Stored) -> dict[str, Any]:
        exc = stored.error
        error: dict[str, str] | None = None
        if exc is not None:
            code = exc.decline_code if isinstance(exc, ProviderDeclined) else ""
            error = {"declined": str(bool(code)), "message": exc.message, "code": code}
        return {
            "params": stored.params,
            "result": stored.result.to_json() if stored.result else None,
            "error": error,
        }

    def _dump(self) -> dict[str, Any]:
        """The whole state as one object (the older file format; kept for inspection)."""
        return {
            "payments": {ref: p.to_json() for ref, p in self.payments.items()},
            "keys": {k: self._stored_json(v) for k, v in self._keys.items()},
        }

    def _read_state(self, text: str) -> None:
        stripped = text.strip()
        if not stripped:
            return
        if "\n" not in stripped:
            data = json.loads(stripped)
            if "payments" in data:  # the older one-object format
                self._load(data)
                return
        for line in stripped.splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                log.warning("sandbox journal: skipping a torn line")  # a crash mid-append
                continue
            self._load({"keys": {entry["key"]: entry["value"]}})
            if entry.get("payment"):
                payment = ProviderPayment.from_json(entry["payment"])
                self.payments[payment.ref] = payment

    def _load(self, data: dict[str, Any]) -> None:
        self.payments.update(
            {ref: ProviderPayment.from_json(p) for ref, p in data.get("payments", {}).items()}
        )
        for key, value in data.get("keys", {}).items():
            err = value.get("error")
            exc: ProviderDeclined | ProviderRequestError | None = None
            if err and err.get("code"):
                exc = ProviderDeclined(err["message"], decline_code=err["code"])
            elif err:
                exc = ProviderRequestError(err["message"])
            result = ProviderPayment.from_json(value["result"]) if value.get("result") else None
            self._keys[key] = _Stored(value["params"], result, exc)

    async def _save(self, key: str) -> None:
        """Append the call ``key`` (and the payment it changed) to the journal."""
        if self.state_file is None:
            return
        stored = self._keys[key]
        payment = self.payments.get(stored.result.ref) if stored.result else None
        line = json.dumps(
            {
                "key": key,
                "value": self._stored_json(stored),
                "payment": payment.to_json() if payment else None,
            }
        )
        path = self.state_file

        def append() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as journal:
                journal.write(line + "\n")

        await asyncio.to_thread(append)

    # -- machinery -----------------------------------------------------------------------

    def _payment(self, ref: str) -> ProviderPayment:
        payment = self.payments.get(ref)
        if payment is None:
            raise ProviderRequestError(f"no such payment {ref}")
        return payment

    def _take_fault(self, operation: str) -> str | None:
        if self.down:
            return "error"
        for index, (op, kind) in enumerate(self._faults):
            if op in (operation, "*"):
                del self._faults[index]
                return kind
        return None

    async def _call(
        self,
        operation: str,
        key: str,
        params: tuple[Any, ...],
        run: Callable[[], ProviderPayment],
    ) -> ProviderPayment:
        if not key or len(key) > 255:
            raise ProviderRequestError("an idempotency key of 1-255 characters is required")
        if self.latency:
            await asyncio.sleep(self.latency)
        digest = hashlib.sha256(repr((operation, params)).encode()).hexdigest()
        async with self._lock:
            self.calls.append((operation, key))
            fault = self._take_fault(operation)
            if fault == "error":
                raise ProviderUnavailable(f"sandbox provider error (500) on {operation}")
            stored = self._keys.get(f"{operation}|{key}")
            if stored is None:
                try:
                    stored = _Stored(digest, run(), None)
                except (ProviderDeclined, ProviderRequestError) as exc:
                    stored = _Stored(digest, None, exc)
                self._keys[f"{operation}|{key}"] = stored
                await self._save(f"{operation}|{key}")
                if stored.result is not None:
                    self._announce(stored.result)
            elif stored.params != digest:
                raise ProviderRequestError("idempotency key reused with different parameters")
            if fault == "timeout":
                raise ProviderUnavailable(f"sandbox provider timed out on {operation}")
            if stored.error is not None:
                raise stored.error
            assert stored.result is not None
            return stored.result

    def _announce(self, payment: ProviderPayment) -> None:
        event_id = "evt_" + secrets.token_hex(10)
        body = json.dumps(
            {
                "id": event_id,
                "type": f"payment.{payment.status}",
                "created": int(self.clock()),
                "data": payment.to_json(),
            }
        ).encode()
        self.events.append((event_id, body))
        if self.delivery is None:
            return
        task = asyncio.get_running_loop().create_task(self._deliver(body))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver_once(self, body: bytes) -> None:
        if self.delivery is None:
            return
        headers = {
            "content-type": "application/json",
            SIGNATURE_HEADER: sign_webhook(self.webhook_secret, body, int(self.clock())),
        }
        await self.delivery(body, headers)

    async def _deliver(self, body: bytes) -> None:
        delay = self.retry_base_delay
        for attempt in range(1, self.delivery_attempts + 1):
            try:
                async with asyncio.timeout(30):
                    await self._deliver_once(body)
                return
            except asyncio.CancelledError:
                raise
            except (httpx.HTTPError, ProviderError, OSError, TimeoutError) as exc:
                log.warning("webhook delivery attempt %d failed: %s", attempt, exc)
            await asyncio.sleep(delay)
            delay *= 2

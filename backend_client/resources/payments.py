"""Paid charging, the driver's wallet, receipts, guest (no account) charging, and the
payment provider's webhook.

Every call that starts a session or moves money sends an ``Idempotency-Key``: the server
answers a repeat of the same key with the first answer, so the client retries these calls
after a lost answer without charging twice. Pass an :class:`~backend_client.retry.Action`
(or its key) created when the user tapped the button, and the same one again if the user
retries after an error; without one, each call is its own action.
"""

from __future__ import annotations

from collections.abc import Mapping

from backend_client.models.common import Page
from backend_client.models.payments import (
    ChargeStartRequest,
    ChargeStartResponse,
    GuestSessionStatus,
    GuestStartRequest,
    PaymentPublic,
    PayWith,
    PriceQuote,
    Receipt,
    RefundRequest,
    TopUpRequest,
    TopUpResult,
    WalletEntryPublic,
    WalletPublic,
    WebhookAck,
)
from backend_client.models.receipts import ReceiptLink
from backend_client.resources._base import API, Resource, build, endpoint
from backend_client.retry import Action

__all__ = ["ChargingApi", "GuestApi", "PaymentsApi", "WalletApi", "action_key"]

# Starting a session waits for the charger (the central system gives it up to 30 s).
START_TIMEOUT = 45.0


def action_key(action: Action | str | None) -> str:
    """The idempotency key for ``action`` (a fresh one when the caller gave none)."""
    if action is None:
        return Action().key
    return action.key if isinstance(action, Action) else action


class ChargingApi(Resource):
    """``client.charging``: what a start would cost, and paid starts for signed-in drivers."""

    @endpoint("GET", "/api/v1/charge/quote")
    async def quote(self, ocpp_id: str, connector_no: int) -> PriceQuote:
        """The price in force now and the hold a start needs (no sign-in needed: the QR
        code page shows it)."""
        return await self._r.call(
            "GET",
            f"{API}/charge/quote",
            PriceQuote,
            params={"ocpp_id": ocpp_id, "connector_no": connector_no},
            auth=False,
        )

    @endpoint("POST", "/api/v1/charge/start")
    async def start(
        self,
        ocpp_id: str,
        connector_no: int,
        *,
        pay_with: PayWith,
        payment_method_token: str | None = None,
        idempotency_key: Action | str | None = None,
    ) -> ChargeStartResponse:
        """Hold the money (wallet or card) and start the charger.

        Raises:
            PaymentDeclined / InsufficientBalance: nothing was started.
            ChargerOffline / ChargerTimeout / ChargerRejected: the hold was given back.
            Conflict: the connector is busy.
        """
        return await self._r.call(
            "POST",
            f"{API}/charge/start",
            ChargeStartResponse,
            body=build(
                ChargeStartRequest,
                ocpp_id=ocpp_id,
                connector_no=connector_no,
                pay_with=pay_with,
                payment_method_token=payment_method_token,
            ),
            idempotency_key=action_key(idempotency_key),
            timeout=START_TIMEOUT,
        )


class WalletApi(Resource):
    """``client.wallet``: the signed-in driver's prepaid balance."""

    @endpoint("GET", "/api/v1/wallet")
    async def get(self, currency: str = "CNY") -> WalletPublic:
        """Spendable balance and what running sessions hold."""
        return await self._r.call(
            "GET", f"{API}/wallet", WalletPublic, params={"currency": currency}
        )

    @endpoint("GET", "/api/v1/wallet/entries")
    async def entries(
        self, currency: str = "CNY", *, limit: int = 50, offset: int = 0
    ) -> Page[WalletEntryPublic]:
        """Every movement, newest first."""
        return await self._r.call(
            "GET",
            f"{API}/wallet/entries",
            Page[WalletEntryPublic],
            params={"currency": currency, "limit": limit, "offset": offset},
        )

    @endpoint("POST", "/api/v1/wallet/topups")
    async def top_up(
        self,
        amount_minor: int,
        currency: str,
        payment_method_token: str,
        *,
        idempotency_key: Action | str | None = None,
    ) -> TopUpResult:
        """Charge the card and credit the wallet. ``result.payment.state`` tells whether it
        is credited already or still processing.

        Raises:
            PaymentDeclined: the card was refused; nothing was credited.
        """
        return await self._r.call(
            "POST",
            f"{API}/wallet/topups",
            TopUpResult,
            body=build(
                TopUpRequest,
                amount_minor=amount_minor,
                currency=currency,
                payment_method_token=payment_method_token,
            ),
            idempotency_key=action_key(idempotency_key),
        )


class GuestApi(Resource):
    """``client.guest``: charging without an account, followed with a secret link token."""

    @endpoint("POST", "/api/v1/guest/charge/start")
    async def start(
        self,
        ocpp_id: str,
        connector_no: int,
        payment_method_token: str,
        *,
        idempotency_key: Action | str | None = None,
    ) -> ChargeStartResponse:
        """Hold the guest's card and start the charger; keep ``receipt_token``."""
        return await self._r.call(
            "POST",
            f"{API}/guest/charge/start",
            ChargeStartResponse,
            body=build(
                GuestStartRequest,
                ocpp_id=ocpp_id,
                connector_no=connector_no,
                payment_method_token=payment_method_token,
            ),
            idempotency_key=action_key(idempotency_key),
            timeout=START_TIMEOUT,
            auth=False,
        )

    @endpoint("GET", "/api/v1/guest/sessions/{token}")
    async def status(self, token: str) -> GuestSessionStatus:
        """Live status of the guest's session and its payment."""
        return await self._r.call(
            "GET", f"{API}/guest/sessions/{token}", GuestSessionStatus, auth=False
        )

    @endpoint("POST", "/api/v1/guest/sessions/{token}/stop")
    async def stop(self, token: str) -> GuestSessionStatus:
        """Ask the charger to stop (billing follows the charger's StopTransaction)."""
        return await self._r.call(
            "POST",
            f"{API}/guest/sessions/{token}/stop",
            GuestSessionStatus,
            auth=False,
            timeout=START_TIMEOUT,
        )

    @endpoint("GET", "/api/v1/guest/receipts/{token}")
    async def receipt(self, token: str) -> Receipt:
        """The itemized receipt (Conflict while the session runs)."""
        return await self._r.call("GET", f"{API}/guest/receipts/{token}", Receipt, auth=False)

    @endpoint("GET", "/api/v1/guest/receipts/{token}.pdf")
    async def receipt_pdf(self, token: str) -> bytes:
        """The receipt as PDF bytes."""
        response = await self._r.send(
            "GET",
            f"{API}/guest/receipts/{token}.pdf",
            auth=False,
            headers={"Accept": "application/pdf"},
        )
        return response.content


class PaymentsApi(Resource):
    """``client.payments``: a session's payment, refunds (admins), and webhook delivery
    (for provider simulators and tests: apps never call it)."""

    @endpoint("GET", "/api/v1/sessions/{session_id}/payment")
    async def for_session(self, session_id: int) -> PaymentPublic:
        """``held`` while charging, ``pending`` while capturing, then ``paid``/``released``.

        Raises:
            NotFound: the session was not paid through the app (RFID).
        """
        return await self._r.call("GET", f"{API}/sessions/{session_id}/payment", PaymentPublic)

    @endpoint("POST", "/api/v1/sessions/{session_id}/receipt/link")
    async def receipt_link(self, session_id: int) -> ReceiptLink:
        """A link that downloads the receipt PDF for a few minutes without the bearer token:
        give ``client.base_url + link.url`` to a browser tab or the phone's PDF viewer.

        Raises:
            NotFound: not the caller's session.  Conflict: still running, or not priced.
        """
        return await self._r.call("POST", f"{API}/sessions/{session_id}/receipt/link", ReceiptLink)

    @endpoint("GET", "/api/v1/sessions/{session_id}/receipt/download")
    async def download_receipt(self, session_id: int, token: str) -> bytes:
        """The PDF behind a receipt link (``token`` is its ``t`` parameter), sent without
        credentials as a browser would.

        Raises:
            NotFound: the link is forged, expired or for another session.
        """
        response = await self._r.send(
            "GET",
            f"{API}/sessions/{session_id}/receipt/download",
            params={"t": token},
            auth=False,
            headers={"Accept": "application/pdf"},
        )
        return response.content

    @endpoint("POST", "/api/v1/payments/{payment_id}/refunds")
    async def refund(
        self,
        payment_id: int,
        amount_minor: int,
        *,
        reason: str = "",
        idempotency_key: Action | str | None = None,
    ) -> PaymentPublic:
        """Give back part or all of a captured session payment (operator admins).

        Raises:
            Conflict: more than was captured and not yet refunded.  Forbidden: not an admin.
        """
        return await self._r.call(
            "POST",
            f"{API}/payments/{payment_id}/refunds",
            PaymentPublic,
            body=build(RefundRequest, amount_minor=amount_minor, reason=reason),
            idempotency_key=action_key(idempotency_key),
        )

    @endpoint("POST", "/api/v1/payments/webhooks/{provider}")
    async def deliver_webhook(
        self, provider: str, payload: bytes, headers: Mapping[str, str]
    ) -> WebhookAck:
        """Deliver a signed provider event exactly as the provider would."""
        return await self._r.call(
            "POST",
            f"{API}/payments/webhooks/{provider}",
            WebhookAck,
            content=payload,
            headers={"Content-Type": "application/json", **headers},
            auth=False,
        )

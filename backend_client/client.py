"""``ChargepileClient``: the one object every app uses to reach the platform.

    async with ChargepileClient("https://api.example.com") as client:
        me = await client.auth.login_staff("admin@demo.chargepile", "…")
        stations = await client.stations.list()
        async for event in client.events.stream(on_state=show_banner):
            ...

Endpoints are grouped by resource and return the wire models of :mod:`backend_client.models`;
every failure is an :class:`~backend_client.errors.ApiError`:

=================  ========================================================================
``auth``           sign in (staff/driver), sign up, restore, refresh, sign out, ``me()``
``stations``       search near a point (public), detail, operator CRUD and retire
``chargers``       operator chargers, connectors, OCPP password reset
``tariffs``        operator tariffs with time-of-use bands
``cards``          operator RFID cards, block/unblock
``staff``          operator staff accounts (admins)
``drivers``        driver account creation
``me``             the signed-in driver's profile and cards
``sessions``       sessions (driver: own; staff: operator's), detail, receipt JSON/PDF
``faults``         operator faults, acknowledge
``reports``        period report JSON, CSV download (bytes), today's dashboard
``remote``         remote start/stop, reset, unlock, availability, trigger, configuration,
                   charging limits (the charger's real answer)
``audit``          the operator's audit log
``charging``       price quote, paid start (wallet or card) for drivers
``wallet``         balance, statement, top-up
``payments``       a session's payment, refunds (admins), provider webhook delivery
``guest``          charging without an account (QR code page), status, stop, receipt
``events``         the live event stream (server-sent events, self-healing)
=================  ========================================================================

Collaborators are injected: the httpx transport (tests pass ``httpx.ASGITransport(app=...)``),
the credential store, the clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType

import httpx

from backend_client.auth import AuthApi
from backend_client.credentials import CredentialStore, MemoryCredentialStore
from backend_client.events import EventsApi
from backend_client.models.system import Health
from backend_client.resources._base import endpoint
from backend_client.resources.accounts import DriversApi, MeApi, StaffApi
from backend_client.resources.activity import AuditApi, FaultsApi, SessionsApi
from backend_client.resources.network import ChargersApi, StationsApi, TariffsApi
from backend_client.resources.operations import CardsApi, ReportsApi
from backend_client.resources.payments import ChargingApi, GuestApi, PaymentsApi, WalletApi
from backend_client.resources.remote import RemoteApi
from backend_client.retry import RetryPolicy
from backend_client.tokens import ExpiredCallback, TokenManager
from backend_client.transport import Requester

__all__ = ["DEFAULT_TIMEOUT", "ChargepileClient"]

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
"""Per call: 10 s overall per phase, 5 s to connect. Remote actions wait longer (the charger
has up to 30 s to answer) and pass their own timeout."""

USER_AGENT = "chargepile-client/0.1"


class ChargepileClient:
    """Async client for the chargepile API.

    Args:
        base_url: the backend's root URL, e.g. ``"http://127.0.0.1:8000"``.
        transport: an ``httpx.AsyncBaseTransport`` to use instead of the network (tests,
            in-process apps).
        credentials: where the refresh token persists (default: in memory only).
        timeout: default timeout of each call, seconds or an ``httpx.Timeout``.
        retry: back-off policy for retryable calls (default 3 attempts).
        on_auth_expired: called once when the session ends and cannot be renewed.
        clock: monotonic seconds, for token expiry (tests jump forward in time).

    The client must be closed (``await client.aclose()`` or ``async with``).
    """

    def __init__(
        self,
        base_url: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        credentials: CredentialStore | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        on_auth_expired: ExpiredCallback | None = None,
        clock: Callable[[], float] = time.monotonic,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            transport=transport,
            timeout=timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})},
            follow_redirects=False,
        )
        self.tokens = TokenManager(
            credentials if credentials is not None else MemoryCredentialStore(),
            clock=clock,
            on_expired=on_auth_expired,
        )
        requester = Requester(self._http, self.tokens, retry or RetryPolicy())
        self._requester = requester
        self.auth = AuthApi(requester)
        self.stations = StationsApi(requester)
        self.chargers = ChargersApi(requester)
        self.tariffs = TariffsApi(requester)
        self.cards = CardsApi(requester)
        self.staff = StaffApi(requester)
        self.drivers = DriversApi(requester)
        self.me = MeApi(requester)
        self.sessions = SessionsApi(requester)
        self.faults = FaultsApi(requester)
        self.reports = ReportsApi(requester)
        self.remote = RemoteApi(requester)
        self.audit = AuditApi(requester)
        self.charging = ChargingApi(requester)
        self.payments = PaymentsApi(requester)
        self.wallet = WalletApi(requester)
        self.guest = GuestApi(requester)
        self.events = EventsApi(requester)

    @endpoint("GET", "/healthz")
    async def health(self) -> Health:
        """``GET /healthz``: whether the backend and its database answer."""
        return await self._requester.call("GET", "/healthz", Health, auth=False)

    @property
    def is_closed(self) -> bool:
        """Whether :meth:`aclose` was called."""
        return self._http.is_closed

    async def aclose(self) -> None:
        """Close the connections. The client cannot be used afterwards."""
        await self._http.aclose()

    async def __aenter__(self) -> ChargepileClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

"""chargepile's API client: the one way every app reaches the platform.

    from backend_client import ChargepileClient, ApiError

    async with ChargepileClient("http://127.0.0.1:8000") as client:
        await client.auth.login_staff("admin@demo.chargepile", "demo-password")
        page = await client.stations.list()

Apps import only the names below (and the wire models from :mod:`backend_client.models`).
The package is light enough for phone builds: httpx and pydantic, no server libraries.
"""

from backend_client.client import DEFAULT_TIMEOUT, ChargepileClient
from backend_client.credentials import (
    CredentialStore,
    KeyringCredentialStore,
    MemoryCredentialStore,
    desktop_credential_store,
)
from backend_client.errors import (
    ApiError,
    AuthExpired,
    ChargerOffline,
    ChargerRejected,
    ChargerTimeout,
    ChargerUnavailable,
    Conflict,
    CredentialStoreError,
    Forbidden,
    InsufficientBalance,
    InvalidCredentials,
    NotFound,
    PaymentDeclined,
    PaymentRequired,
    RateLimited,
    ServerTimeout,
    ServerUnavailable,
    Unauthenticated,
    ValidationFailed,
)
from backend_client.events import RESYNC, EventStream, StreamState
from backend_client.retry import Action, RetryPolicy
from backend_client.tokens import TokenManager

__all__ = [
    "DEFAULT_TIMEOUT",
    "RESYNC",
    "Action",
    "ApiError",
    "AuthExpired",
    "ChargepileClient",
    "ChargerOffline",
    "ChargerRejected",
    "ChargerTimeout",
    "ChargerUnavailable",
    "Conflict",
    "CredentialStore",
    "CredentialStoreError",
    "EventStream",
    "Forbidden",
    "InsufficientBalance",
    "InvalidCredentials",
    "KeyringCredentialStore",
    "MemoryCredentialStore",
    "NotFound",
    "PaymentDeclined",
    "PaymentRequired",
    "RateLimited",
    "RetryPolicy",
    "ServerTimeout",
    "ServerUnavailable",
    "StreamState",
    "TokenManager",
    "Unauthenticated",
    "ValidationFailed",
    "desktop_credential_store",
]

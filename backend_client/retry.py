"""When a failed call may be sent again, how long to wait, and the idempotency keys that make
retrying a POST safe.

Rules (a retry must never duplicate an action):

- GET, HEAD, OPTIONS, PUT and DELETE are idempotent: retried after a lost connection, a timeout,
  HTTP 502/503/504 (except charger answers, which a retry cannot fix) or a short 429.
- A POST is retried only when it carries an ``Idempotency-Key`` (the server answers a repeat
  with the first result), or when the connection failed before the request was sent.
- Delays grow exponentially with random jitter, so a fleet of phones reconnecting after an
  outage does not hammer the server in lock-step.

An :class:`Action` is "one thing the user did" (tapped *Start charging*, *Top up*): it holds
the idempotency key generated once, so every retry of that action — by this client or by the
user tapping again after an error — carries the same key.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field

import httpx

__all__ = ["Action", "RetryPolicy"]

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({502, 503, 504})
# Error codes on 503/504 that describe the charger, not the server: retrying will not help.
NOT_TRANSIENT_CODES = frozenset({"charger_offline", "charger_timeout", "charger_rejected"})


@dataclass(frozen=True)
class RetryPolicy:
    """How many times and how patiently to retry.

    Args:
        attempts: total tries including the first (1 disables retries).
        base_delay: the wait before the first retry, in seconds; doubles each time.
        max_delay: the ceiling for one wait (also the longest ``Retry-After`` honoured).
        jitter: fraction of each delay that is randomised (0 = none, 1 = "full jitter").
    """

    attempts: int = 3
    base_delay: float = 0.25
    max_delay: float = 5.0
    jitter: float = 0.5
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be >= 1")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError("jitter must be within [0, 1]")

    def delay(self, retry_number: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry ``retry_number`` (1-based)."""
        if retry_after is not None:
            return min(retry_after, self.max_delay)
        ceiling: float = min(self.max_delay, self.base_delay * 2.0 ** (retry_number - 1))
        return ceiling * (1.0 - self.jitter * self.rng.random())

    @classmethod
    def none(cls) -> RetryPolicy:
        """Never retry."""
        return cls(attempts=1)


def may_retry(method: str, *, has_idempotency_key: bool) -> bool:
    """Whether a request whose answer was lost may be sent again."""
    return method.upper() in IDEMPOTENT_METHODS or has_idempotency_key


def never_sent(exc: httpx.HTTPError) -> bool:
    """True when the request cannot have reached the server (safe to retry any method)."""
    return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)


def retryable_status(status: int, code: str | None) -> bool:
    """Whether an HTTP answer is a passing server condition a retry may fix."""
    return status in RETRY_STATUSES and code not in NOT_TRANSIENT_CODES


@dataclass(frozen=True)
class Action:
    """One user action whose request must not be carried out twice.

    Create it when the user taps the button and pass it (or its :attr:`key`) to every attempt::

        action = Action()                       # the tap
        try:
            session = await client.sessions.start(..., idempotency_key=action.key)
        except ServerUnavailable:
            ...                                 # "retry" button reuses the same `action`
    """

    key: str = field(default_factory=lambda: str(uuid.uuid4()))

    def __str__(self) -> str:
        return self.key

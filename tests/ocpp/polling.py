"""Waiting for a condition that no event announces (simulator-side counters and the like)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def eventually(predicate: Callable[[], object], timeout: float = 10.0) -> None:
    """Poll ``predicate`` every 20 ms until it is truthy; TimeoutError after ``timeout``."""
    steps = max(int(timeout / 0.02), 1)
    for _ in range(steps):
        if predicate():
            return
        await asyncio.sleep(0.02)
    if not predicate():
        raise TimeoutError(f"condition not met within {timeout}s")

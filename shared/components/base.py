"""Small helpers every component uses: stable ids for tests and callback types.

Why: browser tests select controls through Flutter's semantics DOM
(``[flt-semantics-identifier='...']``) and view tests by ``key``; deriving both from one string
keeps them in step, so a test id never silently drifts from the control it names.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import flet as ft

__all__ = ["Action", "call_action", "slug", "tagged"]

Action = Callable[[], Any] | Callable[[], Awaitable[Any]]
"""A no-argument callback, sync or async (Flet runs async ones on the event loop)."""


def slug(*parts: object) -> str:
    """Join parts into an id safe for keys and DOM attributes: ``slug("charger", "CP 1")`` →
    ``"charger-CP_1"``."""
    out = "-".join(str(p) for p in parts if p not in (None, ""))
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in out)


def tagged(identifier: str, control: ft.Control) -> ft.Semantics:
    """Wrap ``control`` so browser tests find it as ``[flt-semantics-identifier=identifier]``.

    The control keeps (or gets) ``key=identifier`` so view tests find it with ``by_key``.
    """
    if control.key is None:
        control.key = identifier
    return ft.Semantics(identifier=identifier, content=control)


async def call_action(action: Action | None) -> None:
    """Run a callback that may be sync or async."""
    if action is None:
        return
    result = action()
    if inspect.isawaitable(result):
        await result

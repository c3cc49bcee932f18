"""What every state model shares: the session's client, translator and error handling.

Why a context object: each screen model needs the same collaborators (the client and the
translator) and the same reaction to a lost session; passing
one :class:`Ctx` keeps that injection explicit without module globals.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from apps.operator_mobile.state.errors import Translate, describe_error
from backend_client import ApiError, ChargepileClient, Unauthenticated
from shared import Loadable

__all__ = ["Ctx", "Outcome"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of a user action as the view shows it: a sentence, good or bad."""

    ok: bool
    message: str


@dataclass(eq=False)
class Ctx:
    """Collaborators of one operator session.

    Args:
        client: the session's API client (one per browser tab / phone).
        t: translator of the session's language (``UiState.t``).
        on_session_lost: called when the server says the session ended (sign-in again).
    """

    client: ChargepileClient
    t: Translate
    on_session_lost: Callable[[str], Awaitable[None]] | None = None
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run ``coro`` in the background, keeping a reference until it ends."""
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def cancel_all(self) -> None:
        """Cancel and await every background task (sign-out, tab closed)."""
        current = asyncio.current_task()
        tasks = [t for t in self.tasks if t is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def message(self, exc: ApiError) -> str:
        """The user-facing sentence for ``exc``; a lost session also signs out."""
        text = describe_error(exc, self.t)
        if isinstance(exc, Unauthenticated) and self.on_session_lost is not None:
            await self.on_session_lost(text)
        return text

    async def load(self, fetch: Callable[[], Awaitable[T]]) -> Loadable[T]:
        """``Loadable.ready(await fetch())`` or ``Loadable.failed(<precise message>)``."""
        try:
            return Loadable.ready(await fetch())
        except ApiError as exc:
            return Loadable.failed(await self.message(exc))

    async def act(self, run: Callable[[], Awaitable[str]]) -> Outcome:
        """Run a user action; its success sentence or the error's."""
        try:
            return Outcome(True, await run())
        except ApiError as exc:
            return Outcome(False, await self.message(exc))

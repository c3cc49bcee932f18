"""What every home-app model shares: the session's charger link, translator and task set.

Why one context object: each screen model needs the same collaborators and the same way of
turning a refused or timed-out command into a sentence; passing one :class:`Ctx` keeps that
injection explicit, with no module globals.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from apps.home.ble.errors import HomeLinkError
from apps.home.ble.link import HomeChargerLink
from apps.home.errors import HomeAppError
from apps.home.state.errors import Translate, describe_error
from home_protocol.errors import LabelError
from shared import Loadable

__all__ = ["Attempt", "Ctx", "Outcome"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of a user action as the view shows it: a sentence, good or bad."""

    ok: bool
    message: str


@dataclass(frozen=True, slots=True)
class Attempt(Generic[T]):
    """A command's value, or the translated sentence saying why it failed."""

    value: T | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(eq=False)
class Ctx:
    """Collaborators of one home-app session.

    Args:
        link: the session's charger link (BLE over bleak, or a future phone transport).
        t: translator of the session's current language (``UiState.t``).
    """

    link: HomeChargerLink
    t: Translate
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run ``coro`` in the background, keeping a reference until it ends."""
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def cancel_all(self) -> None:
        """Cancel and await every background task (session closed, charger forgotten)."""
        current = asyncio.current_task()
        tasks = [t for t in self.tasks if t is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def attempt(self, command: Callable[[], Awaitable[T]]) -> Attempt[T]:
        """Run ``command``; a link/app error becomes its translated sentence.

        Every link command has its own timeout (``CommandTimeout``), so this never hangs.
        """
        try:
            return Attempt(value=await command())
        except (HomeLinkError, HomeAppError, LabelError) as exc:
            return Attempt(error=describe_error(exc, self.t))

    async def load(self, fetch: Callable[[], Awaitable[T]]) -> Loadable[T]:
        """``Loadable.ready(await fetch())`` or ``Loadable.failed(<sentence>)``."""
        result = await self.attempt(fetch)
        if result.error is not None:
            return Loadable.failed(result.error)
        assert result.value is not None
        return Loadable.ready(result.value)

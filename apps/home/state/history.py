"""The session history screen's model: sessions stored on the charger, newest first, with who
started each (this phone, a named household member, or the schedule)."""

from __future__ import annotations

from dataclasses import dataclass, field

import flet as ft

from apps.home.state.base import Ctx
from home_protocol.commands import MAX_HISTORY, HistoryEntry
from shared import Loadable

__all__ = ["HistoryState"]


@dataclass(eq=False)
class HistoryState(ft.Observable):
    """``entries`` newest first; ``names`` maps key ids to household names when known (the
    owner may list keys; a member sees "you" and "someone else")."""

    entries: Loadable[list[HistoryEntry]] = field(default_factory=Loadable.loading)
    names: dict[bytes, str] = field(default_factory=dict)
    _ctx: Ctx | None = field(default=None, repr=False)
    _own_key: bytes | None = field(default=None, repr=False)
    _is_owner: bool = field(default=False, repr=False)

    @property
    def ctx(self) -> Ctx:
        assert self._ctx is not None, "HistoryState used before HomeState.create bound it"
        return self._ctx

    def bind(self, ctx: Ctx) -> None:
        self._ctx = ctx

    def set_identity(self, own_key: bytes | None, is_owner: bool) -> None:
        self._own_key, self._is_owner = own_key, is_owner

    async def reload(self) -> None:
        self.entries = Loadable.loading()
        loaded = await self.ctx.load(lambda: self.ctx.link.history(MAX_HISTORY))
        if self._is_owner and loaded.value:
            keys = await self.ctx.attempt(self.ctx.link.list_keys)
            if keys.value is not None:
                self.names = {k.key_id: k.name for k in keys.value}
        if loaded.value is not None:
            loaded = Loadable.ready(sorted(loaded.value, key=lambda e: -e.started_at))
        self.entries = loaded

    def who(self, entry: HistoryEntry) -> str:
        """Who started ``entry``, as a sentence fragment in the current language."""
        if entry.key_id is None:
            return self.ctx.t("history.by_schedule")
        if entry.key_id == self._own_key:
            return self.ctx.t("history.by_you")
        name = self.names.get(entry.key_id)
        return name if name else self.ctx.t("history.by_other")

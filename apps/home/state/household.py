"""The household screen's model: phones enrolled with the charger, approving and removing them.

Only the owner may manage keys (the charger enforces it; members get FORBIDDEN_ROLE). A phone
that enrols after the owner waits as "pending" until the owner approves it here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import flet as ft

from apps.home.state.base import Ctx, Outcome
from home_protocol.commands import HouseholdKey
from home_protocol.reasons import KeyState, Role
from shared import Loadable

__all__ = ["HouseholdState"]


@dataclass(eq=False)
class HouseholdState(ft.Observable):
    """Enrolled keys (pending first), the command in flight and the last result."""

    keys: Loadable[list[HouseholdKey]] = field(default_factory=Loadable.loading)
    busy: str | None = None
    message: Outcome | None = None
    _ctx: Ctx | None = field(default=None, repr=False)
    _own_key: bytes | None = field(default=None, repr=False)

    @property
    def ctx(self) -> Ctx:
        assert self._ctx is not None, "HouseholdState used before HomeState.create bound it"
        return self._ctx

    def bind(self, ctx: Ctx) -> None:
        self._ctx = ctx

    def set_identity(self, own_key: bytes | None) -> None:
        self._own_key = own_key

    def is_me(self, key: HouseholdKey) -> bool:
        return key.key_id == self._own_key

    @staticmethod
    def _ordered(keys: list[HouseholdKey]) -> list[HouseholdKey]:
        return sorted(keys, key=lambda k: (k.state is not KeyState.PENDING, k.added_at))

    async def reload(self) -> None:
        loaded = await self.ctx.load(self.ctx.link.list_keys)
        self.keys = Loadable.ready(self._ordered(loaded.value)) if loaded.value else loaded

    async def _change(
        self, name: str, command: Callable[[], Awaitable[list[HouseholdKey]]], done: str
    ) -> bool:
        if self.busy is not None:
            return False
        self.busy, self.message = name, None
        try:
            result = await self.ctx.attempt(command)
        finally:
            self.busy = None
        if result.value is None:
            self.message = Outcome(False, result.error or "")
            return False
        self.keys = Loadable.ready(self._ordered(result.value))
        self.message = Outcome(True, done)
        return True

    async def approve(self, key: HouseholdKey, role: Role = Role.MEMBER) -> bool:
        """Let a pending phone use the charger with ``role``."""
        return await self._change(
            f"approve-{key.key_id.hex()}",
            lambda: self.ctx.link.approve_key(key.key_id, role),
            self.ctx.t("household.approved", name=key.name),
        )

    async def remove(self, key: HouseholdKey) -> bool:
        """Revoke a phone: the charger refuses it from its next command on."""
        return await self._change(
            f"remove-{key.key_id.hex()}",
            lambda: self.ctx.link.remove_key(key.key_id),
            self.ctx.t("household.removed", name=key.name),
        )

"""People: the operator's staff accounts, and the signed-in driver's own profile."""

from __future__ import annotations

from backend_client.models.accounts import (
    DriverProfile,
    DriverProfileUpdate,
    DriverSignUp,
    StaffCreate,
    StaffPublic,
    StaffUpdate,
)
from backend_client.models.cards import DriverCard, DriverCardBind
from backend_client.models.common import Page
from backend_client.resources._base import API, Resource, endpoint

__all__ = ["DriversApi", "MeApi", "StaffApi"]


class StaffApi(Resource):
    """``client.staff``: staff accounts of the signed-in admin's operator."""

    @endpoint("GET", "/api/v1/staff")
    async def list(self, *, limit: int = 50, offset: int = 0) -> Page[StaffPublic]:
        """The operator's staff accounts (admins)."""
        return await self._r.call(
            "GET", f"{API}/staff", Page[StaffPublic], params={"limit": limit, "offset": offset}
        )

    @endpoint("GET", "/api/v1/staff/{staff_id}")
    async def get(self, staff_id: int) -> StaffPublic:
        """One staff account.

        Raises:
            NotFound: no such account in this operator.
        """
        return await self._r.call("GET", f"{API}/staff/{staff_id}", StaffPublic)

    @endpoint("POST", "/api/v1/staff")
    async def create(self, staff: StaffCreate) -> StaffPublic:
        """Add a staff account (admins).

        Raises:
            Conflict: the e-mail is taken.  Forbidden: not an admin.
        """
        return await self._r.call("POST", f"{API}/staff", StaffPublic, body=staff)

    @endpoint("PATCH", "/api/v1/staff/{staff_id}")
    async def update(self, staff_id: int, changes: StaffUpdate) -> StaffPublic:
        """Change role, name, password or deactivate (admins); only set fields change."""
        return await self._r.call("PATCH", f"{API}/staff/{staff_id}", StaffPublic, body=changes)


class DriversApi(Resource):
    """``client.drivers``: creating a driver account (no sign-in needed)."""

    @endpoint("POST", "/api/v1/drivers")
    async def sign_up(self, account: DriverSignUp) -> DriverProfile:
        """Create the account (use ``client.auth.sign_up`` to also sign in).

        Raises:
            Conflict: the e-mail is taken.  ValidationFailed: a field is wrong.
        """
        return await self._r.call("POST", f"{API}/drivers", DriverProfile, body=account, auth=False)


class MeApi(Resource):
    """``client.me``: the signed-in driver's profile and cards."""

    @endpoint("GET", "/api/v1/drivers/me")
    async def profile(self) -> DriverProfile:
        """The driver's own profile."""
        return await self._r.call("GET", f"{API}/drivers/me", DriverProfile)

    @endpoint("PATCH", "/api/v1/drivers/me")
    async def update_profile(self, changes: DriverProfileUpdate) -> DriverProfile:
        """Change name, phone, locale or password (a new password needs ``current_password``)."""
        return await self._r.call("PATCH", f"{API}/drivers/me", DriverProfile, body=changes)

    @endpoint("GET", "/api/v1/drivers/me/cards")
    async def cards(self) -> list[DriverCard]:
        """The RFID cards bound to this driver, on every network."""
        return await self._r.call_list("GET", f"{API}/drivers/me/cards", DriverCard)

    @endpoint("POST", "/api/v1/drivers/me/cards")
    async def link_card(self, card: DriverCardBind) -> list[DriverCard]:
        """Link a card an operator issued, by the number printed on it (one entry per
        operator that issued this number).

        Raises:
            NotFound: no operator issued this number.  Conflict (``card_taken``): it is linked
            to another account.  ValidationFailed: not a card number.
        """
        return await self._r.call_list(
            "POST",
            f"{API}/drivers/me/cards",
            DriverCard,
            body=card,
        )

    @endpoint("POST", "/api/v1/drivers/me/cards/{card_id}/block")
    async def block_card(self, card_id: int) -> DriverCard:
        """Block a lost card: chargers refuse it from their next Authorize."""
        return await self._r.call("POST", f"{API}/drivers/me/cards/{card_id}/block", DriverCard)

    @endpoint("POST", "/api/v1/drivers/me/cards/{card_id}/unblock")
    async def unblock_card(self, card_id: int) -> DriverCard:
        """Unblock a card this driver blocked.

        Raises:
            Conflict (``card_blocked_by_operator``): the operator blocked it.
        """
        return await self._r.call("POST", f"{API}/drivers/me/cards/{card_id}/unblock", DriverCard)

    @endpoint("DELETE", "/api/v1/drivers/me/cards/{card_id}")
    async def remove_card(self, card_id: int) -> None:
        """Remove the card from this account (a blocked card stays blocked)."""
        await self._r.call_none("DELETE", f"{API}/drivers/me/cards/{card_id}")

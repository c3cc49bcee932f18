"""People's accounts: operator staff (managed by the operator's admins) and drivers (who sign
themselves up and keep their own profile)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Driver, StaffRole, StaffUser
from backend.errors import Conflict, Forbidden, Invalid, NotFound
from backend.security import PasswordHashing, Principal, hash_password, verify_password
from backend.services import audit
from backend.services.scope import flush_unique, owned, require_admin, taken
from backend_client.models import (
    DriverProfile,
    DriverProfileUpdate,
    DriverSignUp,
    Page,
    StaffCreate,
    StaffPublic,
    StaffUpdate,
)
from backend_client.models.auth import StaffRole as WireStaffRole


def staff_public(staff: StaffUser) -> StaffPublic:
    return StaffPublic(
        id=staff.id,
        operator_id=staff.operator_id,
        email=staff.email,
        full_name=staff.full_name,
        role=WireStaffRole(staff.role),
        is_active=staff.is_active,
        created_at=staff.created_at,
    )


def driver_profile(driver: Driver) -> DriverProfile:
    return DriverProfile(
        id=driver.id,
        email=driver.email,
        full_name=driver.full_name,
        phone=driver.phone,
        locale=driver.locale,
        created_at=driver.created_at,
    )


# --- staff -------------------------------------------------------------------------------


async def list_staff(
    session: AsyncSession, *, principal: Principal, limit: int = 50, offset: int = 0
) -> Page[StaffPublic]:
    operator_id = require_admin(principal)
    where = StaffUser.operator_id == operator_id
    total = await session.scalar(select(func.count()).select_from(StaffUser).where(where))
    rows = await session.scalars(
        select(StaffUser).where(where).order_by(StaffUser.id).limit(limit).offset(offset)
    )
    return Page[StaffPublic](
        items=[staff_public(s) for s in rows], total=total or 0, limit=limit, offset=offset
    )


async def get_staff(session: AsyncSession, *, principal: Principal, staff_id: int) -> StaffPublic:
    require_admin(principal)
    staff = await owned(session, StaffUser, staff_id, principal=principal, what="staff member")
    return staff_public(staff)


async def create_staff(
    session: AsyncSession,
    *,
    principal: Principal,
    data: StaffCreate,
    hashing: PasswordHashing | None = None,
) -> StaffPublic:
    """Add a staff member to the admin's operator. E-mails are unique across all operators."""
    operator_id = require_admin(principal)
    if await session.scalar(select(StaffUser.id).where(StaffUser.email == data.email)):
        raise Conflict("A staff account with this e-mail already exists.", fields=taken("email"))
    staff = StaffUser(
        operator_id=operator_id,
        email=data.email,
        full_name=data.full_name,
        password_hash=await hash_password(data.password, hashing),
        role=StaffRole(data.role.value),
    )
    session.add(staff)
    await flush_unique(session, "email", "A staff account with this e-mail already exists.")
    audit.record(
        session,
        principal=principal,
        action="staff.created",
        target_type="staff",
        target_id=staff.id,
        detail={"email": staff.email, "role": staff.role},
    )
    await session.commit()
    return staff_public(staff)


async def update_staff(
    session: AsyncSession,
    *,
    principal: Principal,
    staff_id: int,
    data: StaffUpdate,
    hashing: PasswordHashing | None = None,
) -> StaffPublic:
    """Change a staff member. An admin cannot demote or deactivate themselves (so an operator
    always keeps at least the admin doing the change)."""
    require_admin(principal)
    staff = await owned(session, StaffUser, staff_id, principal=principal, what="staff member")
    changes = data.model_dump(exclude_unset=True, exclude={"password"})
    if staff.id == principal.id and (
        changes.get("role") == WireStaffRole.STAFF or changes.get("is_active") is False
    ):
        raise Conflict("You cannot demote or deactivate your own account.")
    for name, value in changes.items():
        if value is None:
            raise Invalid(f"{name} may not be null.", field_name=f"body.{name}")
        setattr(staff, name, StaffRole(value.value) if name == "role" else value)
    if data.password is not None:
        staff.password_hash = await hash_password(data.password, hashing)
    audit.record(
        session,
        principal=principal,
        action="staff.updated",
        target_type="staff",
        target_id=staff.id,
        detail={**{k: str(v) for k, v in changes.items()}, "password_changed": bool(data.password)},
    )
    await session.commit()
    return staff_public(staff)


# --- drivers -----------------------------------------------------------------------------


async def sign_up_driver(
    session: AsyncSession, *, data: DriverSignUp, hashing: PasswordHashing | None = None
) -> DriverProfile:
    """Create a driver account."""
    if await session.scalar(select(Driver.id).where(Driver.email == data.email)):
        raise Conflict("An account with this e-mail already exists.", fields=taken("email"))
    driver = Driver(
        email=data.email,
        full_name=data.full_name,
        phone=data.phone,
        locale=data.locale,
        password_hash=await hash_password(data.password, hashing),
    )
    session.add(driver)
    await flush_unique(session, "email", "An account with this e-mail already exists.")
    await session.commit()
    return driver_profile(driver)


async def get_driver_profile(session: AsyncSession, *, principal: Principal) -> DriverProfile:
    return driver_profile(await _own_driver(session, principal))


async def update_driver_profile(
    session: AsyncSession,
    *,
    principal: Principal,
    data: DriverProfileUpdate,
    hashing: PasswordHashing | None = None,
) -> DriverProfile:
    """Change the driver's own profile; a password change needs the current password."""
    driver = await _own_driver(session, principal)
    changes = data.model_dump(exclude_unset=True, exclude={"password", "current_password"})
    for name in ("full_name", "locale"):
        if name in changes and changes[name] is None:
            raise Invalid(f"{name} may not be null.", field_name=f"body.{name}")
    if data.password is not None:
        if not data.current_password or not await verify_password(
            data.current_password, driver.password_hash, hashing
        ):
            raise Invalid("The current password is wrong.", field_name="body.current_password")
        driver.password_hash = await hash_password(data.password, hashing)
    for name, value in changes.items():
        setattr(driver, name, value)
    await session.commit()
    return driver_profile(driver)


async def _own_driver(session: AsyncSession, principal: Principal) -> Driver:
    if principal.kind != "driver":
        raise Forbidden("Only drivers have a driver profile.")
    driver = await session.get(Driver, principal.id)
    if driver is None:
        raise NotFound("No such driver.")
    return driver

"""Signing in: wrong password, success, remembered session, sign-out."""

from __future__ import annotations

from fastapi import FastAPI

from tests.operator_app.support import (
    Storage,
    operator_app,
    seed_network,
    sign_in,
)


async def test_wrong_password_says_so_and_stays_on_the_form(app: FastAPI) -> None:
    await seed_network(app)
    async with operator_app(app) as (fake, _):
        await sign_in(fake, password="not-the-password")
        assert fake.has_key("signin-submit")
        assert fake.has_text("Wrong e-mail or password")


async def test_empty_form_asks_for_both_fields(app: FastAPI) -> None:
    async with operator_app(app) as (fake, _):
        await fake.click("signin-submit")
        assert fake.has_text("Enter your e-mail and password.")


async def test_sign_in_shows_dashboard_and_remembers_the_session(app: FastAPI) -> None:
    await seed_network(app)
    storage = Storage()
    async with operator_app(app, storage=storage) as (fake, _):
        await sign_in(fake)
        await fake.wait_for_text("Chargers right now")
        assert fake.by_key("kpi-sessions-value").value == "1"
        assert storage.refresh_token  # remembered on the device
    # A new session on the same device signs straight back in.
    async with operator_app(app, storage=storage) as (fake, state):
        await fake.wait_for_text("Chargers right now")
        assert state.auth.principal is not None
        assert state.auth.principal.full_name == "Ada Admin"
        await fake.click("sign-out")
        await fake.wait_for(lambda: fake.has_key("signin-submit"))
        assert storage.refresh_token is None


async def test_language_switch_to_chinese(app: FastAPI) -> None:
    async with operator_app(app) as (fake, _):
        await fake.click("lang-switch")
        assert fake.has_text("使用员工账号登录")
        await fake.click("signin-submit")
        assert fake.has_text("请输入邮箱和密码。")

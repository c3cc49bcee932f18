"""Money-moving calls: the idempotency key makes a retried top-up count once, a declined card
and an offline charger end in their own exceptions, guests follow their session by token."""

from __future__ import annotations

import pytest

from backend_client import (
    Action,
    ChargepileClient,
    ChargerOffline,
    NotFound,
    PaymentDeclined,
    ValidationFailed,
)
from backend_client.models import PayWith
from tests.client.support import RecordingTransport
from tests.support.builders import World

TOPUPS = "/api/v1/wallet/topups"


async def test_a_top_up_whose_answer_was_lost_is_credited_once(
    driver: ChargepileClient, recorder: RecordingTransport
) -> None:
    recorder.lose_answer = lambda r: r.url.path == TOPUPS
    result = await driver.wallet.top_up(10_000, "CNY", "pm_card_ok")
    sent = recorder.matching("POST", TOPUPS)
    assert len(sent) == 2  # the first answer was lost on the way back; retried
    assert sent[0].headers["Idempotency-Key"] == sent[1].headers["Idempotency-Key"]
    assert result.wallet.balance_minor == 10_000
    assert (await driver.wallet.get("CNY")).balance_minor == 10_000
    entries = await driver.wallet.entries("CNY")
    assert [e.kind for e in entries.items] == ["topup"]


async def test_the_user_retrying_one_action_is_charged_once(driver: ChargepileClient) -> None:
    action = Action()  # one tap on "Top up"; the user taps "retry" after an error
    await driver.wallet.top_up(5_000, "CNY", "pm_card_ok", idempotency_key=action)
    await driver.wallet.top_up(5_000, "CNY", "pm_card_ok", idempotency_key=action)
    assert (await driver.wallet.get("CNY")).balance_minor == 5_000
    await driver.wallet.top_up(5_000, "CNY", "pm_card_ok")  # a new action
    assert (await driver.wallet.get("CNY")).balance_minor == 10_000


async def test_invalid_arguments_are_refused_before_sending(
    driver: ChargepileClient, recorder: RecordingTransport
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        await driver.wallet.top_up(0, "CNY", "pm_card_ok")
    assert caught.value.problems() == {"amount_minor": "Input should be greater than 0"}
    assert recorder.count("POST", TOPUPS) == 0


async def test_a_declined_card_is_payment_declined(driver: ChargepileClient) -> None:
    with pytest.raises(PaymentDeclined) as caught:
        await driver.wallet.top_up(5_000, "CNY", "pm_card_declined")
    assert caught.value.status_code == 402
    assert (await driver.wallet.get("CNY")).balance_minor == 0


async def test_the_price_is_quoted_before_start(cp: ChargepileClient, world: World) -> None:
    quote = await cp.charging.quote(world.charger.ocpp_id, 1)
    assert quote.station_id == world.station.id
    assert quote.startable is False  # the charger has never connected


async def test_starting_on_an_offline_charger_is_charger_offline(
    driver: ChargepileClient, world: World
) -> None:
    await driver.wallet.top_up(20_000, "CNY", "pm_card_ok")
    with pytest.raises(ChargerOffline):
        await driver.charging.start(world.charger.ocpp_id, 1, pay_with=PayWith.WALLET)
    wallet = await driver.wallet.get("CNY")
    assert (wallet.balance_minor, wallet.held_minor) == (20_000, 0)  # the hold was given back


async def test_unknown_guest_tokens_are_not_found(cp: ChargepileClient) -> None:
    token = "x" * 24
    with pytest.raises(NotFound):
        await cp.guest.status(token)
    with pytest.raises(NotFound):
        await cp.guest.receipt(token)


async def test_a_session_without_an_app_payment_has_none(
    admin: ChargepileClient,
) -> None:
    with pytest.raises(NotFound):
        await admin.payments.for_session(424242)

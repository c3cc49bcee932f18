"""The sandbox provider behaves like a real card processor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend.payments.errors import ProviderDeclined, ProviderRequestError, ProviderUnavailable
from backend.payments.provider import SIGNATURE_HEADER
from backend.payments.sandbox import SandboxProvider

SECRET = "whsec-unit"


def sandbox(**kwargs: object) -> SandboxProvider:
    return SandboxProvider(webhook_secret=SECRET, clock=lambda: 1_800_000_000.0, **kwargs)  # type: ignore[arg-type]


async def test_same_key_same_answer_different_params_refused() -> None:
    provider = sandbox()
    first = await provider.authorize(
        idempotency_key="k1", amount_minor=5_000, currency="CNY", payment_method="pm_card_ok"
    )
    again = await provider.authorize(
        idempotency_key="k1", amount_minor=5_000, currency="CNY", payment_method="pm_card_ok"
    )
    assert again == first and len(provider.payments) == 1
    with pytest.raises(ProviderRequestError, match="different parameters"):
        await provider.authorize(
            idempotency_key="k1", amount_minor=5_001, currency="CNY", payment_method="pm_card_ok"
        )


async def test_declines_are_remembered_under_their_key() -> None:
    provider = sandbox(card_limit_minor=10_000)
    for _ in range(2):
        with pytest.raises(ProviderDeclined) as caught:
            await provider.authorize(
                idempotency_key="d1",
                amount_minor=100,
                currency="CNY",
                payment_method="pm_card_insufficient_funds",
            )
        assert caught.value.decline_code == "insufficient_funds"
    with pytest.raises(ProviderDeclined):
        await provider.authorize(
            idempotency_key="d2", amount_minor=10_001, currency="CNY", payment_method="pm_card_ok"
        )
    assert provider.payments == {}


async def test_capture_release_refund_rules() -> None:
    provider = sandbox()
    hold = await provider.authorize(
        idempotency_key="a", amount_minor=2_000, currency="CNY", payment_method="pm_card_ok"
    )
    with pytest.raises(ProviderRequestError):
        await provider.capture(idempotency_key="c0", ref=hold.ref, amount_minor=2_001)
    captured = await provider.capture(idempotency_key="c1", ref=hold.ref, amount_minor=1_500)
    assert (captured.status, captured.amount_captured) == ("captured", 1_500)
    with pytest.raises(ProviderRequestError):
        await provider.release(idempotency_key="r1", ref=hold.ref)
    with pytest.raises(ProviderRequestError):
        await provider.capture(idempotency_key="c2", ref=hold.ref, amount_minor=100)
    refunded = await provider.refund(idempotency_key="f1", ref=hold.ref, amount_minor=1_000)
    assert refunded.amount_refunded == 1_000
    with pytest.raises(ProviderRequestError):
        await provider.refund(idempotency_key="f2", ref=hold.ref, amount_minor=501)


async def test_failures_on_demand() -> None:
    provider = sandbox()
    provider.fail_next("authorize", "error")
    with pytest.raises(ProviderUnavailable):
        await provider.authorize(
            idempotency_key="e", amount_minor=100, currency="CNY", payment_method="pm_card_ok"
        )
    assert provider.payments == {}  # a 500 did nothing
    provider.fail_next("authorize", "timeout")
    with pytest.raises(ProviderUnavailable):
        await provider.authorize(
            idempotency_key="t", amount_minor=100, currency="CNY", payment_method="pm_card_ok"
        )
    assert len(provider.payments) == 1  # a timeout did the work and lost the answer
    retried = await provider.authorize(
        idempotency_key="t", amount_minor=100, currency="CNY", payment_method="pm_card_ok"
    )
    assert retried.ref in provider.payments and len(provider.payments) == 1


async def test_webhooks_are_signed_and_delivered_asynchronously() -> None:
    received: list[tuple[bytes, dict[str, str]]] = []

    async def deliver(body: bytes, headers: dict[str, str]) -> None:
        received.append((body, headers))

    provider = sandbox(delivery=deliver)
    hold = await provider.authorize(
        idempotency_key="w", amount_minor=100, currency="CNY", payment_method="pm_card_ok"
    )
    await provider.flush()
    body, headers = received[0]
    event = provider.parse_webhook(body, headers, 1_800_000_000)
    assert (event.type, event.payment.ref) == ("payment.authorized", hold.ref)
    assert headers[SIGNATURE_HEADER].startswith("t=1800000000,v1=")
    await provider.aclose()


async def test_state_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "sandbox.json"
    first = sandbox(state_file=state)
    hold = await first.authorize(
        idempotency_key="s", amount_minor=900, currency="CNY", payment_method="pm_card_ok"
    )
    assert sandbox(state_file=state).payments[hold.ref].status == "authorized"
    second = sandbox(state_file=state)
    assert (
        await second.authorize(
            idempotency_key="s", amount_minor=900, currency="CNY", payment_method="pm_card_ok"
        )
        == hold
    )
    captured = await second.capture(idempotency_key="sc", ref=hold.ref, amount_minor=400)
    assert captured.amount_captured == 400
    third = sandbox(state_file=state)
    assert third.payments[hold.ref].status == "captured"


async def test_state_in_the_older_one_object_file_is_still_read(tmp_path: Path) -> None:
    first = sandbox()
    hold = await first.authorize(
        idempotency_key="o", amount_minor=700, currency="CNY", payment_method="pm_card_ok"
    )
    state = tmp_path / "sandbox.json"
    state.write_text(json.dumps(first._dump()))
    restarted = sandbox(state_file=state)
    assert restarted.payments[hold.ref].status == "authorized"
    # The retry of the same call is answered from the restored key, not done twice.
    again = await restarted.authorize(
        idempotency_key="o", amount_minor=700, currency="CNY", payment_method="pm_card_ok"
    )
    assert again == hold
    assert len(restarted.payments) == 1

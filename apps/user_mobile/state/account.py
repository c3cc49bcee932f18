"""The driver's account: sign up / sign in (remembered on the device), wallet and top-up,
RFID cards (link by the printed number, block when lost, unblock, remove), past sessions with
their receipts (and the receipt PDF), and reporting a problem with a charger.

Signing in is optional: a guest can charge from the QR page with a card hold. The refresh
token lives in the device's secure storage (see :mod:`apps.user_mobile.state.credentials`), so
the next launch restores the account without asking again.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import flet as ft

from apps.user_mobile.state.cards import CardForm
from apps.user_mobile.state.errors import DriverAppError, Translate, describe_error
from apps.user_mobile.state.problem import ProblemReportModel
from backend_client import Action, ApiError, ChargepileClient, Conflict, NotFound, ValidationFailed
from backend_client.models import (
    DriverCard,
    DriverCardBind,
    DriverSignUp,
    PrincipalPublic,
    Receipt,
    SessionPublic,
    WalletPublic,
)
from shared import Loadable

__all__ = ["AccountModel", "LaunchUrl", "normalize_card_number"]

LaunchUrl = Callable[[str], Awaitable[None]]
"""Opens a URL in the browser / the phone's viewer (``ft.UrlLauncher().launch_url``)."""

_CARD_NUMBER = re.compile(r"^[0-9A-Z]{4,20}$")
_CARD_SEPARATORS = re.compile(r"[\s:\-.]")


def normalize_card_number(text: str) -> str | None:
    """The card number as the API takes it ("04 a1:b2-c3" → "04A1B2C3"), or ``None`` when it
    cannot be one (the operators' rule: 4–20 letters or digits)."""
    number = _CARD_SEPARATORS.sub("", text).upper()
    return number if _CARD_NUMBER.match(number) else None


@dataclass(eq=False)
class AccountModel(ft.Observable):
    """Who is signed in and what their account holds."""

    principal: PrincipalPublic | None = None
    restoring: bool = True
    error: str | None = None
    message: str | None = None
    busy: bool = False
    wallet: Loadable[WalletPublic] = field(default_factory=Loadable.loading)
    cards: Loadable[list[DriverCard]] = field(default_factory=Loadable.loading)
    history: Loadable[list[SessionPublic]] = field(default_factory=Loadable.loading)
    receipt: Loadable[Receipt] | None = None
    problem: ProblemReportModel = field(default_factory=ProblemReportModel)
    _client: ChargepileClient | None = None
    _t: Translate | None = None
    _card_form: CardForm | None = None
    card_error: str | None = None
    card_message: str | None = None
    card_busy: bool = False
    pdf_error: str | None = None
    _topup_action: Action | None = None
    _launch: LaunchUrl | None = None

    def bind(
        self,
        client: ChargepileClient,
        t: Translate,
        card_form: CardForm,
        launch: LaunchUrl | None = None,
    ) -> None:
        self._client, self._t, self._card_form = client, t, card_form
        self._launch = launch
        self.problem.bind(client, t)

    @property
    def client(self) -> ChargepileClient:
        assert self._client is not None, "AccountModel.bind() first"
        return self._client

    def _say(self, exc: ApiError | DriverAppError) -> str:
        assert self._t is not None
        return describe_error(exc, self._t)

    @property
    def signed_in(self) -> bool:
        """A driver account is signed in on this device."""
        return self.principal is not None and str(self.principal.kind) == "driver"

    async def restore(self) -> None:
        """Resume the remembered sign-in (a lost or expired one just shows the sign-in form)."""
        try:
            self.principal = await self.client.auth.restore()
        except ApiError:
            self.principal = None
        finally:
            self.restoring = False

    async def sign_in(self, email: str, password: str) -> bool:
        assert self._t is not None
        if not email.strip() or not password:
            self.error = self._t("account.need_both")
            return False
        self.busy, self.error = True, None
        try:
            self.principal = await self.client.auth.login_driver(email.strip(), password)
        except ApiError as exc:
            self.error = self._say(exc)
            return False
        finally:
            self.busy = False
        await self.load()
        return True

    async def sign_up(self, email: str, name: str, password: str, locale: str) -> bool:
        assert self._t is not None
        if not email.strip() or not name.strip() or len(password) < 8:
            self.error = self._t("account.signup_rules")
            return False
        self.busy, self.error = True, None
        try:
            account = DriverSignUp.model_validate(
                {"email": email.strip(), "full_name": name.strip(), "password": password,
                 "locale": locale}
            )  # fmt: skip
        except ValueError:
            self.error, self.busy = self._t("account.signup_rules"), False
            return False
        try:
            self.principal = await self.client.auth.sign_up(account)
        except ApiError as exc:
            self.error = self._say(exc)
            return False
        finally:
            self.busy = False
        await self.load()
        return True

    async def sign_out(self) -> None:
        await self.client.auth.logout()
        self.principal = None
        self.wallet, self.cards, self.history = (
            Loadable.loading(),
            Loadable.loading(),
            Loadable.loading(),
        )

    async def tokenize_card(self, number: str) -> str:
        """The payment provider's token for a typed card (see :mod:`.cards`).

        Raises:
            CardRejected: not a card number.
        """
        assert self._card_form is not None
        return await self._card_form.tokenize(number)

    # --- account data ---------------------------------------------------------------------
    async def load(self) -> None:
        """Wallet, cards and history (each fails on its own)."""
        if not self.signed_in:
            return
        try:
            self.wallet = Loadable.ready(await self.client.wallet.get())
        except ApiError as exc:
            self.wallet = Loadable.failed(self._say(exc))
        try:
            self.cards = Loadable.ready(await self.client.me.cards())
        except ApiError as exc:
            self.cards = Loadable.failed(self._say(exc))
        try:
            page = await self.client.sessions.list(limit=20)
            self.history = Loadable.ready(list(page.items))
        except ApiError as exc:
            self.history = Loadable.failed(self._say(exc))

    async def top_up(self, amount_text: str, card_number: str) -> bool:
        """Charge the card and credit the wallet; the same tap retried is charged once."""
        assert self._t is not None and self._card_form is not None
        self.message, self.error = None, None
        try:
            amount = round(float(amount_text.replace(",", ".")) * 100)
        except ValueError:
            amount = 0
        if amount <= 0 or amount > 1_000_000:
            self.error = self._t("wallet.amount_invalid")
            return False
        try:
            token = await self._card_form.tokenize(card_number)
        except DriverAppError as exc:
            self.error = self._say(exc)
            return False
        currency = self.wallet.value.currency if self.wallet.value is not None else "CNY"
        self._topup_action = self._topup_action or Action()
        self.busy = True
        try:
            result = await self.client.wallet.top_up(
                amount, currency, token, idempotency_key=self._topup_action
            )
        except ApiError as exc:
            self.error = self._say(exc)
            return False
        finally:
            self.busy = False
        self._topup_action = None
        self.wallet = Loadable.ready(result.wallet)
        self.message = self._t("wallet.topped_up")
        return True

    # --- RFID cards -------------------------------------------------------------------------
    def _card_failure(self, exc: ApiError) -> str:
        assert self._t is not None
        if isinstance(exc, Conflict) and exc.code == "card_taken":
            return self._t("cards.taken")
        if isinstance(exc, Conflict) and exc.code == "card_blocked_by_operator":
            return self._t("cards.operator_blocked")
        if isinstance(exc, NotFound):
            return self._t("cards.unknown")
        if isinstance(exc, ValidationFailed):
            return self._t("cards.bad_number")
        return self._say(exc)

    async def _reload_cards(self) -> None:
        try:
            self.cards = Loadable.ready(await self.client.me.cards())
        except ApiError as exc:
            self.cards = Loadable.failed(self._say(exc))

    async def link_card(self, number: str, label: str) -> bool:
        """Link the card whose printed number is ``number`` to this account."""
        assert self._t is not None
        self.card_error, self.card_message = None, None
        uid = normalize_card_number(number)
        if uid is None:
            self.card_error = self._t("cards.bad_number")
            return False
        try:
            card = DriverCardBind(uid=uid, label=label.strip())
        except ValueError:
            self.card_error = self._t("cards.label_too_long")
            return False
        self.card_busy = True
        try:
            await self.client.me.link_card(card)
        except ApiError as exc:
            self.card_error = self._card_failure(exc)
            return False
        finally:
            self.card_busy = False
        self.card_message = self._t("cards.linked", uid=uid)
        await self._reload_cards()
        return True

    async def set_card_blocked(self, card: DriverCard, blocked: bool) -> None:
        """Block a lost card (chargers refuse it from now on) or unblock it."""
        assert self._t is not None
        self.card_error, self.card_message = None, None
        self.card_busy = True
        try:
            if blocked:
                await self.client.me.block_card(card.id)
            else:
                await self.client.me.unblock_card(card.id)
        except ApiError as exc:
            self.card_error = self._card_failure(exc)
        else:
            key = "cards.blocked_done" if blocked else "cards.unblocked_done"
            self.card_message = self._t(key, uid=card.uid)
        finally:
            self.card_busy = False
        await self._reload_cards()

    async def remove_card(self, card: DriverCard) -> None:
        """Take the card off this account."""
        assert self._t is not None
        self.card_error, self.card_message = None, None
        self.card_busy = True
        try:
            await self.client.me.remove_card(card.id)
        except ApiError as exc:
            self.card_error = self._card_failure(exc)
        else:
            self.card_message = self._t("cards.removed", uid=card.uid)
        finally:
            self.card_busy = False
        await self._reload_cards()

    # --- receipts ---------------------------------------------------------------------------
    async def download_receipt(self, session_id: int) -> None:
        """Open the receipt PDF through a short-lived signed link (a browser tab or the phone's
        PDF viewer cannot send the app's sign-in, and the sign-in must not go into a URL)."""
        self.pdf_error = None
        try:
            link = await self.client.payments.receipt_link(session_id)
        except ApiError as exc:
            self.pdf_error = self._say(exc)
            return
        if self._launch is not None:
            await self._launch(f"{self.client.base_url}{link.url}")

    async def open_receipt(self, session_id: int) -> None:
        self.pdf_error = None
        self.receipt = Loadable.loading()
        try:
            self.receipt = Loadable.ready(await self.client.sessions.receipt(session_id))
        except ApiError as exc:
            self.receipt = Loadable.failed(self._say(exc))

    def close_receipt(self) -> None:
        self.receipt = None

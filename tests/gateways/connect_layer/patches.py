"""localstripe's PaymentIntent, Charge and Refund taught destination charges.

Wrapped in the localstripe process (the route closures look these methods up per request):

- PaymentIntent: `transfer_data[destination]`, `transfer_data[amount]`,
  `application_fee_amount`, `on_behalf_of`, `transfer_group` on create (and, as Stripe
  allows, the fee, the transfer amount and a first transfer group on update), checked as
  Stripe checks them; the destination is checked again at confirm. Every intent and
  charge exports these fields (null when unset).
- Capture (automatic at confirm, or `/capture`, partial too): the transfer and the fee,
  once (money.settle). `/capture` also takes `application_fee_amount` and
  `transfer_data[amount]` (routes serves it: localstripe's own route refuses them).
- Charge: `amount_captured`, and the Connect fields Stripe's Charge has.
- Refund: `reverse_transfer` and `refund_application_fee` (money.take_back), and the
  refund's `transfer_reversal`.

Nothing changes for an intent or refund without these parameters.
"""

from __future__ import annotations

from typing import Any

from localstripe.errors import UserError
from localstripe.resources import Charge, PaymentIntent, Refund, store, try_convert_to_int

from tests.gateways.connect_layer import money
from tests.gateways.connect_layer.accounts import can_receive_transfers
from tests.gateways.connect_layer.common import (
    as_amount,
    as_bool,
    as_hash,
    as_text,
    fail,
    missing,
    only,
    unknown,
)

FEE_NEEDS_DESTINATION = (
    "Can only apply an application_fee_amount when the PaymentIntent is attempting a direct "
    "payment (using an OAuth key or Stripe-Account header) or destination payment (using "
    "`transfer_data[destination]`)."
)
NO_CAPABILITY = (
    "Your destination account needs to have at least one of the following capabilities "
    "enabled: transfers, crypto_transfers, legacy_payments"
)
AMOUNT_NEEDS_DESTINATION = (
    "transfer_data[amount] can only be set on a PaymentIntent made with "
    "`transfer_data[destination]`."
)
FEE_AFTER_CAPTURE = (
    "The parameter application_fee_amount cannot be updated on a PaymentIntent after a "
    "capture has already been made."
)
INTENT_FIELDS = ("application_fee_amount", "on_behalf_of", "transfer_data", "transfer_group")
CHARGE_FIELDS = (*INTENT_FIELDS, "application_fee", "destination", "transfer")

_original: dict[str, Any] = {}


def install() -> None:
    """Wrap localstripe's classes (once per process)."""
    if _original:
        return
    _original.update(
        intent_init=PaymentIntent.__init__,
        intent_update=PaymentIntent._api_update,
        intent_confirm=PaymentIntent._confirm,
        intent_create_charge=PaymentIntent._create_charge,
        intent_on_success=PaymentIntent._on_success,
        intent_capture=PaymentIntent._api_capture,
        charge_capture=Charge._capture,
        refund_init=Refund.__init__,
    )
    for name in INTENT_FIELDS:
        setattr(PaymentIntent, name, None)
    for name in CHARGE_FIELDS:
        setattr(Charge, name, None)
    Refund.transfer_reversal = None
    PaymentIntent.__init__ = _intent_init
    PaymentIntent._api_update = classmethod(_intent_update)
    PaymentIntent._confirm = _intent_confirm
    PaymentIntent._create_charge = _intent_create_charge
    PaymentIntent._on_success = _intent_on_success
    Charge._capture = _charge_capture
    Charge.amount_captured = property(_amount_captured)
    Refund.__init__ = _refund_init


# ---- PaymentIntent ----


def _intent_init(
    self: Any,
    transfer_data: object = None,
    application_fee_amount: object = None,
    on_behalf_of: object = None,
    transfer_group: object = None,
    **params: Any,
) -> None:
    amount = try_convert_to_int(params.get("amount"))
    terms = _terms(
        amount if isinstance(amount, int) else None,
        transfer_data,
        application_fee_amount,
        on_behalf_of,
        transfer_group,
    )
    _original["intent_init"](self, **params)  # stores the intent: every check is above
    for name, value in terms.items():
        setattr(self, name, value)


def _terms(
    amount: int | None, transfer_data: object, fee: object, on_behalf_of: object, group: object
) -> dict[str, Any]:
    data = as_hash(transfer_data, "transfer_data")
    terms: dict[str, Any] = dict.fromkeys(INTENT_FIELDS)
    terms["transfer_group"] = as_text(group, "transfer_group")
    if data is not None:
        only(data, {"amount", "destination"}, "transfer_data")
        destination = as_text(data.get("destination"), "transfer_data[destination]")
        if not destination:
            raise missing("transfer_data[destination]")
        _destination(destination)
        part = as_amount(data.get("amount"), "transfer_data[amount]")
        if part is not None and amount is not None and part > amount:
            raise fail(
                400,
                f"The transfer amount ({part}) must be less than or equal to the amount of the "
                f"PaymentIntent ({amount}).",
                param="transfer_data[amount]",
            )
        terms["transfer_data"] = {"destination": destination}
        if part is not None:
            terms["transfer_data"]["amount"] = part
    fee_amount = as_amount(fee, "application_fee_amount")
    if fee_amount is not None:
        _check_fee(fee_amount, amount, has_destination=data is not None)
        terms["application_fee_amount"] = fee_amount
    account_id = as_text(on_behalf_of, "on_behalf_of")
    if account_id is not None:
        if store.get(f"account:{account_id}") is None:
            raise fail(
                400,
                f"No such account: '{account_id}'",
                param="on_behalf_of",
                code="resource_missing",
            )
        terms["on_behalf_of"] = account_id
    return terms


def _check_fee(fee: int, amount: int | None, *, has_destination: bool) -> None:
    if not has_destination:
        raise fail(400, FEE_NEEDS_DESTINATION, param="application_fee_amount")
    if amount is not None and fee > amount:
        raise fail(
            400,
            f"The application fee amount ({fee}) must be less than or equal to the amount of "
            f"the PaymentIntent ({amount}).",
            param="application_fee_amount",
        )


def _destination(account_id: str) -> Any:
    """The destination account, if it exists and may receive transfers (else Stripe's 400)."""
    account = store.get(f"account:{account_id}")
    if account is None:
        raise fail(
            400,
            f"No such destination: '{account_id}'",
            param="transfer_data[destination]",
            code="resource_missing",
        )
    if not can_receive_transfers(account):
        raise fail(
            400,
            NO_CAPABILITY,
            param="transfer_data[destination]",
            code="insufficient_capabilities_for_transfer",
        )
    return account


def _intent_update(cls: Any, /, id: str, **data: Any) -> Any:
    """Stripe's update takes the fee (or "" to drop it), `transfer_data[amount]`, and a
    `transfer_group` not yet set; `on_behalf_of` and a new destination it does not."""
    intent = cls._api_retrieve(id)
    if "on_behalf_of" in data:
        raise unknown("on_behalf_of")
    changes: dict[str, Any] = {}
    if "transfer_data" in data:
        given = as_hash(data.pop("transfer_data"), "transfer_data") or {}
        only(given, {"amount"}, "transfer_data")
        if intent.transfer_data is None:
            raise fail(400, AMOUNT_NEEDS_DESTINATION, param="transfer_data[amount]")
        part = as_amount(given.get("amount"), "transfer_data[amount]")
        changes["transfer_data"] = {"destination": intent.transfer_data["destination"]}
        if part is not None:
            changes["transfer_data"]["amount"] = part
    if "application_fee_amount" in data:
        raw = data.pop("application_fee_amount")
        fee = None if raw == "" else as_amount(raw, "application_fee_amount")
        charge = intent.latest_charge
        if charge is not None and charge.captured and charge.status == "succeeded":
            raise fail(400, FEE_AFTER_CAPTURE, param="application_fee_amount")
        if fee is not None:
            amount = try_convert_to_int(data.get("amount", intent.amount))
            _check_fee(
                fee,
                amount if isinstance(amount, int) else None,
                has_destination=intent.transfer_data is not None,
            )
        changes["application_fee_amount"] = fee
    if "transfer_group" in data:
        group = as_text(data.pop("transfer_group"), "transfer_group")
        if intent.transfer_group is not None and group != intent.transfer_group:
            raise fail(
                400,
                "You can only provide `transfer_group` if it hasn't been set.",
                param="transfer_group",
            )
        changes["transfer_group"] = group
    updated = _original["intent_update"](id, **data)
    for name, value in changes.items():
        setattr(updated, name, value)
    return updated


def _intent_confirm(self: Any, on_failure_now: Any) -> Any:
    if self.transfer_data is not None:
        _destination(self.transfer_data["destination"])  # restricted since it was created?
    return _original["intent_confirm"](self, on_failure_now)


def _intent_create_charge(self: Any, on_failure_now: Any) -> Any:
    try:
        return _original["intent_create_charge"](self, on_failure_now)
    finally:
        if self.latest_charge is not None:
            _stamp(self, self.latest_charge)


def _intent_on_success(self: Any) -> Any:
    """The payment is captured: the terms given at capture apply, then the transfer and
    the fee are made, before localstripe reports payment_intent.succeeded."""
    charge = self.latest_charge
    if charge is not None:
        late = getattr(self, "_capture_terms", None) or {}
        if "application_fee_amount" in late:
            self.application_fee_amount = late["application_fee_amount"]
        if "transfer_amount" in late and self.transfer_data is not None:
            self.transfer_data = {**self.transfer_data, "amount": late["transfer_amount"]}
        _stamp(self, charge)
        money.settle(self, charge)
    return _original["intent_on_success"](self)


def _stamp(intent: Any, charge: Any) -> None:
    """The charge of a Connect intent carries its terms (once, when it is made)."""
    if getattr(charge, "_stamped", False):
        return
    charge._stamped = True
    charge.application_fee_amount = intent.application_fee_amount
    charge.on_behalf_of = intent.on_behalf_of
    charge.transfer_group = intent.transfer_group
    if intent.transfer_data is not None:
        destination = intent.transfer_data["destination"]
        charge.destination = destination
        charge.transfer_data = {
            "amount": intent.transfer_data.get("amount"),
            "destination": destination,
        }


def capture(intent_id: str, data: dict[str, Any]) -> Any:
    """`POST /v1/payment_intents/{id}/capture` with Stripe's Connect parameters: checked,
    then localstripe's capture (anything else is its to refuse)."""
    fee_given = data.pop("application_fee_amount", None)
    transfer_given = data.pop("transfer_data", None)
    intent = PaymentIntent._api_retrieve(intent_id)
    terms: dict[str, Any] = {}
    if fee_given is not None:
        fee = as_amount(fee_given, "application_fee_amount")
        if intent.transfer_data is None:
            raise fail(400, FEE_NEEDS_DESTINATION, param="application_fee_amount")
        terms["application_fee_amount"] = fee
    if transfer_given is not None:
        given = as_hash(transfer_given, "transfer_data") or {}
        only(given, {"amount"}, "transfer_data")
        if intent.transfer_data is None:
            raise unknown("transfer_data[amount]")
        terms["transfer_amount"] = as_amount(given.get("amount"), "transfer_data[amount]")
    intent._capture_terms = terms
    try:
        return _original["intent_capture"](id=intent_id, **data)
    finally:
        intent._capture_terms = {}


# ---- Charge ----


def _charge_capture(self: Any, amount: Any, on_success: Any = None) -> Any:
    if self.captured is False and self.status == "succeeded":
        found = self.amount if amount is None else try_convert_to_int(amount)
        self._captured_amount = found if isinstance(found, int) else self.amount
    return _original["charge_capture"](self, amount, on_success)


def _amount_captured(self: Any) -> int:
    if not self.captured or self.status != "succeeded":
        return 0
    return int(getattr(self, "_captured_amount", self.amount))


# ---- Refund ----


def _refund_init(
    self: Any,
    reverse_transfer: object = None,
    refund_application_fee: object = None,
    **params: Any,
) -> None:
    reverse = as_bool(reverse_transfer, "reverse_transfer") or False
    refund_fee = as_bool(refund_application_fee, "refund_application_fee") or False
    if reverse:
        charge = _charge_refunded(params)
        if charge is not None and charge.transfer is None:
            raise fail(
                400,
                f"The charge '{charge.id}' has no transfer to reverse: `reverse_transfer` "
                "applies only to destination charges.",
                param="reverse_transfer",
            )
    _original["refund_init"](self, **params)  # stores the refund: every check is above
    if reverse or refund_fee:
        money.take_back(
            self, Charge._api_retrieve(self.charge), reverse=reverse, refund_fee=refund_fee
        )


def _charge_refunded(params: dict[str, Any]) -> Any:
    """The charge a refund's parameters name, or None (localstripe then says what is wrong)."""
    try:
        if params.get("payment_intent"):
            return PaymentIntent._api_retrieve(params["payment_intent"]).latest_charge
        if params.get("charge"):
            return Charge._api_retrieve(params["charge"])
    except UserError:
        return None
    return None

"""The money of destination charges: the transfer into the connected account (`tr_`) and
the platform's application fee back out of it (`fee_`), made once when the charge is
captured; and what refunds take back: transfer reversals (`trr_`), fee refunds (`fr_`).

A refund reverses the transfer, and refunds the fee, in proportion to the part of the
captured amount it refunds; the refunds that reversed add up, so the last one takes what
rounding left and a full refund takes everything back.
"""

from __future__ import annotations

from typing import Any

from localstripe.resources import List, StripeObject

from tests.gateways.connect_layer.common import Listed, ReadOnly, new_id, stored

APPLICATION = "ca_chipinlocalstripetests00"  # the platform's Connect application


def share(total: int, part: int, whole: int) -> int:
    """total × part / whole, rounded half up (0 for an empty whole)."""
    if whole <= 0 or total <= 0 or part <= 0:
        return 0
    return (2 * total * min(part, whole) + whole) // (2 * whole)


class Transfer(Listed, ReadOnly, StripeObject):  # type: ignore[misc]  # localstripe is untyped
    object = "transfer"
    _id_prefix = "tr_"
    _noun = "transfer"
    _filters = frozenset({"destination", "transfer_group"})

    def __init__(self, charge: Any, destination: str, amount: int, group: str) -> None:
        super().__init__(id=new_id("tr_"))
        self.amount = amount
        self.balance_transaction = None
        self.currency = charge.currency
        self.description = None
        self.destination = destination
        self.destination_payment = new_id("py_")
        self.metadata: dict[str, str] = {}
        self.source_transaction = charge.id
        self.source_type = "card"
        self.transfer_group = group
        self._refunded_reversing = 0  # the refunds that reversed it, added up

    @property
    def amount_reversed(self) -> int:
        return sum(r.amount for r in stored("transfer_reversal") if r.transfer == self.id)

    @property
    def reversed(self) -> bool:
        return self.amount > 0 and self.amount_reversed >= self.amount

    @property
    def reversals(self) -> Any:
        return _children("transfer_reversal", f"/v1/transfers/{self.id}/reversals", self.id)


class ApplicationFee(Listed, ReadOnly, StripeObject):  # type: ignore[misc]  # untyped base
    """The platform's fee. `charge` is the payment the fee was taken from (the connected
    account's `py_`); `originating_transaction` the platform's charge. The `charge` filter
    of the list takes either."""

    object = "application_fee"
    _id_prefix = "fee_"
    _noun = "application fee"
    _filters = frozenset({"charge"})

    def __init__(self, transfer: Any, charge: Any, amount: int) -> None:
        super().__init__(id=new_id("fee_"))
        self.account = transfer.destination
        self.amount = amount
        self.application = APPLICATION
        self.balance_transaction = None
        self.charge = transfer.destination_payment
        self.currency = charge.currency
        self.fee_source = {"charge": transfer.destination_payment, "type": "charge"}
        self.originating_transaction = charge.id
        self._refunded_refunding = 0  # the charge refunds that refunded it, added up

    @classmethod
    def _matches(cls, obj: Any, field: str, value: str | None) -> bool:
        if field == "charge":
            return value in (obj.charge, obj.originating_transaction)
        return super()._matches(obj, field, value)

    @property
    def amount_refunded(self) -> int:
        return sum(r.amount for r in stored("fee_refund") if r.fee == self.id)

    @property
    def refunded(self) -> bool:
        return self.amount > 0 and self.amount_refunded >= self.amount

    @property
    def refunds(self) -> Any:
        return _children("fee_refund", f"/v1/application_fees/{self.id}/refunds", self.id)


class TransferReversal(Listed, ReadOnly, StripeObject):  # type: ignore[misc]  # untyped base
    object = "transfer_reversal"
    _id_prefix = "trr_"
    _noun = "transfer reversal"

    def __init__(self, transfer: Any, amount: int, refund_id: str) -> None:
        super().__init__(id=new_id("trr_"))
        self.amount = amount
        self.balance_transaction = None
        self.currency = transfer.currency
        self.destination_payment_refund = new_id("pyr_")
        self.metadata: dict[str, str] = {}
        self.source_refund = refund_id
        self.transfer = transfer.id


class FeeRefund(Listed, ReadOnly, StripeObject):  # type: ignore[misc]  # untyped base
    object = "fee_refund"
    _id_prefix = "fr_"
    _noun = "fee refund"

    def __init__(self, fee: Any, amount: int) -> None:
        super().__init__(id=new_id("fr_"))
        self.amount = amount
        self.balance_transaction = None
        self.currency = fee.currency
        self.fee = fee.id
        self.metadata: dict[str, str] = {}


def _children(kind: str, url: str, parent_id: str) -> Any:
    found = List(url)
    parent_field = "transfer" if kind == "transfer_reversal" else "fee"
    found._list = [o for o in reversed(stored(kind)) if getattr(o, parent_field) == parent_id]
    return found


def settle(intent: Any, charge: Any) -> None:
    """On capture of a destination charge, once: the transfer of the captured amount (or of
    `transfer_data[amount]`, capped by it) and the fee (capped by the transfer)."""
    terms = intent.transfer_data
    if not terms or charge.transfer is not None:
        return
    captured = charge.amount_captured
    wanted = terms.get("amount")
    amount = captured if wanted is None else min(wanted, captured)
    group = intent.transfer_group or f"group_{intent.id}"
    transfer = Transfer(charge, terms["destination"], amount, group)
    charge.transfer = transfer.id
    charge.transfer_group = group
    charge.transfer_data = {"amount": wanted, "destination": terms["destination"]}
    if intent.application_fee_amount is None:
        return
    fee_amount = min(intent.application_fee_amount, amount)
    charge.application_fee_amount = fee_amount
    if fee_amount > 0:
        charge.application_fee = ApplicationFee(transfer, charge, fee_amount).id


def take_back(refund: Any, charge: Any, *, reverse: bool, refund_fee: bool) -> None:
    """What a refund of a destination charge reverses of its transfer, refunds of its fee."""
    captured = charge.amount_captured
    if reverse and charge.transfer is not None:
        transfer = Transfer._api_retrieve(charge.transfer)
        transfer._refunded_reversing += refund.amount
        due = share(transfer.amount, transfer._refunded_reversing, captured)
        amount = min(due, transfer.amount) - transfer.amount_reversed
        if amount > 0:
            refund.transfer_reversal = TransferReversal(transfer, amount, refund.id).id
    if refund_fee and charge.application_fee is not None:
        fee = ApplicationFee._api_retrieve(charge.application_fee)
        fee._refunded_refunding += refund.amount
        due = share(fee.amount, fee._refunded_refunding, captured)
        amount = min(due, fee.amount) - fee.amount_refunded
        if amount > 0:
            FeeRefund(fee, amount)

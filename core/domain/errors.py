"""The error families of the domain: expected refusals (DomainError) and broken invariants."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """An expected refusal: the caller tells the user and nothing changed.

    `code` is stable (the bot and the API map it to a message and an HTTP status);
    `fields` carries typed details for the message.
    """

    code: str = "domain_error"

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields


class InvalidInput(DomainError):
    """A parameter is malformed or out of range; `field` names it.

    `template` is a literal `str.format` template in English and `params` its values, so
    the bot can show the reason from its catalogs (the template is the message id) while
    `message` stays the English text the API returns. Never build the template at run
    time: tests/bot/test_i18n.py reads the literals. `example` is the right form of the
    command, when the input came from one.
    """

    code = "invalid_input"

    def __init__(self, field: str, template: str, /, **params: str | int) -> None:
        invariant("field" not in params, "InvalidInput: 'field' is not a template parameter")
        super().__init__(template.format(**params), field=field, **params)
        self.field = field
        self.template = template
        self.params = params
        self.example: str | None = None


class NotFound(DomainError):
    code = "not_found"


class OrderFull(DomainError):
    code = "order_full"


class OrderClosed(DomainError):
    """The order is completed, expired or cancelled; `state` says which."""

    code = "order_closed"


class AlreadyPaid(DomainError):
    code = "already_paid"


class WrongPassword(DomainError):
    code = "wrong_password"


class LockedOut(DomainError):
    code = "locked_out"


class TooManyHolds(DomainError):
    """One source (a client address, a Telegram user) holds or took too many parts of this
    order; `reason` says which ('open' or 'rate'), `retry_after_s` when to try again."""

    code = "too_many_holds"


class HoldNotYours(DomainError):
    """A hold that only its hold secret opens, asked for without it (or with a wrong one)."""

    code = "hold_not_yours"


class NotHeld(DomainError):
    """The part is not held by anyone (free, paid or closed), so there is no hold to release."""

    code = "not_held"


class NotAllowed(DomainError):
    """The caller may not do this to this object (not theirs, not for them)."""

    code = "not_allowed"


class Conflict(DomainError):
    """A concurrent change won a race (a unique constraint); the caller may re-read and retry."""

    code = "conflict"


class Unsupported(DomainError):
    """The chosen payment method cannot take this order (mode `all`, or its currency);
    `gateway` names it and `reason` says why ('mode_all' or 'currency')."""

    code = "unsupported"


class Unavailable(DomainError):
    """A part of Chipin this needs is not set up or not running (say so; try later)."""

    code = "unavailable"


class RefundNotConfirmed(DomainError):
    """Cancelling would refund an order whose every part is paid, and the caller did not say
    they mean to refund its payers; `state` is the order's (completed)."""

    code = "refund_not_confirmed"


class KeyReused(DomainError):
    """An idempotency key given again with other parameters than its first request's: the
    first answer cannot stand for this request, and a new order under it would break the
    key's promise."""

    code = "idempotency_key_reused"


class GatewayError(Exception):
    """A payment gateway call failed."""

    retryable: bool = False


class GatewayRetryable(GatewayError):
    """Timeouts, 5xx, rate limits: the same call with the same idempotency key may succeed later."""

    retryable = True


class GatewayFinal(GatewayError):
    """The gateway refused for good (bad request, declined); retrying will not help."""


class RefundByHand(GatewayFinal):
    """The gateway cannot give this money back (no refund API, or refused for good):
    the payee owes the refund and returns it outside Chipin."""


class WebhookRejected(Exception):
    """A webhook failed verification or parsing; `reason` is short and safe to return."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class InvariantViolation(Exception):
    """A broken invariant: a bug or tampering. Never swallowed, never shown as a refusal."""


def invariant(condition: bool, message: str) -> None:
    """Check an invariant; unlike `assert`, survives `python -O`."""
    if not condition:
        raise InvariantViolation(message)

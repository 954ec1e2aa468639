"""REST API v1 for a payee's transfers: the parts payers say they paid into the payee's own
account (confirm or deny each), and money to return by hand."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Response

from core.domain.errors import NotAllowed, NotFound
from core.domain.ledger.entries import EntryKind
from web.api.auth import CurrentPayee
from web.api.render_methods import payment_out, pending_claim, return_out
from web.api.schemas_methods import ClaimListOut, PaymentOut, ReturnListOut
from web.context import Ctx
from web.errors import error_responses
from web.routing import keyed_router

router = keyed_router("/api/v1", "transfers")

Reference = Annotated[
    str,
    Path(max_length=64, description="The transfer reference (RF…), compact or in groups of four."),
]
PaymentId = Annotated[str, Path(max_length=64, description="The payment's id (pmt_…).")]

# the entries that name a payment's payer: its part paid, or the money that came too late
_PAYER_KINDS = (EntryKind.PART_PAID, EntryKind.PART_AUTHORISED, EntryKind.PAYMENT_LATE)


@router.get(
    "/claims",
    summary="Transfers payers say they made to me",
    responses=error_responses(401, 503),
)
async def claims(payee: CurrentPayee, ctx: Ctx) -> ClaimListOut:
    """Parts claimed and waiting for me: look for each `reference` (and, for UPI, `utr`) in
    my account, then confirm or deny it. A claimed part is held for its payer, not counted;
    a bank statement I import confirms the ones it shows (POST /api/v1/statements)."""
    return ClaimListOut(items=[pending_claim(c) for c in await ctx.engine.claims_of(payee)])


@router.post(
    "/claims/{reference}/confirm",
    summary="Confirm a transfer reached my account",
    responses=error_responses(401, 404, 409, 503),
)
async def confirm(reference: Reference, payee: CurrentPayee, ctx: Ctx) -> PaymentOut:
    """The money is in my account: the part counts (`status` captured, `counted` true),
    under the same exactly-N guard as a gateway's payment. If it cannot count any more (the
    order is full or over, the part was let go) it is recorded as `refund_owed`: I return
    it by hand (GET /api/v1/returns). Confirming again answers the same payment. 404 for a
    reference that is not one of mine."""
    return payment_out(await ctx.engine.confirm_transfer(payee, reference))


@router.post(
    "/claims/{reference}/deny",
    status_code=204,
    summary="Say a claimed transfer has not arrived",
    response_class=Response,
    responses=error_responses(401, 403, 404, 409, 503),
)
async def deny(reference: Reference, payee: CurrentPayee, ctx: Ctx) -> Response:
    """The part is free again and its payer is told. 409 `not_held` if it is not waiting
    for me (never claimed, or denied already); 403 `not_allowed` once it was confirmed."""
    await ctx.engine.deny_transfer(payee, reference)
    return Response(status_code=204)


@router.get(
    "/returns",
    summary="Money I owe back by hand",
    responses=error_responses(401, 503),
)
async def returns(payee: CurrentPayee, ctx: Ctx) -> ReturnListOut:
    """Payments that reached me when they could not count (a transfer after the order was
    full or had ended, a part let go before its money came), and refunds a gateway could
    not make: Chipin cannot give them back, I do, then say so (…/returned)."""
    owed = await ctx.engine.owed_returns(payee)
    return ReturnListOut(items=[return_out(o) for o in owed])


@router.post(
    "/returns/{payment_id}/returned",
    summary="Say I returned a payment by hand",
    responses=error_responses(401, 403, 404, 409, 503),
)
async def returned(payment_id: PaymentId, payee: CurrentPayee, ctx: Ctx) -> PaymentOut:
    """`refund_owed` becomes `refunded`, and the ledger records it. Saying it again answers
    the same. 403 `not_allowed` for a payment of mine that is not owed back; 404 for one
    that is not mine."""
    try:
        done = await ctx.engine.mark_refunded(payment_id[:64], payee)
    except NotAllowed as exc:
        if "status" in exc.fields:
            raise
        raise NotFound("no such payment") from None  # another payee's: as if there were none
    return payment_out(done)

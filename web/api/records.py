"""REST API v1 for a payee's records: ledger entries, figures (JSON and CSV), receipts.

Everything is the key's own: the payee's entries (and, for a payee named 'tg:<id>', the
entries that name that Telegram user as payer); another payee's never show. Filters are
validated by core (a bad one is a 422 naming the field).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import Query, Response

from core.domain.errors import Unavailable
from core.domain.ledger.entries import EntryKind
from core.domain.ledger.exports import export_csv, stats_csv
from core.domain.ledger.figures import Stats, Totals, account_of, amount_text
from core.usecases.records import MAX_LIMIT, RecordPage, RecordQuery
from trust.receipts import receipt_json
from web.api import render
from web.api.auth import CurrentPayee
from web.api.schemas_records import ReceiptOut, RecordPageOut, StatsOut, TotalsOut
from web.context import Ctx, WebContext
from web.errors import error_responses
from web.routing import keyed_router

NOT_SIGNING = "the ledger is not signing yet: no certificate authority is set up"
router = keyed_router("/api/v1", "records")

Since = Annotated[
    datetime | None,
    Query(description="From this time on (included); ISO 8601 with a time zone."),
]
Until = Annotated[datetime | None, Query(description="Before this time (excluded).")]
OrderFilter = Annotated[str | None, Query(description="Only this order's entries.")]
CSV: dict[str, Any] = {"content": {"text/csv": {"schema": {"type": "string"}}}}


def record_page(page: RecordPage) -> RecordPageOut:
    """The page as render draws it, each record with where its money went and its fee."""
    out = render.record_page(page)
    items = []
    for r, item in zip(page.items, out.items, strict=True):
        e = r.entry
        fee = amount_text(e.fee_minor, e.currency) if e.fee_minor is not None else None
        paid_to = {"account": account_of(e), "fee": fee, "fee_minor": e.fee_minor}
        items.append(item.model_copy(update=paid_to))
    return out.model_copy(update={"items": items})


_Totals = TypeVar("_Totals", bound=TotalsOut)


def _payouts(out: _Totals, t: Totals) -> _Totals:
    return out.model_copy(
        update={
            "to_payee_account": amount_text(t.to_payee_account_minor, t.currency),
            "to_payee_account_minor": t.to_payee_account_minor,
            "platform_fees": amount_text(t.platform_fees_minor, t.currency),
            "platform_fees_minor": t.platform_fees_minor,
        }
    )


def stats_out(st: Stats) -> StatsOut:
    """The figures as render draws them, every total with its card money into the payee's
    own account and the platform's fees."""
    out = render.stats_out(st)
    totals = [_payouts(o, t) for o, t in zip(out.totals, st.totals, strict=True)]
    months = [_payouts(o, m.totals) for o, m in zip(out.by_month, st.by_month, strict=True)]
    orders = [_payouts(o, r.totals) for o, r in zip(out.by_order, st.by_order, strict=True)]
    return out.model_copy(update={"totals": totals, "by_month": months, "by_order": orders})


def _csv(ctx: WebContext, text: str, stem: str) -> Response:
    name = f"{stem}-{ctx.engine.deps.clock.now():%Y%m%d}.csv"
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/records", summary="My records", responses=error_responses(401, 503))
async def records(
    payee: CurrentPayee,
    ctx: Ctx,
    since: Since = None,
    until: Until = None,
    order_id: OrderFilter = None,
    kind: Annotated[
        list[EntryKind] | None, Query(description="Only these kinds (repeat the parameter).")
    ] = None,
    limit: Annotated[int, Query(description=f"1 to {MAX_LIMIT}.")] = 20,
    offset: Annotated[int, Query(description="Entries to skip, newest first.")] = 0,
) -> RecordPageOut:
    """Ledger entries of my orders (and my payments, for a Telegram payee), newest first."""
    viewer = await ctx.engine.viewer(payee_id=payee)
    query = RecordQuery(
        since=since,
        until=until,
        order_id=order_id,
        kinds=tuple(k.value for k in kind or ()),
        limit=limit,
        offset=offset,
    )
    return record_page(await ctx.engine.records(viewer, query))


@router.get(
    "/records.csv",
    summary="My records as CSV",
    response_class=Response,
    responses={
        200: {**CSV, "description": "One line per entry, oldest first."},
        **error_responses(401, 503),
    },
)
async def records_csv(
    payee: CurrentPayee,
    ctx: Ctx,
    since: Since = None,
    until: Until = None,
    order_id: OrderFilter = None,
) -> Response:
    """Every entry of my orders with my payers' names; `signed_minor` sums to the net."""
    rows = await ctx.engine.export_rows(payee, since, until, order_id)
    return _csv(ctx, export_csv(rows), "chipin-records")


@router.get("/stats", summary="My figures", responses=error_responses(401, 503))
async def stats(
    payee: CurrentPayee, ctx: Ctx, since: Since = None, until: Until = None
) -> StatsOut:
    """Totals per currency, by month (UTC) and by order; payers; closings; time to complete."""
    return stats_out(await ctx.engine.stats(payee, since, until))


@router.get(
    "/stats.csv",
    summary="My figures as CSV",
    response_class=Response,
    responses={
        200: {**CSV, "description": "Totals, then months, then orders."},
        **error_responses(401, 503),
    },
)
async def stats_as_csv(
    payee: CurrentPayee, ctx: Ctx, since: Since = None, until: Until = None
) -> Response:
    return _csv(ctx, stats_csv(await ctx.engine.stats(payee, since, until)), "chipin-stats")


@router.get(
    "/receipts/{payment_id}",
    summary="The receipt of a part paid for one of my orders",
    responses=error_responses(401, 404, 503),
)
async def receipt(payment_id: str, payee: CurrentPayee, ctx: Ctx) -> ReceiptOut:
    """The receipt its payer got: entry, inclusion proof, signed head and certificate chain.

    Check it offline with `chipin receipt verify FILE`. 404 for a payment of someone
    else's order (or none at all).
    """
    if ctx.chain_pem is None:
        raise Unavailable(NOT_SIGNING)
    found = await ctx.engine.receipt(payment_id, payee_id=payee)  # Unavailable: no signer
    return ReceiptOut.model_validate(receipt_json(found, ctx.chain_pem()))

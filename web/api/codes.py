"""REST API v1 for a payee's static codes: list with totals, bind, unbind, switch, move."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from core.domain.codes import CodeTotals, RawSpec, build_spec
from core.domain.money import currency
from web.api.auth import CurrentPayee
from web.api.render import amount_text
from web.api.schemas_codes import (
    BindCodeIn,
    CodeListOut,
    CodeOut,
    CodePaymentOut,
    MoveCodeIn,
    SwitchCodeIn,
)
from web.context import Ctx, WebContext
from web.errors import body_error_responses, error_responses
from web.routing import keyed_router

router = keyed_router("/api/v1/codes", "codes")

CodeRef = Annotated[
    str,
    Path(
        max_length=64,
        description="The short code printed under the QR code (K7PQ-3MXD) or the QR token.",
    ),
]


def code_out(totals: CodeTotals) -> CodeOut:
    code, spec = totals.code, totals.code.spec
    cur = spec.currency if spec is not None else None

    def text(minor: int | None) -> str | None:
        return amount_text(minor, cur) if cur is not None and minor is not None else None

    return CodeOut(
        code=code.label,
        state=code.state,
        kind=spec.kind if spec else None,
        title=spec.title if spec else None,
        currency=cur.code if cur else None,
        price=text(spec.fixed_minor) if spec else None,
        min=text(spec.min_minor) if spec else None,
        max=text(spec.max_minor) if spec else None,
        goal=text(spec.goal_minor) if spec else None,
        deadline=spec.deadline if spec else None,
        goal_reached_at=code.goal_reached_at,
        bound_at=code.bound_at,
        today=text(totals.today_minor) or "0",
        today_minor=totals.today_minor,
        this_month=text(totals.month_minor) or "0",
        this_month_minor=totals.month_minor,
        raised=text(totals.raised_minor) or "0",
        raised_minor=totals.raised_minor,
        payments=totals.payments,
        last_payments=[
            CodePaymentOut(
                order_id=p.order_id,
                amount=text(p.amount_minor) or "0",
                amount_minor=p.amount_minor,
                paid_at=p.paid_at,
                payer_name=p.payer_name,
                mode=p.gateway,
            )
            for p in totals.last
        ],
    )


async def _one(ctx: WebContext, payee: CurrentPayee, ref: str) -> CodeOut:
    [totals] = await ctx.engine.code_totals(payee, ref)
    return code_out(totals)


@router.get("", summary="List my codes", responses=error_responses(401, 503))
async def list_codes(payee: CurrentPayee, ctx: Ctx) -> CodeListOut:
    """Each code bound to me: what it collects, totals today and this month (UTC), its last
    payments. `collection_id` is the pseudonymous ID that stands for me in links and records."""
    collection = await ctx.engine.collection_of(payee)
    items = [code_out(t) for t in await ctx.engine.code_totals(payee)]
    return CodeListOut(
        collection_id=collection.id if collection else None,
        modes=list(collection.modes) if collection else [],
        items=items,
    )


@router.get("/{code}", summary="Get one of my codes", responses=error_responses(401, 404, 503))
async def get_code(code: CodeRef, payee: CurrentPayee, ctx: Ctx) -> CodeOut:
    return await _one(ctx, payee, code)


@router.post(
    "/{code}/bind",
    summary="Bind a printed code to me",
    responses=body_error_responses(401, 403, 404, 409, 503),
)
async def bind_code(code: CodeRef, body: BindCodeIn, payee: CurrentPayee, ctx: Ctx) -> CodeOut:
    """Bind an unbound code: what it collects (`tip`, `donation`, `fixed` with its `amount`,
    `fund` with its `goal` and optional `deadline`) and the name payers see. A code bound to
    anyone already is 403."""
    now = ctx.engine.deps.clock.now()
    raw = RawSpec(
        kind=body.kind,
        currency=currency(body.currency) if body.currency else ctx.default_currency,
        title=body.title,
        amount=body.amount,
        goal=body.goal,
        minimum=body.min,
        maximum=body.max,
        deadline=body.deadline,
    )
    spec = build_spec(raw, ctx.max_amount_minor, now)
    bound = await ctx.engine.bind_code(code, payee, spec, body.name)
    return await _one(ctx, payee, bound.short)


@router.post(
    "/{code}/unbind", summary="Unbind one of my codes", responses=error_responses(401, 404, 503)
)
async def unbind_code(code: CodeRef, payee: CurrentPayee, ctx: Ctx) -> CodeListOut:
    """The code takes no payments until it is bound again; my other codes are listed."""
    await ctx.engine.unbind_code(code, payee)
    return await list_codes(payee, ctx)


@router.post(
    "/{code}/switch",
    summary="Switch one of my codes off or on",
    responses=body_error_responses(401, 404, 503),
)
async def switch_code(code: CodeRef, body: SwitchCodeIn, payee: CurrentPayee, ctx: Ctx) -> CodeOut:
    """A switched-off code tells payers so and takes nothing."""
    done = await ctx.engine.set_code_enabled(code, payee, body.on)
    return await _one(ctx, payee, done.short)


@router.post(
    "/{code}/move",
    summary="Move one of my codes to another, unbound code",
    responses=body_error_responses(401, 403, 404, 503),
)
async def move_code(code: CodeRef, body: MoveCodeIn, payee: CurrentPayee, ctx: Ctx) -> CodeOut:
    """The binding (what it collects, its totals) moves; the old code is unbound."""
    moved = await ctx.engine.move_code(code, body.to, payee)
    return await _one(ctx, payee, moved.short)

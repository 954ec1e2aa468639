"""REST API v1 for a payee's own receiving methods (a SEPA account, a PIX key, a UPI ID):
payers who choose one pay straight into the payee's account, never through Chipin."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Response

from core.domain.errors import InvalidInput
from core.domain.methods import KIND_FIELDS, KIND_LABEL, SEPA_NAME_WARNING, method_kind
from core.domain.model import MethodKind
from web.api.auth import CurrentPayee
from web.api.render_methods import method_out
from web.api.schemas_methods import AddedMethodOut, MethodIn, MethodListOut
from web.context import Ctx
from web.errors import body_error_responses, error_responses
from web.routing import keyed_router

router = keyed_router("/api/v1/methods", "methods")

MethodId = Annotated[str, Path(max_length=64, description="The method's id (mth_…).")]


def _given(body: MethodIn) -> tuple[MethodKind, dict[str, str | None]]:
    """The kind, and the fields it takes; a field of another kind is refused by name."""
    kind = method_kind(body.kind)
    wanted = KIND_FIELDS[kind]
    given = body.given()
    for name, value in given.items():
        if value is not None and name not in wanted:
            raise InvalidInput(
                name,
                "a {label} method takes {fields}; leave this field out",
                label=KIND_LABEL[kind],
                fields=", ".join(wanted),
            )
    return kind, given


@router.get("", summary="List my receiving methods", responses=error_responses(401, 503))
async def list_methods(payee: CurrentPayee, ctx: Ctx) -> MethodListOut:
    """Each method in full (IBAN, PIX key, UPI ID): it is my own data, behind my key."""
    return MethodListOut(items=[method_out(m) for m in await ctx.engine.methods_of(payee)])


@router.post(
    "",
    status_code=201,
    summary="Add a receiving method",
    responses=body_error_responses(401, 409, 422, 503),
)
async def add_method(body: MethodIn, payee: CurrentPayee, ctx: Ctx) -> AddedMethodOut:
    """One method per kind: sepa takes EUR, pix BRL, upi INR; payers of my orders in that
    currency may then choose it. 409 `conflict` if I have one of this kind (remove it
    first); 422 `invalid_input` naming the field at fault (a wrong IBAN check digit, a PIX
    key that is none, a UPI ID without its @bank). For sepa, read `notice`."""
    kind, given = _given(body)
    added = await ctx.engine.add_method(payee, kind.value, given)
    notice = SEPA_NAME_WARNING if kind == MethodKind.SEPA else None
    return AddedMethodOut(**method_out(added).model_dump(), notice=notice)


@router.delete(
    "/{method_id}",
    status_code=204,
    summary="Remove a receiving method",
    response_class=Response,
    responses=error_responses(401, 404, 503),
)
async def remove_method(method_id: MethodId, payee: CurrentPayee, ctx: Ctx) -> Response:
    """Payers can no longer choose it; a payer who holds a part with its reference already
    keeps the reference, and a transfer that comes with it can still be confirmed."""
    await ctx.engine.remove_method(payee, method_id)
    return Response(status_code=204)

"""The transparency ledger's public API: signed heads, proofs and the certificate chain.

Public on purpose, like a Certificate Transparency log: heads and proofs carry hashes
only, never an entry's contents, so anyone holding a receipt can check it against the
log without an API key. Byte fields are base64 (RFC 6962 §4).
"""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Query

from core.domain.errors import Unavailable
from trust.ca import fingerprint, load_chain
from trust.heads import signed_head_json
from web.api.schemas_records import CertificatesOut, ConsistencyOut, InclusionOut, SignedHeadOut
from web.context import Ctx
from web.errors import error_responses
from web.routing import ChipinRoute

router = APIRouter(prefix="/api/v1/ledger", tags=["ledger"], route_class=ChipinRoute)

Size = Annotated[int, Query(ge=0, le=2**62, description="A number of entries (a tree size).")]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@router.get("/head", summary="The newest signed tree head", responses=error_responses(503))
async def head(ctx: Ctx) -> SignedHeadOut:
    """Signs a fresh head first when entries were added since the last one."""
    signed = await ctx.engine.sign_head()
    return SignedHeadOut.model_validate(signed_head_json(signed))


@router.get(
    "/proof/inclusion",
    summary="An inclusion proof: entry `index` is in the tree of `tree_size` entries",
    responses=error_responses(503),
)
async def inclusion(
    ctx: Ctx,
    index: Annotated[int, Query(ge=0, le=2**62, description="The entry's leaf index.")],
    tree_size: Size,
) -> InclusionOut:
    proof = await ctx.engine.inclusion(index, tree_size)
    return InclusionOut(
        leaf_index=proof.index,
        tree_size=proof.tree_size,
        leaf_hash=_b64(proof.leaf_hash),
        audit_path=[_b64(h) for h in proof.path],
    )


@router.get(
    "/proof/consistency",
    summary="A consistency proof: the tree of `first` entries is a prefix of `second`'s",
    responses=error_responses(503),
)
async def consistency(ctx: Ctx, first: Size, second: Size) -> ConsistencyOut:
    proof = await ctx.engine.consistency(first, second)
    return ConsistencyOut(
        first=proof.first, second=proof.second, consistency=[_b64(h) for h in proof.path]
    )


@router.get(
    "/certificates",
    summary="Chipin's root CA and head-signing certificates",
    responses=error_responses(503),
)
async def certificates(ctx: Ctx) -> CertificatesOut:
    """Pin `root_fingerprint` once; every head and receipt then checks against it."""
    if ctx.chain_pem is None:
        raise Unavailable("the ledger has no certificate authority configured")
    pem = ctx.chain_pem()
    root, signing = load_chain(pem.encode())
    return CertificatesOut(
        root_fingerprint=fingerprint(root),
        signing_key_ids=[fingerprint(c) for c in signing],
        chain_pem=pem,
    )

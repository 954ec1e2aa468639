"""The REST API's request and response bodies for static codes (OpenAPI schemas)."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from core.domain.codes import CodeKind, CodeState


class BindCodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(max_length=16, description="tip, donation, fixed or fund.")
    title: str = Field(default="", max_length=500, description="What payers see it is for.")
    name: str = Field(max_length=500, description="The collector's name payers see.")
    currency: str | None = Field(default=None, max_length=8, description="Default: the server's.")
    amount: str | None = Field(default=None, max_length=40, description="The price (fixed).")
    goal: str | None = Field(default=None, max_length=40, description="The goal (fund).")
    deadline: AwareDatetime | None = Field(default=None, description="A fund's deadline.")
    min: str | None = Field(default=None, max_length=40, description="Smallest amount taken.")
    max: str | None = Field(default=None, max_length=40, description="Largest amount taken.")


class SwitchCodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    on: bool = Field(description="true: take payments; false: switched off.")


class MoveCodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: str = Field(max_length=64, description="The unbound code the binding moves to.")


class CodePaymentOut(BaseModel):
    order_id: str
    amount: str
    amount_minor: int
    paid_at: datetime
    payer_name: str | None
    mode: str | None = Field(description="The payment mode (gateway) the payer picked.")


class CodeOut(BaseModel):
    code: str = Field(examples=["K7PQ-3MXD"])
    state: CodeState
    kind: CodeKind | None
    title: str | None
    currency: str | None
    price: str | None
    min: str | None
    max: str | None
    goal: str | None
    deadline: datetime | None
    goal_reached_at: datetime | None
    bound_at: datetime | None
    today: str = Field(description="Paid today (UTC).")
    today_minor: int
    this_month: str
    this_month_minor: int
    raised: str = Field(description="Kept since it was bound (refunds taken off).")
    raised_minor: int
    payments: int
    last_payments: list[CodePaymentOut]


class CodeListOut(BaseModel):
    collection_id: str | None = Field(
        description="My pseudonymous collection ID (none before my first code)."
    )
    modes: list[str] = Field(description="The payment modes payers may pick from.")
    items: list[CodeOut]

"""SandboxGateway: the embedded payment gateway: hosted checkout, its own books, webhooks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from starlette.routing import BaseRoute

from core.domain.errors import GatewayFinal, GatewayRetryable, invariant
from core.domain.money import CURRENCIES
from core.ports.store import (
    Checkout,
    CheckoutRequest,
    CheckoutState,
    CheckoutStatus,
    Clock,
    GatewayEvent,
    GatewayTraits,
)
from gateways.books import with_tables
from gateways.sandbox import events as ev
from gateways.sandbox import records as rec
from gateways.sandbox.outbox import Backoff, Deliverer, enqueue
from gateways.sandbox.pages import checkout_routes
from gateways.sandbox.records import CheckoutView, PaymentState, PayResult
from gateways.sandbox.signing import verify
from gateways.sandbox.tables import check_db_url, make_engine, metadata

log = logging.getLogger(__name__)

Action = Callable[[AsyncConnection, datetime], Awaitable[str]]

_MAX_DESCRIPTION_CHARS = 1000
_MIN_SECRET_BYTES = 16


class _SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class SandboxGateway:
    """A hosted-checkout gateway in the process: checkouts, payments and signed webhooks.

    It keeps its own tables (prefix `sandbox_`) in its own database, as an outside
    service would. `start()` creates them; `run_delivery()` sends the webhooks;
    `routes()` are the checkout pages the composition root mounts.
    """

    name = "sandbox"
    # Test money in any currency Chipin knows, Telegram Stars too (a Stars order can be tried).
    traits = GatewayTraits(currencies=frozenset(CURRENCIES))

    def __init__(
        self,
        db_url: str,
        public_url: str,
        webhook_url: str,
        secret: bytes,
        *,
        clock: Clock | None = None,
        retry_first_s: float = 1.0,
        retry_max_s: float = 60.0,
        poll_s: float = 1.0,
        timeout_s: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        check_db_url(db_url)
        if len(secret) < _MIN_SECRET_BYTES:
            raise ValueError(f"the sandbox webhook secret needs at least {_MIN_SECRET_BYTES} bytes")
        if not webhook_url.startswith(("http://", "https://")):
            raise ValueError("the sandbox webhook_url must be an http(s) URL")
        if poll_s <= 0 or timeout_s <= 0:
            raise ValueError("poll_s and timeout_s must be positive")
        self._db_url = db_url
        self._public_url = public_url.rstrip("/")
        self._webhook_url = webhook_url
        self._secret = secret
        self._clock: Clock = clock or _SystemClock()
        self._backoff = Backoff(first_s=retry_first_s, max_s=retry_max_s)
        self._poll_s = poll_s
        self._timeout_s = timeout_s
        self._transport = transport
        self._engine: AsyncEngine | None = None
        self._deliverer: Deliverer | None = None
        self._client: httpx.AsyncClient | None = None
        self._delivery_task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()  # set after a commit that added events; made anew by start()

    # ---- lifecycle ----

    async def start(self) -> None:
        """Open the database, create the sandbox tables if missing, and the HTTP client."""
        if self._engine is not None:
            return
        engine = make_engine(self._db_url)
        self._engine = await with_tables(engine, metadata)
        self._wake = asyncio.Event()  # bound to the loop that runs the gateway from now on
        self._client = httpx.AsyncClient(
            transport=self._transport, timeout=self._timeout_s, follow_redirects=False
        )
        self._deliverer = Deliverer(
            transactions=self._tx,
            client=self._client,
            webhook_url=self._webhook_url,
            secret=self._secret,
            clock=self._clock,
            backoff=self._backoff,
        )
        log.info("sandbox gateway started")

    async def stop(self) -> None:
        """Stop delivering (pending events stay in the outbox) and close connections."""
        task, self._delivery_task = self._delivery_task, None
        if task is not None and task is not asyncio.current_task() and not task.done():
            task.cancel()
            await asyncio.wait([task])
        if self._client is not None:
            await self._client.aclose()
        if self._engine is not None:
            await self._engine.dispose()
        self._engine = self._client = self._deliverer = None

    async def run_delivery(self) -> None:
        """Deliver webhooks until cancelled or stop(); run it in a task of its own."""
        self._delivery_task = asyncio.current_task()
        await self._started_deliverer().run(self._wake, self._poll_s)

    async def deliver_due(self) -> int:
        """One delivery pass over the outbox; returns how many events were delivered."""
        return await self._started_deliverer().deliver_due()

    def routes(self) -> list[BaseRoute]:
        """The hosted checkout pages, for the main ASGI app to mount."""
        return checkout_routes(self)

    def checkout_url(self, ref: str) -> str:
        return f"{self._public_url}/sandbox/checkout/{ref}"

    # ---- the Gateway port ----

    async def create_checkout(self, request: CheckoutRequest) -> Checkout:
        if request.amount.amount_minor <= 0:
            raise GatewayFinal("the amount must be positive")
        if len(request.description) > _MAX_DESCRIPTION_CHARS:
            raise GatewayFinal(f"the description is over {_MAX_DESCRIPTION_CHARS} characters")
        params = {
            "amount_minor": request.amount.amount_minor,
            "currency": request.amount.currency.code,
            "description": request.description,
            "capture_manual": request.capture_manual,
            "sub_order_id": request.sub_order_id,
            "order_id": request.order_id,
        }

        async def create(conn: AsyncConnection, now: datetime) -> str:
            ref = rec.new_ref("cs")
            await rec.insert_checkout(conn, ref, request, now)
            log.info("checkout %s created for sub-order %s", ref, request.sub_order_id)
            return ref

        ref = await self._once(request.idempotency_key, "create_checkout", params, create)
        return Checkout(ref=ref, url=self.checkout_url(ref))

    async def retrieve(self, checkout_ref: str) -> CheckoutState:
        async with self._tx() as conn:
            view = await rec.require_checkout(conn, checkout_ref)
        return CheckoutState(
            ref=view.ref,
            status=view.status,
            payment_ref=view.payment_ref,
            amount_minor=view.amount_minor,
            currency=view.currency,
        )

    async def cancel_checkout(self, checkout_ref: str, idempotency_key: str) -> None:
        """An open checkout can no longer be paid; a paid or closed one is left as it is."""

        async def cancel(conn: AsyncConnection, now: datetime) -> str:
            await rec.require_checkout(conn, checkout_ref)
            if await rec.move_checkout(
                conn, checkout_ref, CheckoutStatus.OPEN, CheckoutStatus.CANCELLED, now
            ):
                log.info("checkout %s cancelled", checkout_ref)
            return checkout_ref

        await self._once(idempotency_key, "cancel_checkout", {"checkout": checkout_ref}, cancel)

    async def capture(self, payment_ref: str, idempotency_key: str) -> None:
        async def capture(conn: AsyncConnection, now: datetime) -> str:
            view = await rec.require_payment(conn, payment_ref, PaymentState.AUTHORISED, "capture")
            await self._settle(conn, view, PaymentState.CAPTURED, CheckoutStatus.SUCCEEDED, now)
            await enqueue(conn, ev.PAYMENT_CAPTURED, view.event_data(), now)
            return await rec.add_action(
                conn, "capture", payment_ref, view.amount_minor, idempotency_key, now
            )

        await self._once(idempotency_key, "capture", {"payment": payment_ref}, capture)

    async def void(self, payment_ref: str, idempotency_key: str) -> None:
        async def void(conn: AsyncConnection, now: datetime) -> str:
            view = await rec.require_payment(conn, payment_ref, PaymentState.AUTHORISED, "void")
            await self._settle(conn, view, PaymentState.VOIDED, CheckoutStatus.CANCELLED, now)
            await enqueue(conn, ev.PAYMENT_VOIDED, view.event_data(), now)
            return await rec.add_action(
                conn, "void", payment_ref, view.amount_minor, idempotency_key, now
            )

        await self._once(idempotency_key, "void", {"payment": payment_ref}, void)

    async def refund(self, payment_ref: str, amount_minor: int, idempotency_key: str) -> None:
        """Refund captured money, in full or in parts; never more than was paid."""
        if not isinstance(amount_minor, int) or isinstance(amount_minor, bool) or amount_minor <= 0:
            raise GatewayFinal("the refund amount must be a positive integer")

        async def refund(conn: AsyncConnection, now: datetime) -> str:
            view = await rec.require_payment(conn, payment_ref, PaymentState.CAPTURED, "refund")
            left = view.amount_minor - view.refunded_minor
            if amount_minor > left:
                raise GatewayFinal(
                    f"cannot refund {amount_minor} of payment {payment_ref}: only {left} is left"
                )
            if not await rec.add_refund(conn, view, amount_minor, now):
                raise GatewayRetryable(f"payment {payment_ref} changed meanwhile; try again")
            await enqueue(conn, ev.PAYMENT_REFUNDED, view.event_data(amount_minor), now)
            log.info("payment %s refunded %d", payment_ref, amount_minor)
            return await rec.add_action(
                conn, "refund", payment_ref, amount_minor, idempotency_key, now
            )

        params = {"payment": payment_ref, "amount_minor": amount_minor}
        await self._once(idempotency_key, "refund", params, refund)

    def parse_webhook(
        self, body: bytes, headers: Mapping[str, str], now: datetime
    ) -> list[GatewayEvent]:
        """Verify the signature over the raw body, then parse it; WebhookRejected if invalid."""
        invariant(now.tzinfo is not None, "parse_webhook needs an aware datetime")
        verify(self._secret, body, headers, now.timestamp())
        return [ev.decode_event(self.name, body)]

    # ---- the payer's side: the hosted checkout page ----

    async def view(self, ref: str) -> CheckoutView | None:
        async with self._tx() as conn:
            return await rec.load_checkout(conn, ref)

    async def pay(self, ref: str) -> PayResult:
        """The payer pays: the checkout, its payment and its webhook event in one transaction."""
        async with self._tx() as conn:
            view = await rec.load_checkout(conn, ref)
            if view is None or view.status != CheckoutStatus.OPEN:
                return rec.refusal(view)
            now = self._clock.now()
            manual = view.capture_manual
            status = CheckoutStatus.AUTHORISED if manual else CheckoutStatus.SUCCEEDED
            state = PaymentState.AUTHORISED if manual else PaymentState.CAPTURED
            paid = replace(view, status=status, payment_ref=rec.new_ref("py"), payment_state=state)
            if not await rec.move_checkout(
                conn,
                ref,
                CheckoutStatus.OPEN,
                status,
                now,
                payment_ref=paid.payment_ref,
                payment_state=state.value,
            ):
                return rec.refusal(await rec.load_checkout(conn, ref))
            kind = ev.CHECKOUT_AUTHORISED if manual else ev.CHECKOUT_SUCCEEDED
            await enqueue(conn, kind, paid.event_data(), now)
        self._wake.set()
        log.info("checkout %s paid: payment %s %s", ref, paid.payment_ref, state)
        return PayResult.AUTHORISED if manual else PayResult.PAID

    async def decline(self, ref: str) -> PayResult:
        """The payer's card is declined: the checkout fails and says so by webhook."""
        async with self._tx() as conn:
            view = await rec.load_checkout(conn, ref)
            if view is None or view.status != CheckoutStatus.OPEN:
                return rec.refusal(view)
            now = self._clock.now()
            if not await rec.move_checkout(
                conn, ref, CheckoutStatus.OPEN, CheckoutStatus.FAILED, now
            ):
                return rec.refusal(await rec.load_checkout(conn, ref))
            await enqueue(conn, ev.CHECKOUT_FAILED, view.event_data(), now)
        self._wake.set()
        log.info("checkout %s declined", ref)
        return PayResult.DECLINED

    # ---- plumbing ----

    @asynccontextmanager
    async def _tx(self) -> AsyncIterator[AsyncConnection]:
        """One transaction; an unreachable or locked database becomes GatewayRetryable."""
        if self._engine is None:
            raise GatewayRetryable("the sandbox gateway is not started")
        try:
            async with self._engine.begin() as conn:
                yield conn
        except IntegrityError:
            raise
        except (OperationalError, InterfaceError, PoolTimeout, OSError) as exc:
            raise GatewayRetryable("sandbox database unavailable") from exc

    async def _once(
        self, key: str, operation: str, params: Mapping[str, Any], action: Action
    ) -> str:
        """Run `action` at most once per idempotency key; a replay returns the first result."""
        digest = rec.fingerprint(operation, params)
        for _ in range(2):
            try:
                async with self._tx() as conn:
                    found = await rec.recall_key(conn, key, operation, digest)
                    if found is not None:
                        return found
                    now = self._clock.now()
                    result = await action(conn, now)
                    await rec.store_key(conn, key, operation, digest, result, now)
            except IntegrityError:
                continue  # a concurrent call with the same key won: read what it stored
            self._wake.set()
            return result
        raise GatewayRetryable(f"{operation}: the idempotency key is busy; try again")

    async def _settle(
        self,
        conn: AsyncConnection,
        view: CheckoutView,
        state: PaymentState,
        status: CheckoutStatus,
        now: datetime,
    ) -> None:
        """Authorised money is captured or voided: both the payment and its checkout move."""
        invariant(view.payment_ref is not None, "a payment being settled has a ref")
        moved = await rec.move_payment(
            conn,
            view.payment_ref or "",
            PaymentState.AUTHORISED,
            now,
            payment_state=state.value,
            status=status.value,
        )
        if not moved:
            raise GatewayRetryable(f"payment {view.payment_ref} changed meanwhile; try again")
        log.info("payment %s %s", view.payment_ref, state)

    def _started_deliverer(self) -> Deliverer:
        if self._deliverer is None:
            raise RuntimeError("start() the sandbox gateway before delivering webhooks")
        return self._deliverer

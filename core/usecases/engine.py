"""The engine: Chipin's use cases over the ports, as one async facade.

An index: each method says which group of use cases does it; a group is a plain object
built on the ports (core.usecases.deps.Deps) and, where it needs them, other groups."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import NoReturn

from core.domain.codes import CodeSpec, CodeTotals, Collection, StaticCode
from core.domain.ledger.entries import LedgerEntry, PayerSecret, SignedHead
from core.domain.ledger.exports import ExportRow
from core.domain.ledger.figures import Stats
from core.domain.model import Order, OrderPost, Payee, PayeeId, Payment
from core.domain.money import Money
from core.domain.params import OrderRequest
from core.domain.passkeys import Passkey, VerifyLink
from core.domain.tries import PasswordLocks
from core.ports.store import GatewayEvent
from core.usecases.codes import CodeCard, Codes
from core.usecases.deps import CancelResult, Deps, OrderView, Outcome, Reservation
from core.usecases.holds import Holds
from core.usecases.ledger import ConsistencyProof, InclusionProof, Ledger, Receipt
from core.usecases.orders import Orders
from core.usecases.passkeys import Passkeys
from core.usecases.payments.gateway_calls import GatewayCalls
from core.usecases.payments.prechecks import Precheck, Prechecks
from core.usecases.payments.refunds_owed import RefundsOwed
from core.usecases.payments.settlement import Settlement
from core.usecases.payments.upkeep import TickReport, Upkeep
from core.usecases.pins import Pins
from core.usecases.posts import Posts
from core.usecases.records import RecordPage, RecordQuery, Records, Viewer
from core.usecases.reservations import Reservations
from core.usecases.tries import Tries


class Engine:
    """All use cases; each method is one step a user, a payee or the gateway takes."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps
        self._tries = Tries(deps)
        self._pins = Pins(deps, self._tries)
        self._passkeys = Passkeys(deps, self._tries, self._pins)
        self._codes = Codes(deps, self._tries)
        self._reservations = Reservations(deps, self._tries)
        self._refunds_owed = RefundsOwed(deps)
        # a payment the gateway released or paid after all is applied like any gateway event
        self._calls = GatewayCalls(deps, self._refunds_owed, self.apply_event)
        self._orders = Orders(deps, self._calls)
        self._holds = Holds(deps, self._calls)
        self._settlement = Settlement(deps, self._calls)
        self._upkeep = Upkeep(deps, self._calls)
        self._prechecks = Prechecks(deps)
        self._posts = Posts(deps)
        self._ledger = Ledger(deps)
        self._records = Records(deps)

    @property
    def deps(self) -> Deps:
        return self._d

    # orders and payees (core.usecases.orders)
    async def create_order(
        self,
        payee_id: PayeeId,
        req: OrderRequest,
        idempotency_key: str | None = None,
        assignees: Sequence[str] | None = None,
    ) -> OrderView:
        return await self._orders.create_order(payee_id, req, idempotency_key, assignees)

    async def get_order(self, order_id: str, payee_id: PayeeId) -> OrderView:
        return await self._orders.get_order(order_id, payee_id)

    async def public_order(self, token: str) -> OrderView:
        return await self._orders.public_order(token)

    async def list_orders(
        self, payee_id: PayeeId, limit: int, offset: int
    ) -> tuple[list[Order], int]:
        return await self._orders.list_orders(payee_id, limit, offset)

    async def cancel_order(self, order_id: str, payee_id: PayeeId) -> CancelResult:
        return await self._orders.cancel_order(order_id, payee_id)

    async def create_api_key(self, payee_name: str) -> tuple[PayeeId, str]:
        return await self._orders.create_api_key(payee_name)

    async def payee_named(self, payee_name: str) -> PayeeId:
        return await self._orders.payee_named(payee_name)

    async def authenticate(self, key: str) -> PayeeId | None:
        return await self._orders.authenticate(key)

    # a payer's part and its checkout (core.usecases.reservations)
    async def reserve(
        self,
        token: str,
        payer_ref: str,
        password: str | None = None,
        gateway: str | None = None,
        *,
        payer_name: str | None = None,
        aliases: Sequence[str] = (),
        source: str,
        hold_secret: str | None = None,
    ) -> Reservation:
        return await self._reservations.reserve(
            token,
            payer_ref,
            password,
            gateway,
            payer_name=payer_name,
            aliases=aliases,
            source=source,
            hold_secret=hold_secret,
        )

    def payment_methods(self, order: Order, *, web: bool = False) -> list[str]:
        return self._reservations.payment_methods(order, web=web)

    async def methods_for(self, order: Order, *, web: bool = False) -> list[str]:
        return await self._reservations.methods_for(order, web=web)

    # holds once taken (core.usecases.holds)
    async def held_part(self, token: str, hold_secret: str | None) -> Reservation:
        return await self._holds.held_part(token, hold_secret)

    async def release_own_hold(self, token: str, hold_secret: str | None) -> None:
        return await self._holds.release_own_hold(token, hold_secret)

    async def release_part(self, order_id: str, idx: int, payee_id: PayeeId) -> OrderView:
        return await self._holds.release_part(order_id, idx, payee_id)

    async def held_orders(self, payee_id: PayeeId) -> list[OrderView]:
        return await self._holds.held_orders(payee_id)

    # checks before a payment (core.usecases.payments.prechecks)
    async def precheck(
        self,
        gateway: str,
        checkout_ref: str,
        payer_ref: str,
        amount_minor: int,
        currency: str,
        sub_order_id: str | None = None,
    ) -> Precheck:
        return await self._prechecks.precheck(
            gateway, checkout_ref, payer_ref, amount_minor, currency, sub_order_id
        )

    # gateway events and payments (core.usecases.payments.settlement)
    async def handle_webhook(
        self, gateway: str, body: bytes, headers: Mapping[str, str]
    ) -> list[Outcome]:
        return await self._settlement.handle_webhook(gateway, body, headers)

    async def payment_of(self, gateway: str, payment_ref: str) -> Payment | None:
        return await self._settlement.payment_of(gateway, payment_ref)

    async def apply_event(self, event: GatewayEvent) -> Outcome:
        return await self._settlement.apply_event(event)

    # refunds the payee owes by hand (core.usecases.payments.refunds_owed)
    async def mark_refunded(self, payment_id: str, payee_id: PayeeId) -> Payment:
        return await self._refunds_owed.mark_refunded(payment_id, payee_id)

    # the periodic work (core.usecases.payments.upkeep)
    async def tick(self) -> TickReport:
        return await self._upkeep.tick()

    async def expire_due(self) -> int:
        return await self._upkeep.expire_due()

    async def release_lapsed_holds(self) -> int:
        return await self._upkeep.release_lapsed_holds()

    async def forget_hold_takes(self) -> int:
        return await self._upkeep.forget_hold_takes()

    async def forget_tries(self) -> int:
        return await self._upkeep.forget_tries()

    async def drive_pending(self) -> int:
        return await self._upkeep.drive_pending()

    async def reconcile(self) -> int:
        return await self._upkeep.reconcile()

    # where orders are posted in chats (core.usecases.posts)
    async def attach_post(
        self,
        order_id: str,
        chat_id: int,
        qr_message_id: int | None,
        progress_message_id: int,
        *,
        lang: str | None = None,
        payee_name: str | None = None,
    ) -> OrderPost:
        return await self._posts.attach_post(
            order_id, chat_id, qr_message_id, progress_message_id, lang=lang, payee_name=payee_name
        )

    async def posts_of(self, order_id: str) -> list[OrderPost]:
        return await self._posts.posts_of(order_id)

    async def open_orders_in_chat(self, chat_id: int) -> list[tuple[OrderPost, OrderView]]:
        return await self._posts.open_orders_in_chat(chat_id)

    async def unfinished_posts(self) -> list[OrderPost]:
        return await self._posts.unfinished_posts()

    async def final_shown(self, order_id: str, chat_id: int) -> None:
        return await self._posts.final_shown(order_id, chat_id)

    async def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> int:
        return await self._posts.migrate_chat(old_chat_id, new_chat_id)

    async def repost_progress(self, order_id: str, chat_id: int, message_id: int) -> None:
        return await self._posts.repost_progress(order_id, chat_id, message_id)

    async def mark_reminded(self, order_id: str, chat_id: int) -> None:
        return await self._posts.mark_reminded(order_id, chat_id)

    async def payee(self, payee_id: PayeeId) -> Payee | None:
        return await self._posts.payee(payee_id)

    async def order_view(self, order_id: str) -> OrderView | None:
        return await self._posts.order_view(order_id)

    # payers' payment passwords (core.usecases.pins)
    async def has_pin(self, payer_ref: str) -> bool:
        return await self._pins.has_pin(payer_ref)

    async def set_pin(self, payer_ref: str, pin: str) -> None:
        return await self._pins.set_pin(payer_ref, pin)

    async def change_pin(self, payer_ref: str, old: str, new: str) -> None:
        return await self._pins.change_pin(payer_ref, old, new)

    async def verify_pin(self, payer_ref: str, pin: str) -> None:
        return await self._pins.verify_pin(payer_ref, pin)

    # passkeys (core.usecases.passkeys)
    @property
    def passkeys_on(self) -> bool:
        return self._passkeys.passkeys_on

    async def passkeys_of(self, payer_ref: str) -> list[Passkey]:
        return await self._passkeys.passkeys_of(payer_ref)

    async def remove_passkey(self, payer_ref: str, passkey_id: str) -> bool:
        return await self._passkeys.remove_passkey(payer_ref, passkey_id)

    async def open_enrolment(self, payer_ref: str, pin: str) -> str:
        return await self._passkeys.open_enrolment(payer_ref, pin)

    async def open_passkey_check(self, payer_ref: str, order_token: str, aliases: list[str]) -> str:
        return await self._passkeys.open_passkey_check(payer_ref, order_token, aliases)

    async def passkey_link(self, token: str) -> VerifyLink:
        return await self._passkeys.passkey_link(token)

    async def passkey_options(self, token: str) -> str:
        return await self._passkeys.passkey_options(token)

    async def finish_enrolment(self, token: str, response: str, user_agent: str) -> Passkey:
        return await self._passkeys.finish_enrolment(token, response, user_agent)

    async def finish_passkey_check(self, token: str, response: str) -> None:
        return await self._passkeys.finish_passkey_check(token, response)

    async def passkey_not_verified(self, token: str, challenge_value: str) -> NoReturn:
        await self._passkeys.passkey_not_verified(token, challenge_value)

    # counted tries and an order's password locks (core.usecases.tries)
    async def password_locks(self, order_id: str, payee_id: PayeeId) -> PasswordLocks:
        return await self._tries.password_locks(order_id, payee_id)

    async def clear_password_locks(self, order_id: str, payee_id: PayeeId) -> int:
        return await self._tries.clear_password_locks(order_id, payee_id)

    # static codes and funds (core.usecases.codes)
    async def print_codes(self, count: int) -> list[StaticCode]:
        return await self._codes.print_codes(count)

    async def find_code(self, ref: str) -> StaticCode:
        return await self._codes.find_code(ref)

    async def lookup_code(self, ref: str, payee_id: PayeeId) -> StaticCode:
        return await self._codes.lookup_code(ref, payee_id)

    async def collection_of(self, payee_id: PayeeId) -> Collection | None:
        return await self._codes.collection_of(payee_id)

    async def bind_code(
        self, ref: str, payee_id: PayeeId, spec: CodeSpec, display_name: str
    ) -> StaticCode:
        return await self._codes.bind_code(ref, payee_id, spec, display_name)

    async def own_code(self, ref: str, payee_id: PayeeId) -> tuple[StaticCode, Collection]:
        return await self._codes.own_code(ref, payee_id)

    async def unbind_code(self, ref: str, payee_id: PayeeId) -> StaticCode:
        return await self._codes.unbind_code(ref, payee_id)

    async def set_code_enabled(self, ref: str, payee_id: PayeeId, enabled: bool) -> StaticCode:
        return await self._codes.set_code_enabled(ref, payee_id, enabled)

    async def move_code(self, ref: str, to_ref: str, payee_id: PayeeId) -> StaticCode:
        return await self._codes.move_code(ref, to_ref, payee_id)

    async def code_card(self, token: str) -> CodeCard:
        return await self._codes.code_card(token)

    async def pay_code(self, token: str, amount: Money) -> OrderView:
        return await self._codes.pay_code(token, amount)

    async def code_totals(self, payee_id: PayeeId, ref: str | None = None) -> list[CodeTotals]:
        return await self._codes.code_totals(payee_id, ref)

    async def code_binding_of(self, order_id: str) -> str | None:
        return await self._codes.code_binding_of(order_id)

    async def code_of_order(self, order_id: str) -> StaticCode | None:
        return await self._codes.code_of_order(order_id)

    async def post_fund(
        self, ref: str, payee_id: PayeeId, chat_id: int, message_id: int, lang: str | None
    ) -> None:
        return await self._codes.post_fund(ref, payee_id, chat_id, message_id, lang)

    async def fund_progress(
        self, binding_id: str
    ) -> tuple[CodeCard | None, list[tuple[int, int, str | None]]]:
        return await self._codes.fund_progress(binding_id)

    # the transparency ledger (core.usecases.ledger)
    async def ledger_head(self) -> SignedHead | None:
        return await self._ledger.ledger_head()

    async def sign_head(self, *, force: bool = False) -> SignedHead:
        return await self._ledger.sign_head(force=force)

    async def inclusion(self, index: int, tree_size: int) -> InclusionProof:
        return await self._ledger.inclusion(index, tree_size)

    async def consistency(self, first: int, second: int) -> ConsistencyProof:
        return await self._ledger.consistency(first, second)

    async def receipt_entry(
        self, payment_id: str, *, payer_ref: str | None = None, payee_id: str | None = None
    ) -> tuple[LedgerEntry, PayerSecret]:
        return await self._ledger.receipt_entry(payment_id, payer_ref=payer_ref, payee_id=payee_id)

    async def receipt(
        self, payment_id: str, *, payer_ref: str | None = None, payee_id: str | None = None
    ) -> Receipt:
        return await self._ledger.receipt(payment_id, payer_ref=payer_ref, payee_id=payee_id)

    # a user's own records (core.usecases.records)
    async def viewer(
        self, *, payer_ref: str | None = None, payee_id: PayeeId | None = None
    ) -> Viewer:
        return await self._records.viewer(payer_ref=payer_ref, payee_id=payee_id)

    async def records(self, user: Viewer, q: RecordQuery) -> RecordPage:
        return await self._records.records(user, q)

    async def stats(
        self, payee_id: PayeeId, since: datetime | None = None, until: datetime | None = None
    ) -> Stats:
        return await self._records.stats(payee_id, since, until)

    async def export_rows(
        self,
        payee_id: PayeeId,
        since: datetime | None = None,
        until: datetime | None = None,
        order_id: str | None = None,
    ) -> list[ExportRow]:
        return await self._records.export_rows(payee_id, since, until, order_id)

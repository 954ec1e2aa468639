"""The engine: Chipin's use cases over the ports, as one async facade.

An index: each use case is one line naming the group of use cases that does it; a group is
a plain object built on the ports (core.usecases.deps.Deps) and, where it needs them, other
groups. Calling `engine.reserve(...)` calls the group's own method, with its own signature."""

from __future__ import annotations

from core.ports.store import GatewayEvent
from core.usecases.codes import Codes
from core.usecases.deps import Deps, Outcome
from core.usecases.holds import Holds
from core.usecases.ledger import Ledger
from core.usecases.methods import Methods
from core.usecases.orders import Orders
from core.usecases.outbox import Outbox
from core.usecases.passkeys import Passkeys
from core.usecases.payments.gateway_calls import GatewayCalls
from core.usecases.payments.prechecks import Prechecks
from core.usecases.payments.refunds_owed import RefundsOwed
from core.usecases.payments.settlement import Settlement
from core.usecases.payments.statements import Statements
from core.usecases.payments.transfers import Transfers
from core.usecases.payments.upkeep import Upkeep
from core.usecases.payouts import Payouts
from core.usecases.pins import Pins
from core.usecases.posts import Posts
from core.usecases.records import Records
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
        self._refunds_owed = RefundsOwed(deps)
        self._calls = GatewayCalls(deps, self._refunds_owed, self._apply_event)
        self._transfers = Transfers(deps, self._calls)
        self._payouts = Payouts(deps)
        self._reservations = Reservations(deps, self._tries, self._transfers, self._payouts)
        self._methods = Methods(deps)
        self._statements = Statements(deps, self._calls)
        self._orders = Orders(deps, self._calls)
        self._ledger = Ledger(deps)
        self._holds = Holds(deps, self._calls, self._ledger)
        self._settlement = Settlement(deps, self._calls)
        self._upkeep = Upkeep(deps, self._calls)
        self._prechecks = Prechecks(deps)
        self._posts = Posts(deps)
        self._records = Records(deps)
        self._outbox = Outbox(deps)
        # The index: each use case, under the group that does it.
        # orders and payees (core.usecases.orders)
        self.create_order = self._orders.create_order
        self.get_order = self._orders.get_order
        self.public_order = self._orders.public_order
        self.list_orders = self._orders.list_orders
        self.cancel_order = self._orders.cancel_order
        self.create_api_key = self._orders.create_api_key
        self.payee_named = self._orders.payee_named
        self.authenticate = self._orders.authenticate

        # a payer's part and its checkout (core.usecases.reservations)
        self.reserve = self._reservations.reserve
        self.payment_methods = self._reservations.payment_methods
        self.methods_for = self._reservations.methods_for

        # a payee's own receiving methods (core.usecases.methods)
        self.methods_of = self._methods.methods_of
        self.add_method = self._methods.add_method
        self.remove_method = self._methods.remove_method

        # a payee's payout account: cards pay into it (core.usecases.payouts)
        self.payout_account = self._payouts.payout_account
        self.connect_payouts = self._payouts.connect_payouts
        self.disconnect_payouts = self._payouts.disconnect_payouts
        self.payout_return = self._payouts.payout_return
        self.payout_refresh = self._payouts.payout_refresh
        self.handle_account_webhook = self._payouts.handle_account_webhook
        self.sync_payout_account = self._payouts.sync_payout_account
        self.card_paused = self._payouts.card_paused
        self.card_payout = self._payouts.card_payout

        # transfers into the payee's own account (core.usecases.payments.transfers)
        self.payee_methods_for = self._transfers.methods_for_order
        self.transfer_instructions = self._transfers.transfer_instructions
        self.claim_transfer = self._transfers.claim_transfer
        self.let_transfer_go = self._transfers.let_transfer_go
        self.confirm_transfer = self._transfers.confirm_transfer
        self.deny_transfer = self._transfers.deny_transfer
        self.claims_of = self._transfers.claims_of
        self.owed_returns = self._transfers.owed_returns

        # bank statements (core.usecases.payments.statements)
        self.read_statement = self._statements.read_statement
        self.import_statement = self._statements.import_statement
        self.statement_lines = self._statements.statement_lines

        # holds once taken (core.usecases.holds)
        self.held_part = self._holds.held_part
        self.own_part = self._holds.own_part
        self.checkout_part = self._holds.checkout_part
        self.payer_receipt = self._holds.payer_receipt
        self.receipt_by_key = self._holds.receipt_by_key
        self.release_own_hold = self._holds.release_own_hold
        self.release_part = self._holds.release_part
        self.held_orders = self._holds.held_orders

        # checks before a payment (core.usecases.payments.prechecks)
        self.precheck = self._prechecks.precheck

        # gateway events and payments (core.usecases.payments.settlement)
        self.handle_webhook = self._settlement.handle_webhook
        self.payment_of = self._settlement.payment_of
        self.apply_event = self._settlement.apply_event

        # refunds the payee owes by hand (core.usecases.payments.refunds_owed)
        self.mark_refunded = self._refunds_owed.mark_refunded

        # the periodic work (core.usecases.payments.upkeep)
        self.tick = self._upkeep.tick
        self.expire_due = self._upkeep.expire_due
        self.release_lapsed_holds = self._upkeep.release_lapsed_holds
        self.forget_hold_takes = self._upkeep.forget_hold_takes
        self.forget_tries = self._upkeep.forget_tries
        self.drive_pending = self._upkeep.drive_pending
        self.reconcile = self._upkeep.reconcile

        # where orders are posted in chats (core.usecases.posts)
        self.attach_post = self._posts.attach_post
        self.posts_of = self._posts.posts_of
        self.open_orders_in_chat = self._posts.open_orders_in_chat
        self.unfinished_posts = self._posts.unfinished_posts
        self.final_shown = self._posts.final_shown
        self.migrate_chat = self._posts.migrate_chat
        self.repost_progress = self._posts.repost_progress
        self.remind = self._posts.remind
        self.set_shown = self._posts.set_shown
        self.payee = self._posts.payee
        self.order_view = self._posts.order_view

        # payers' payment passwords (core.usecases.pins)
        self.has_pin = self._pins.has_pin
        self.set_pin = self._pins.set_pin
        self.change_pin = self._pins.change_pin
        self.verify_pin = self._pins.verify_pin

        # passkeys (core.usecases.passkeys)
        self.passkeys_of = self._passkeys.passkeys_of
        self.remove_passkey = self._passkeys.remove_passkey
        self.open_enrolment = self._passkeys.open_enrolment
        self.open_passkey_check = self._passkeys.open_passkey_check
        self.passkey_link = self._passkeys.passkey_link
        self.passkey_options = self._passkeys.passkey_options
        self.finish_enrolment = self._passkeys.finish_enrolment
        self.finish_passkey_check = self._passkeys.finish_passkey_check
        self.passkey_not_verified = self._passkeys.passkey_not_verified

        # counted tries and an order's password locks (core.usecases.tries)
        self.password_locks = self._tries.password_locks
        self.clear_password_locks = self._tries.clear_password_locks

        # static codes and funds (core.usecases.codes)
        self.print_codes = self._codes.print_codes
        self.find_code = self._codes.find_code
        self.lookup_code = self._codes.lookup_code
        self.collection_of = self._codes.collection_of
        self.bind_code = self._codes.bind_code
        self.own_code = self._codes.own_code
        self.unbind_code = self._codes.unbind_code
        self.set_code_enabled = self._codes.set_code_enabled
        self.move_code = self._codes.move_code
        self.code_card = self._codes.code_card
        self.pay_code = self._codes.pay_code
        self.code_totals = self._codes.code_totals
        self.code_binding_of = self._codes.code_binding_of
        self.code_of_order = self._codes.code_of_order
        self.post_fund = self._codes.post_fund
        self.fund_progress = self._codes.fund_progress

        # the transparency ledger (core.usecases.ledger)
        self.ledger_head = self._ledger.ledger_head
        self.sign_head = self._ledger.sign_head
        self.inclusion = self._ledger.inclusion
        self.consistency = self._ledger.consistency
        self.receipt_entry = self._ledger.receipt_entry
        self.receipt = self._ledger.receipt

        # a user's own records (core.usecases.records)
        self.viewer = self._records.viewer
        self.records = self._records.records
        self.stats = self._records.stats
        self.export_rows = self._records.export_rows

        # what must reach people, kept until it has (core.usecases.outbox)
        self.due_events = self._outbox.due_events
        self.finish_event = self._outbox.finish_event
        self.due_letters = self._outbox.due_letters
        self.letter_sending = self._outbox.letter_sending
        self.letter_sent = self._outbox.letter_sent
        self.letter_failed = self._outbox.letter_failed
        self.letter_retry = self._outbox.letter_retry
        self.letter_held = self._outbox.letter_held
        self.hurry_letters = self._outbox.hurry_letters
        self.release_held = self._outbox.release_held
        self.resend_in_flight = self._outbox.resend_in_flight
        self.outbox_depth = self._outbox.outbox_depth
        self.purge_outbox = self._outbox.purge_outbox

    @property
    def deps(self) -> Deps:
        return self._d

    @property
    def passkeys_on(self) -> bool:
        return self._passkeys.passkeys_on

    async def _apply_event(self, event: GatewayEvent) -> Outcome:
        """For GatewayCalls, built before Settlement: a payment the gateway released or paid
        after all is applied like any gateway event."""
        return await self._settlement.apply_event(event)

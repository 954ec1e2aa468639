"""The database schema as SQLAlchemy Core tables; migrations/versions must match it exactly."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from core.domain.codes import CodeState
from core.domain.model import OrderState, PaymentStatus, SubOrderState
from core.domain.outbox import LetterState
from core.domain.payouts import PayoutState

# Deterministic constraint names, identical on SQLite and PostgreSQL, so migrations can
# refer to them later.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

# Sub-order states in which a payer holds the sub-order: one per payer and order.
_HELD_SQL = sa.text("state IN ('reserved', 'claimed', 'paid')")


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    PostgreSQL: TIMESTAMP WITH TIME ZONE. SQLite: SQLAlchemy's fixed-width text
    ('YYYY-MM-DD HH:MM:SS.ffffff', always UTC), so comparisons in SQL are correct.
    Naive datetimes are refused rather than guessed.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware UTC datetime")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {type(value).__name__}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _state(name: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    listed = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{name} IN ({listed})", name=name)


ORDER_STATES = tuple(s.value for s in OrderState)
SUB_ORDER_STATES = tuple(s.value for s in SubOrderState)
PAYMENT_STATUSES = tuple(s.value for s in PaymentStatus)

payees = sa.Table(
    "payees",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),  # blind index (0005)
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("name_sealed", sa.Text(), nullable=True),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("key_hash", sa.String(200), primary_key=True),
    sa.Column("payee_id", sa.String(64), sa.ForeignKey("payees.id"), nullable=False, index=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

orders = sa.Table(
    "orders",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("token", sa.String(128), nullable=False, unique=True),
    sa.Column("payee_id", sa.String(64), sa.ForeignKey("payees.id"), nullable=False),
    sa.Column("title", sa.Text(), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("total_minor", sa.BigInteger(), nullable=False),
    sa.Column("n", sa.Integer(), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("mode", sa.String(16), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("password_hash", sa.Text(), nullable=True),
    sa.Column("hold_s", sa.Integer(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
    sa.Column("closed_at", UtcDateTime(), nullable=True),
    sa.Column("paid_count", sa.Integer(), nullable=False),
    sa.Column("paid_minor", sa.BigInteger(), nullable=False),
    sa.Column("refunded_minor", sa.BigInteger(), nullable=False),
    sa.Column("idempotency_key", sa.Text(), nullable=True),
    # parts one source may hold at once (core.domain.holds, 0011); NULL: the default
    sa.Column("holds_per_source", sa.Integer(), nullable=True),
    # the payee's payout account its card parts pay into (core.domain.payouts, 0015)
    sa.Column("card_account", sa.String(255), nullable=True, index=True),
    # the name payers see for the payee, when chosen (0016); sealed only: shown, never looked up
    sa.Column("payee_display_name_sealed", sa.Text(), nullable=True),
    # core.domain.params.OrderRequest.fingerprint of the request under idempotency_key (0016)
    sa.Column("request_hash", sa.String(64), nullable=True),
    sa.UniqueConstraint("payee_id", "idempotency_key"),
    # The exactly-N cap, once more as a last line of defence under the conditional UPDATE.
    sa.CheckConstraint("paid_count >= 0 AND paid_count <= n", name="paid_count_within_n"),
    _state("state", ORDER_STATES),
    sa.Index(None, "state", "expires_at"),
    sa.Index(None, "payee_id", "created_at"),
)

sub_orders = sa.Table(
    "sub_orders",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("order_id", sa.String(64), sa.ForeignKey("orders.id"), nullable=False),
    sa.Column("idx", sa.Integer(), nullable=False),
    sa.Column("amount_minor", sa.BigInteger(), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("payer_ref", sa.String(200), nullable=True),  # blind index (0005)
    sa.Column("hold_until", UtcDateTime(), nullable=True),
    sa.Column("hold_seq", sa.Integer(), nullable=False),
    sa.Column("gateway", sa.String(32), nullable=True),
    sa.Column("checkout_ref", sa.Text(), nullable=True),
    sa.Column("checkout_url", sa.Text(), nullable=True),
    sa.Column("paid_at", UtcDateTime(), nullable=True),
    sa.Column("payer_name", sa.String(200), nullable=True),  # pre-0005 clear value: storage.sealing
    sa.Column("assignee", sa.String(64), nullable=True),  # blind index (0005)
    sa.Column("payer_sealed", sa.Text(), nullable=True),
    sa.Column("payer_name_sealed", sa.Text(), nullable=True),
    sa.Column("assignee_sealed", sa.Text(), nullable=True),
    # who took the hold, as limits count them (core.domain.holds, 0011): a blind index, never read
    sa.Column("source", sa.String(64), nullable=True),
    # SHA-256 (hex) of the secret the hold's reservation returned once (0011)
    sa.Column("hold_secret_hash", sa.String(64), nullable=True),
    _state("state", SUB_ORDER_STATES),
    # close_open_sub_orders relies on these: a payer_ref marks exactly the held rows.
    sa.CheckConstraint(
        "state <> 'available' OR (payer_ref IS NULL AND hold_until IS NULL)",
        name="available_is_unheld",
    ),
    sa.CheckConstraint(
        "state NOT IN ('reserved', 'claimed', 'paid') OR payer_ref IS NOT NULL",
        name="held_has_payer",
    ),
    sa.Index(None, "order_id", "idx", unique=True),
    sa.Index(None, "gateway", "checkout_ref"),
    sa.Index(None, "state", "hold_until"),
    # One held sub-order per payer and order, even when the same payer reserves twice at once.
    sa.Index(
        "uq_sub_orders_payer_held",
        "order_id",
        "payer_ref",
        unique=True,
        sqlite_where=_HELD_SQL,
        postgresql_where=_HELD_SQL,
    ),
)

# New holds per source and order in the current window (core.domain.holds, 0011): a reservation
# upserts its source's row, which keeps parallel takes of one source in line.
hold_takes = sa.Table(
    "hold_takes",
    metadata,
    sa.Column("order_id", sa.String(64), sa.ForeignKey("orders.id"), primary_key=True),
    sa.Column("source", sa.String(64), primary_key=True),  # blind index
    sa.Column("window_start", UtcDateTime(), nullable=False, index=True),
    sa.Column("takes", sa.Integer(), nullable=False),
)

gateway_events = sa.Table(
    "gateway_events",
    metadata,
    sa.Column("gateway", sa.String(32), primary_key=True),
    sa.Column("event_id", sa.Text(), primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("received_at", UtcDateTime(), nullable=False),
)

payments = sa.Table(
    "payments",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("gateway", sa.String(32), nullable=False),
    sa.Column("payment_ref", sa.Text(), nullable=False),
    sa.Column("checkout_ref", sa.Text(), nullable=False),
    sa.Column("order_id", sa.String(64), sa.ForeignKey("orders.id"), nullable=True, index=True),
    sa.Column("sub_order_id", sa.String(64), sa.ForeignKey("sub_orders.id"), nullable=True),
    sa.Column("amount_minor", sa.BigInteger(), nullable=False),
    # Whatever the gateway reported (it may not be a currency we know), hence not String(3).
    sa.Column("currency", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("counted", sa.Boolean(), nullable=False),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("last_error", sa.Text(), nullable=True),
    # how it came to count (core.domain.model.Settled, 0014): gateway, payee or statement
    sa.Column("settled_by", sa.String(16), nullable=False, server_default="gateway"),
    # a destination charge (0015): the payee's account it went to, the platform's fee out of it
    sa.Column("payout_account", sa.String(255), nullable=True),
    sa.Column("fee_minor", sa.BigInteger(), nullable=False, server_default="0"),
    sa.UniqueConstraint("gateway", "payment_ref"),
    _state("status", PAYMENT_STATUSES),
)

# Checkouts no reservation holds that may still take money, until the gateway confirmed
# them closed (core.domain.model.CheckoutRef): reconciliation retries them, longest unchecked first.
loose_checkouts = sa.Table(
    "loose_checkouts",
    metadata,
    sa.Column("gateway", sa.String(32), primary_key=True),
    sa.Column("checkout_ref", sa.Text(), primary_key=True),
    sa.Column("sub_order_id", sa.String(64), nullable=False),
    sa.Column("cancel_key", sa.Text(), nullable=False),
    sa.Column("since", UtcDateTime(), nullable=False),
    sa.Column("checked_at", UtcDateTime(), nullable=False, index=True),
)

# Voids the gateway reported before the authorisation they void: that one is not counted.
early_voids = sa.Table(
    "early_voids",
    metadata,
    sa.Column("gateway", sa.String(32), primary_key=True),
    sa.Column("payment_ref", sa.Text(), primary_key=True),
    sa.Column("received_at", UtcDateTime(), nullable=False),
)

# A subject's counted tries (core.domain.tries): a payer's payment password, one source's tries at
# an order's password (order_id set, 0012), a payee's code look-ups.
payer_auth = sa.Table(
    "payer_auth",
    metadata,
    sa.Column("payer_ref", sa.String(64), primary_key=True),  # blind index (0005)
    sa.Column("pin_hash", sa.Text(), nullable=True),
    sa.Column("failures", sa.Integer(), nullable=False),
    sa.Column("lockouts", sa.Integer(), nullable=False),
    sa.Column("locked_until", UtcDateTime(), nullable=True),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("payer_sealed", sa.Text(), nullable=True),
    sa.Column("order_id", sa.String(64), nullable=True, index=True),
    sa.Column("last_try_at", UtcDateTime(), nullable=True),
)

# Tries taken and not resolved yet; one older than core.domain.tries.TRY_TTL_S no longer counts.
pending_tries = sa.Table(
    "pending_tries",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("subject", sa.String(64), nullable=False, index=True),  # payer_auth's blind index
    sa.Column("taken_at", UtcDateTime(), nullable=False),
)

# Wrong passwords of an order from every source, in a window from the first (core.domain.tries).
order_guesses = sa.Table(
    "order_guesses",
    metadata,
    sa.Column("order_id", sa.String(64), sa.ForeignKey("orders.id"), primary_key=True),
    sa.Column("started_at", UtcDateTime(), nullable=False),
    sa.Column("failures", sa.Integer(), nullable=False),
    sa.Column("attacked_at", UtcDateTime(), nullable=True),
)

order_posts = sa.Table(
    "order_posts",
    metadata,
    sa.Column("order_id", sa.String(64), sa.ForeignKey("orders.id"), primary_key=True),
    sa.Column("chat_id", sa.BigInteger(), primary_key=True),
    sa.Column("qr_message_id", sa.BigInteger(), nullable=True),
    sa.Column("progress_message_id", sa.BigInteger(), nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("reminded_at", UtcDateTime(), nullable=True),
    sa.Column("lang", sa.String(16), nullable=True),
    sa.Column("payee_name", sa.String(200), nullable=True),  # pre-0005 clear value: storage.sealing
    sa.Column("payee_name_sealed", sa.Text(), nullable=True),
    # Its progress message shows the closed order's final state: start-up skips it (0007).
    sa.Column("final_shown", sa.Boolean(), nullable=False, server_default=sa.false()),
    # A hash of the text and buttons its progress message shows (bot.views.progress_key, 0013):
    # start-up edits only the messages whose order changed meanwhile.
    sa.Column("shown_key", sa.String(64), nullable=True),
    sa.Index(None, "chat_id"),
)

# ---- the outbox (core.domain.outbox) ----

# An integer primary key that counts up on both backends (SQLite: its rowid).
_SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

outbox_events = sa.Table(
    "outbox_events",
    metadata,
    sa.Column("id", _SERIAL, primary_key=True, autoincrement=True),
    sa.Column("order_id", sa.String(64), nullable=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("body_sealed", sa.Text(), nullable=False),  # the event's JSON, sealed
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("done_at", UtcDateTime(), nullable=True),
    # the relay's look-up: events not done yet, by id
    sa.Index(
        "ix_outbox_events_waiting",
        "id",
        sqlite_where=sa.text("done_at IS NULL"),
        postgresql_where=sa.text("done_at IS NULL"),
    ),
)

_LETTER_STATES = tuple(s.value for s in LetterState)

outbox_letters = sa.Table(
    "outbox_letters",
    metadata,
    sa.Column("id", _SERIAL, primary_key=True, autoincrement=True),
    # A group's id, or a person's private chat as payer_ref's blind index of "tg:<id>" (the
    # id itself is only in the sealed body): letters are taken in order per chat by this key.
    sa.Column("chat_key", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("body_sealed", sa.Text(), nullable=False),  # text, buttons, fallback: sealed
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("tries", sa.Integer(), nullable=False),
    sa.Column("next_at", UtcDateTime(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("done_at", UtcDateTime(), nullable=True),
    sa.Column("error", sa.String(200), nullable=True),
    _state("state", _LETTER_STATES),
    # the postman's look-up: waiting letters by id; /start's: a chat's held ones
    sa.Index(
        "ix_outbox_letters_waiting",
        "id",
        sqlite_where=sa.text("state IN ('pending', 'sending')"),
        postgresql_where=sa.text("state IN ('pending', 'sending')"),
    ),
    sa.Index(None, "chat_key", "state"),
)

# ---- the transparency ledger (core.domain.ledger.entries) ----

ledger_entries = sa.Table(
    "ledger_entries",
    metadata,
    sa.Column("idx", sa.BigInteger(), primary_key=True, autoincrement=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("order_id", sa.String(64), nullable=True),
    sa.Column("payee_id", sa.String(64), nullable=True),
    sa.Column("sub_order_id", sa.String(64), nullable=True),
    sa.Column("payment_id", sa.String(64), nullable=True),
    sa.Column("amount_minor", sa.BigInteger(), nullable=False),
    sa.Column("currency", sa.String(16), nullable=False),
    sa.Column("payer_commitment", sa.String(64), nullable=True),
    sa.Column("note", sa.Text(), nullable=False),
    # SHA-256 leaf hash as recorded at append time (hex): proofs read it; verify recomputes it.
    sa.Column("leaf_hash", sa.String(64), nullable=False),
    # Personal data, never in the leaf: a keyed blind index to find a payer's entries, and
    # the sealed (encrypted) payer id, name and commitment salt.
    sa.Column("payer_index", sa.String(64), nullable=True),
    sa.Column("payer_sealed", sa.Text(), nullable=True),
    # the payment's method (a gateway's name, or sepa, pix, upi) and how it was settled (0014)
    sa.Column("method", sa.String(32), nullable=True),
    sa.Column("settled", sa.String(16), nullable=True),
    # a card payment into the payee's own account (0015): "payee", and the platform's fee
    sa.Column("account", sa.String(16), nullable=True),
    sa.Column("fee_minor", sa.BigInteger(), nullable=True),
    sa.Index(None, "payee_id", "at"),
    sa.Index(None, "payer_index", "at"),
    sa.Index(None, "payment_id"),
    sa.Index(None, "order_id"),
)

# One row: the ledger's size. Appending takes this row's lock last, just before commit.
ledger_state = sa.Table(
    "ledger_state",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("size", sa.BigInteger(), nullable=False),
)

ledger_heads = sa.Table(
    "ledger_heads",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("tree_size", sa.BigInteger(), nullable=False),
    sa.Column("root_hash", sa.String(64), nullable=False),
    sa.Column("timestamp_ms", sa.BigInteger(), nullable=False),
    sa.Column("key_id", sa.String(100), nullable=False),
    sa.Column("signature", sa.Text(), nullable=False),
    sa.Index(None, "tree_size"),
)

# Chipin's own keys and certificates: the root CA, head-signing keys, data keys.
# Private keys are wrapped (encrypted) under a key derived from CHIPIN_SECRET_KEY.
trust_keys = sa.Table(
    "trust_keys",
    metadata,
    sa.Column("id", sa.String(100), primary_key=True),
    sa.Column("purpose", sa.String(32), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("retired_at", UtcDateTime(), nullable=True),
    sa.Column("certificate", sa.Text(), nullable=True),
    sa.Column("wrapped_key", sa.Text(), nullable=False),
    sa.Index(None, "purpose"),
)

# Passkeys (WebAuthn credentials), their one-time page links and live challenges (0008).
# payer_ref is a blind index beside payer_sealed, as in payer_auth; device names are sealed.
passkeys = sa.Table(
    "passkeys",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("payer_ref", sa.String(64), nullable=False),  # blind index
    sa.Column("payer_sealed", sa.Text(), nullable=False),
    sa.Column("credential_id", sa.String(1400), nullable=False, unique=True),  # base64url
    sa.Column("public_key", sa.LargeBinary(), nullable=False),  # COSE key
    sa.Column("sign_count", sa.BigInteger(), nullable=False),
    sa.Column("device_name_sealed", sa.Text(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("last_used_at", UtcDateTime(), nullable=True),
    sa.Index(None, "payer_ref"),
)

passkey_links = sa.Table(
    "passkey_links",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),  # SHA-256 of the link's token
    sa.Column("payer_ref", sa.String(64), nullable=False),  # blind index
    sa.Column("payer_sealed", sa.Text(), nullable=False),
    sa.Column("purpose", sa.String(8), nullable=False),
    sa.Column("order_id", sa.String(64), nullable=True),
    sa.Column("order_token", sa.String(128), nullable=True),
    sa.Column("sub_order_id", sa.String(64), nullable=True),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
    sa.Column("spent_at", UtcDateTime(), nullable=True),
    sa.Index(None, "expires_at"),
)

passkey_challenges = sa.Table(
    "passkey_challenges",
    metadata,
    sa.Column("value", sa.String(128), primary_key=True),  # base64url, as the client echoes it
    sa.Column("link_hash", sa.String(64), nullable=False),
    sa.Column("payer_ref", sa.String(64), nullable=False),  # blind index
    sa.Column("payer_sealed", sa.Text(), nullable=False),
    sa.Column("sub_order_id", sa.String(64), nullable=True),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
    sa.Index(None, "expires_at"),
)

# ---- static codes (core.domain.codes): printed first, bound to a payee's collection later ----

CODE_STATES = tuple(s.value for s in CodeState)

# A payee's pseudonymous collection ID: it stands for the payee in links, webhooks, records.
collections = sa.Table(
    "collections",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("payee_id", sa.String(64), sa.ForeignKey("payees.id"), nullable=False, unique=True),
    sa.Column("display_name_sealed", sa.Text(), nullable=False),
    sa.Column("modes", sa.Text(), nullable=False),  # gateway names, comma-separated
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

static_codes = sa.Table(
    "static_codes",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("token", sa.String(128), nullable=False, unique=True),
    sa.Column("short", sa.String(16), nullable=False, unique=True),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column(
        "collection_id", sa.String(64), sa.ForeignKey("collections.id"), nullable=True, index=True
    ),
    sa.Column("binding_id", sa.String(64), nullable=True, unique=True),
    sa.Column("kind", sa.String(16), nullable=True),
    sa.Column("title", sa.Text(), nullable=True),
    sa.Column("currency", sa.String(3), nullable=True),
    sa.Column("min_minor", sa.BigInteger(), nullable=True),
    sa.Column("max_minor", sa.BigInteger(), nullable=True),
    sa.Column("goal_minor", sa.BigInteger(), nullable=True),
    sa.Column("deadline", UtcDateTime(), nullable=True),
    sa.Column("bound_at", UtcDateTime(), nullable=True),
    sa.Column("goal_reached_at", UtcDateTime(), nullable=True),
    # the collector's name payers see, chosen at this binding (0010); NULL: the collection's
    sa.Column("display_name_sealed", sa.Text(), nullable=True),
    _state("state", CODE_STATES),
    sa.CheckConstraint(
        "(state = 'unbound') = (binding_id IS NULL AND collection_id IS NULL)",
        name="bound_has_binding",
    ),
)

# The one-part orders payers made by paying a code, under the binding they paid.
code_orders = sa.Table(
    "code_orders",
    metadata,
    sa.Column("order_id", sa.String(64), sa.ForeignKey("orders.id"), primary_key=True),
    sa.Column("code_id", sa.String(64), sa.ForeignKey("static_codes.id"), nullable=False),
    sa.Column("binding_id", sa.String(64), nullable=False, index=True),
)

# A fund's live progress messages in groups.
code_posts = sa.Table(
    "code_posts",
    metadata,
    sa.Column("binding_id", sa.String(64), primary_key=True),
    sa.Column("chat_id", sa.BigInteger(), primary_key=True),
    sa.Column("message_id", sa.BigInteger(), nullable=False),
    sa.Column("lang", sa.String(16), nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)


# ---- money straight to the payee (core.domain.methods, 0014) ----

# A payee's own receiving methods, one per kind; every detail (holder, account) sealed.
payee_methods = sa.Table(
    "payee_methods",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("payee_id", sa.String(64), sa.ForeignKey("payees.id"), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("details_sealed", sa.Text(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("payee_id", "kind"),
)

# Every transfer reference issued to a payer, kept after its hold ends so money that comes
# later is still recognised; claimed_at, utr and payment_id follow the transfer.
transfer_refs = sa.Table(
    "transfer_refs",
    metadata,
    sa.Column("reference", sa.String(32), primary_key=True),
    sa.Column("order_id", sa.String(64), sa.ForeignKey("orders.id"), nullable=False, index=True),
    sa.Column("sub_order_id", sa.String(64), nullable=False),
    sa.Column("payee_id", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("amount_minor", sa.BigInteger(), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("payer_ref", sa.String(64), nullable=False),  # blind index
    sa.Column("payer_sealed", sa.Text(), nullable=False),
    sa.Column("payer_name_sealed", sa.Text(), nullable=True),
    sa.Column("issued_at", UtcDateTime(), nullable=False),
    sa.Column("claimed_at", UtcDateTime(), nullable=True),
    sa.Column("utr_sealed", sa.Text(), nullable=True),
    sa.Column("payment_id", sa.String(64), nullable=True),
    # the payee said a claimed transfer has not arrived (its part freed, or its order over)
    sa.Column("denied_at", UtcDateTime(), nullable=True),
    sa.Index(None, "payee_id", "issued_at"),
)

# Each bank-statement line a payee imported, by its hash: importing it again changes nothing.
statement_lines = sa.Table(
    "statement_lines",
    metadata,
    sa.Column("line_hash", sa.String(64), primary_key=True),
    sa.Column("payee_id", sa.String(64), nullable=False),
    sa.Column("imported_at", UtcDateTime(), nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("amount_minor", sa.BigInteger(), nullable=False),
    sa.Column("currency", sa.String(16), nullable=False),
    sa.Column("reference", sa.String(32), nullable=True),
    sa.Column("payment_id", sa.String(64), nullable=True),
    sa.Column("details_sealed", sa.Text(), nullable=False),  # date, counterparty, texts
    sa.Index(None, "payee_id", "imported_at"),
)


# ---- card money straight to the payee (core.domain.payouts, 0015) ----

PAYOUT_STATES = tuple(s.value for s in PayoutState)

# A payee's account at a gateway (Stripe Connect), one per gateway, as last heard of.
payout_accounts = sa.Table(
    "payout_accounts",
    metadata,
    sa.Column("payee_id", sa.String(64), sa.ForeignKey("payees.id"), primary_key=True),
    sa.Column("gateway", sa.String(32), primary_key=True),
    sa.Column("account_id", sa.String(255), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("reason", sa.String(64), nullable=False),
    sa.Column("due", sa.Text(), nullable=False),  # requirement names, one per line
    sa.Column("deadline", UtcDateTime(), nullable=True),
    sa.Column("payouts_enabled", sa.Boolean(), nullable=False),
    sa.Column("connected_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("gateway", "account_id"),
    _state("state", PAYOUT_STATES),
)

"""Every callback-data prefix of the bot's buttons and every key it keeps in PTB's data dicts.

One home for both so that no two features can route the same button or overwrite each
other's data (tests/bot/test_callbacks.py checks it). Dialog state is not kept there: it
is in the DialogStore (core.domain.dialogs, core.ports.dialogs). It sits in bot.views, not
bot.chat, because the progress message's buttons are drawn here (bot.views.progress) and
handled there, and views may not import handlers.

Callback data goes out in messages already posted in live chats: the values never change.
"""

from __future__ import annotations

CALLBACK_MAX = 64  # bytes of callback data Telegram keeps

# ---- callback data: a button's data starts with one of these (no one a prefix of another) ----

REMIND_PREFIX = "rem:"  # + order id: the progress message's Remind
CANCEL_PREFIX = "can:"  # + order id: the progress message's Cancel
PAY_PREFIX = "pay:"  # + order token: pay a part from the private chat
PIN_DIGIT_PREFIX = "k:"  # + digit or delete: the PIN keypad
GATEWAY_CHOICE_PREFIX = "gw:"  # + gateway name ':' order token: how to pay
REFUNDED_PREFIX = "rfd:"  # + payment id: the payee gave an owed payment back
HISTORY_PREFIX = "h:"  # + page ':' month ':' order id: /history's pages
PROOF_PREFIX = "rf:"  # + payment id: a receipt's proof file
RELEASE_PREFIX = "hrl:"  # + order id ':' part index: /holds' Release
CLEAR_LOCKS_PREFIX = "pwl:"  # + order id: clear an order's password locks
PASSKEY_ADD_DATA = "pka"  # the whole data: add a passkey
PASSKEY_REMOVE_PREFIX = "pkr:"  # + passkey id
PASSKEY_CHECK_PREFIX = "pkp:"  # + order token: check with a passkey
CODE_BIND_PREFIX = "cb:"  # + code token: 'bind this code to me', on an unbound code
CODE_KIND_PREFIX = "ck:"  # + code kind: binding a code
CODE_NAME_PREFIX = "cn:"  # the whole data: bind the code under my own name
CODE_ACTION_PREFIX = "cc:"  # + action ':' code short id: /codes' buttons
CODE_AMOUNT_PREFIX = "am:"  # + key: the amount keypad of a static code
TRANSFER_PAID_PREFIX = "tp:"  # + method kind ':' order token: "I've paid" a bank transfer
TRANSFER_LET_GO_PREFIX = "tl:"  # + transfer reference: let my part go (before paying)
CLAIM_RECEIVED_PREFIX = "cy:"  # + transfer reference: the payee says it arrived
CLAIM_MISSING_PREFIX = "cx:"  # + transfer reference: the payee says it has not arrived
METHOD_ADD_PREFIX = "ma:"  # + method kind: add a receiving method
METHOD_REMOVE_PREFIX = "mr:"  # + method id: remove a receiving method
METHOD_SKIP_DATA = "msk"  # the whole data: skip an optional field of a new method (a BIC)
PAYOUT_PREFIX = "po:"  # + action [':' country]: /payouts' buttons (connect, disconnect, ...)

# ---- user_data: what the bot remembers of one user, outside any dialog ----

LANG_KEY = "lang"  # the user's language, for messages sent outside an update
CODE_STARTS_KEY = "code_pay_starts"  # when the payer started code payments, to limit them

# ---- bot_data: the whole bot's state ----

DEPS_KEY = "chipin"  # BotDeps: engine, settings, board
CODE_EDITS_KEY = "code_progress_edits"  # binding id -> when its message was last edited
CODE_PENDING_KEY = "code_progress_pending"  # bindings with an edit waiting

CALLBACK_PREFIXES = (
    REMIND_PREFIX,
    CANCEL_PREFIX,
    PAY_PREFIX,
    PIN_DIGIT_PREFIX,
    GATEWAY_CHOICE_PREFIX,
    REFUNDED_PREFIX,
    HISTORY_PREFIX,
    PROOF_PREFIX,
    RELEASE_PREFIX,
    CLEAR_LOCKS_PREFIX,
    PASSKEY_ADD_DATA,
    PASSKEY_REMOVE_PREFIX,
    PASSKEY_CHECK_PREFIX,
    CODE_BIND_PREFIX,
    CODE_KIND_PREFIX,
    CODE_NAME_PREFIX,
    CODE_ACTION_PREFIX,
    CODE_AMOUNT_PREFIX,
    TRANSFER_PAID_PREFIX,
    TRANSFER_LET_GO_PREFIX,
    CLAIM_RECEIVED_PREFIX,
    CLAIM_MISSING_PREFIX,
    METHOD_ADD_PREFIX,
    METHOD_REMOVE_PREFIX,
    METHOD_SKIP_DATA,
    PAYOUT_PREFIX,
)
DATA_KEYS = (
    LANG_KEY,
    CODE_STARTS_KEY,
    DEPS_KEY,
    CODE_EDITS_KEY,
    CODE_PENDING_KEY,
)

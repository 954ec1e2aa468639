"""Every callback-data prefix of the bot's buttons and every key it keeps in PTB's data dicts.

One home for both so that no two features can route the same button or overwrite each
other's dialog state (tests/bot/test_callbacks.py checks it). It sits in bot.views, not
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

# ---- user_data: one user's dialog state ----

LANG_KEY = "lang"  # the user's language, for messages sent outside an update
PIN_KEY = "pin"  # the PinEntry of the keypad flow under way
GATEWAY_CHOICE_KEY = "choice"  # the order token the payer verified for, until they pick
ORDER_PW_KEY = "order_pw"  # the order whose password the payer is asked for
PASSKEY_CHECK_KEY = "passkey_check"  # the order a page check was opened for
CODE_BIND_KEY = "code_bind"  # the BindDraft of a code being bound
CODE_MOVE_KEY = "code_move"  # the short id of a code whose move the payee asked for
CODE_AMOUNT_KEY = "code_amount"  # the AmountEntry of a static code's keypad
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
)
DATA_KEYS = (
    LANG_KEY,
    PIN_KEY,
    GATEWAY_CHOICE_KEY,
    ORDER_PW_KEY,
    PASSKEY_CHECK_KEY,
    CODE_BIND_KEY,
    CODE_MOVE_KEY,
    CODE_AMOUNT_KEY,
    CODE_STARTS_KEY,
    DEPS_KEY,
    CODE_EDITS_KEY,
    CODE_PENDING_KEY,
)
